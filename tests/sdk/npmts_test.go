package sdk_test

import (
	"testing"

	sdk "github.com/ack-platform/ack-platform/tests/sdk"
)

// The parser on a hand-written sample of each shape it supports.
func TestParseDecls(t *testing.T) {
	const src = `import * as pulumi from "@pulumi/pulumi";
/**
 * A thing. Docs with { braces } and 'quotes'.
 */
export declare class Thing extends pulumi.CustomResource {
    static get(name: string, id: pulumi.Input<pulumi.ID>, state?: ThingState, opts?: pulumi.CustomResourceOptions): Thing;
    static isInstance(obj: any): obj is Thing;
    /**
     * The size.
     *
     * @deprecated Use other.
     */
    readonly size: pulumi.Output<number | undefined>;
    readonly tags: pulumi.Output<{
        [key: string]: string;
    } | undefined>;
    readonly items: pulumi.Output<outputs.cs.ThingItem[]>;
    constructor(name: string, args: ThingArgs, opts?: pulumi.CustomResourceOptions);
}
export interface ThingArgs {
    name: pulumi.Input<string>;
    ids?: pulumi.Input<pulumi.Input<string>[] | undefined>;
    blob?: any;
}
export declare namespace cs {
    interface ThingItem {
        enabled: boolean;
    }
    namespace inner {
        interface Deep {
            x?: number;
        }
    }
}
`
	decls, err := sdk.ParseDecls(src)
	if err != nil {
		t.Fatal(err)
	}
	c := decls["Thing"]
	if c == nil || !c.Class || len(c.Members) != 3 {
		t.Fatalf("class: %+v", c)
	}
	if c.Doc != "A thing. Docs with { braces } and 'quotes'." {
		t.Errorf("class doc %q", c.Doc)
	}
	check := func(d *sdk.TSDecl, name, typ string, optional bool) *sdk.TSMember {
		t.Helper()
		m := d.Member(name)
		if m == nil {
			t.Fatalf("%s.%s missing", d.Name, name)
		}
		if m.Type.String() != typ || m.Optional != optional {
			t.Errorf("%s.%s: %s optional=%v, want %s optional=%v", d.Name, name, m.Type, m.Optional, typ, optional)
		}
		return m
	}
	size := check(c, "size", "number|undefined", false)
	if size.Doc != "The size." || size.Deprecated != "Use other." {
		t.Errorf("size doc %q deprecated %q", size.Doc, size.Deprecated)
	}
	check(c, "tags", "map<string>|undefined", false)
	check(c, "items", "cs.ThingItem[]", false)
	a := decls["ThingArgs"]
	check(a, "name", "string", false)
	check(a, "ids", "string[]|undefined", true)
	check(a, "blob", "any", true)
	check(decls["cs.ThingItem"], "enabled", "boolean", false)
	check(decls["cs.inner.Deep"], "x", "number", true)
}
