package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
	"unicode"

	"github.com/ack-platform/ack-platform/tools/emulator/emulated"
)

// Schema is the part of the Pulumi schema the generator reads.
type Schema struct {
	Resources map[string]struct {
		Properties      map[string]*Prop `json:"properties"`
		InputProperties map[string]*Prop `json:"inputProperties"`
	} `json:"resources"`
	Functions map[string]struct {
		Inputs  *Object `json:"inputs"`
		Outputs *Object `json:"outputs"`
	} `json:"functions"`
	Types map[string]*Object `json:"types"`
}

// Object is a schema object type.
type Object struct {
	Properties map[string]*Prop `json:"properties"`
}

// Prop is a schema property; only its (element) type reference matters.
type Prop struct {
	Ref   string `json:"$ref"`
	Items *Prop  `json:"items"`
}

// Flag is one entry of the flags file, in the emulator's own type.
type Flag = emulated.Flag

// Coverage is how well a token's schema names matched Terraform's.
type Coverage struct {
	TFName           string   `json:"tfName"`
	SchemaProperties int      `json:"schemaJsonProperties"`
	Matched          int      `json:"matchedSchemaJson"`
	SchemaNotInTF    []string `json:"schemaJsonNotInTf"`
	TFNotInSchema    []string `json:"tfNotInSchemaJson"`
	RemovedSkipped   []string `json:"tfRemovedSkipped"`
	TopLevel         int      `json:"tfTopLevel"`
	Nested           int      `json:"nestedAttributes"`
}

// tokenMap reads pulumi-alicloud's resources.go: Pulumi token -> Terraform
// name, from entries such as "alicloud_vswitch": {Tok: resource(vpcMod, "Switch")}.
func tokenMap(src string) (map[string]string, map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "resources.go", src, 0)
	if err != nil {
		return nil, nil, err
	}
	consts := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if v, ok := stringLit(vs.Values[i]); ok {
						consts[n.Name] = v
					}
				}
			}
		}
	}
	out, mods := map[string]string{}, map[string]string{}
	// mappedMods: Terraform prefix -> module, for the resources the bridge
	// names by rule (MappedModulesWithInferredFallback) rather than by entry.
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "mappedMods" || len(vs.Values) != 1 {
			return true
		}
		if lit := compositeOf(vs.Values[0]); lit != nil {
			for _, el := range lit.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				prefix, ok1 := stringLit(kv.Key)
				mod, ok2 := stringLit(kv.Value)
				if !ok2 {
					mod, ok2 = consts[exprText(kv.Value)]
				}
				if ok1 && ok2 {
					mods[prefix] = mod
				}
			}
		}
		return false
	})
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		tf, ok := stringLit(kv.Key)
		if !ok || !strings.HasPrefix(tf, "alicloud_") {
			return true
		}
		info := compositeOf(kv.Value)
		if info == nil {
			return true
		}
		for _, el := range info.Elts {
			fkv, ok := el.(*ast.KeyValueExpr)
			if !ok || exprText(fkv.Key) != "Tok" {
				continue
			}
			call, ok := fkv.Value.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				continue
			}
			mod, ok1 := consts[exprText(call.Args[0])]
			name, ok2 := stringLit(call.Args[1])
			if !ok1 || !ok2 {
				continue
			}
			m := strings.ToLower(mod)
			switch exprText(call.Fun) {
			case "resource":
				out[fmt.Sprintf("alicloud:%s/%s:%s", m, lowerFirst(name), name)] = tf
			case "dataSource":
				out[fmt.Sprintf("alicloud:%s/%s:%s", m, lowerFirst(name), lowerFirst(name))] = tf
			}
		}
		return false
	})
	if len(out) == 0 {
		return nil, nil, fmt.Errorf("resources.go: no token mapping found")
	}
	return out, mods, nil
}

// inferredTokens names the resources resources.go does not list as the
// bridge does: the longest known prefix is the module, the rest in
// CamelCase the name ("alicloud_cr_vpc_endpoint_linked_vpc" ->
// alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc).
func inferredTokens(tfNames []string, explicit map[string]string, mods map[string]string) map[string]string {
	mapped := map[string]bool{}
	for _, tf := range explicit {
		mapped[tf] = true
	}
	out := map[string]string{}
	for _, tf := range tfNames {
		if mapped[tf] {
			continue
		}
		rest := strings.TrimPrefix(tf, "alicloud_")
		best := ""
		for prefix := range mods {
			if strings.HasPrefix(rest, prefix+"_") && len(prefix) > len(best) {
				best = prefix
			}
		}
		if best == "" {
			continue
		}
		name := camel(strings.TrimPrefix(rest, best+"_"))
		name = strings.ToUpper(name[:1]) + name[1:]
		out[fmt.Sprintf("alicloud:%s/%s:%s", strings.ToLower(mods[best]), lowerFirst(name), name)] = tf
	}
	return out
}

// generate reads the flags of every resource and function of the schema.
func generate(s *Schema, tfNames, mods map[string]string, src string) (map[string]any, map[string]Coverage, error) {
	funcs, err := providerMaps(src)
	if err != nil {
		return nil, nil, err
	}
	var all []string
	for tf := range funcs {
		all = append(all, tf)
	}
	sort.Strings(all)
	for tok, tf := range inferredTokens(all, tfNames, mods) {
		if _, ok := tfNames[tok]; !ok {
			tfNames[tok] = tf
		}
	}
	file := map[string]any{}
	cov := map[string]Coverage{}
	type target struct {
		props map[string]*Prop
	}
	targets := map[string]target{}
	for tok, r := range s.Resources {
		props := map[string]*Prop{}
		for k, v := range r.Properties {
			props[k] = v
		}
		for k, v := range r.InputProperties {
			props[k] = v
		}
		targets[tok] = target{props}
	}
	for tok, f := range s.Functions {
		props := map[string]*Prop{}
		for _, o := range []*Object{f.Inputs, f.Outputs} {
			if o != nil {
				for k, v := range o.Properties {
					props[k] = v
				}
			}
		}
		delete(props, "id") // the bridge adds it to every data source
		targets[tok] = target{props}
	}
	var problems []string
	for tok, tg := range targets {
		tf, ok := tfNames[tok]
		if !ok {
			problems = append(problems, tok+": no Terraform name in pulumi-alicloud's resources.go")
			continue
		}
		fn, ok := funcs[tf]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: %s is not in the Terraform provider's maps", tok, tf))
			continue
		}
		decl, err := findFunc(src, fn)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		attrs, err := resourceAttrs(src, decl)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		flags, c := match(s, tg.props, attrs)
		c.TFName = tf
		file[tok] = flags
		cov[tok] = c
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return file, cov, nil
}

// match names each Terraform attribute after the schema property it is.
func match(s *Schema, props map[string]*Prop, attrs []Attr) (map[string]Flag, Coverage) {
	flags := map[string]Flag{}
	var c Coverage
	// pulumiPath maps a Terraform path to its Pulumi path; types the
	// Pulumi object type of a Pulumi path, when the schema has it.
	pulumiPath := map[string]string{}
	types := map[string]*Object{}
	matchedTop := map[string]bool{}
	// Parents before children: sort by depth.
	sort.SliceStable(attrs, func(i, j int) bool {
		return strings.Count(attrs[i].Name, ".") < strings.Count(attrs[j].Name, ".")
	})
	for _, a := range attrs {
		if a.Removed {
			if !a.Nested {
				c.RemovedSkipped = append(c.RemovedSkipped, a.Name)
			}
			continue
		}
		parentTF, leaf := "", a.Name
		if i := strings.LastIndexByte(a.Name, '.'); i >= 0 {
			parentTF, leaf = a.Name[:i], a.Name[i+1:]
		}
		var scope map[string]*Prop
		prefix := ""
		if a.Nested {
			pp, ok := pulumiPath[parentTF]
			if !ok {
				continue // under a removed or unmatched block
			}
			prefix = pp + "."
			if t := types[pp]; t != nil {
				scope = t.Properties
			}
		} else {
			scope = props
		}
		name, inSchema := pulumiName(leaf, scope)
		path := prefix + name
		pulumiPath[a.Name] = path
		if inSchema {
			types[path] = s.objectOf(scope[name])
		}
		flags[path] = Flag{
			TFName: a.Name, TFType: a.Type, Required: a.Required, Optional: a.Optional, Computed: a.Computed,
			ForceNew: a.ForceNew, ConflictsWith: nonNil(a.ConflictsWith), ExactlyOneOf: nonNil(a.ExactlyOneOf),
			Default: a.Default, InSchema: inSchema && !a.Nested, Nested: a.Nested, Deprecated: a.Deprecated,
			Sensitive: a.Sensitive, MaxItems: a.MaxItems,
		}
		if a.Nested {
			c.Nested++
			continue
		}
		c.TopLevel++
		if inSchema {
			matchedTop[name] = true
		} else {
			c.TFNotInSchema = append(c.TFNotInSchema, a.Name)
		}
	}
	for name := range props {
		c.SchemaProperties++
		if matchedTop[name] {
			c.Matched++
		} else {
			c.SchemaNotInTF = append(c.SchemaNotInTF, name)
		}
	}
	sort.Strings(c.SchemaNotInTF)
	sort.Strings(c.TFNotInSchema)
	sort.Strings(c.RemovedSkipped)
	c.SchemaNotInTF, c.TFNotInSchema, c.RemovedSkipped = nonNil(c.SchemaNotInTF), nonNil(c.TFNotInSchema), nonNil(c.RemovedSkipped)
	return flags, c
}

// pulumiName is the schema's name for a Terraform attribute: camelCase, or
// the bridge's plural of it for list blocks.
func pulumiName(tf string, scope map[string]*Prop) (string, bool) {
	base := camel(tf)
	cands := []string{base, base + "s"}
	if strings.HasSuffix(base, "y") {
		cands = append(cands, strings.TrimSuffix(base, "y")+"ies")
	}
	for _, n := range cands {
		if _, ok := scope[n]; ok {
			return n, true
		}
	}
	return base, false
}

// objectOf is the object type of a property, or of its elements.
func (s *Schema) objectOf(p *Prop) *Object {
	for p != nil {
		if p.Ref != "" {
			return s.Types[strings.TrimPrefix(p.Ref, "#/types/")]
		}
		p = p.Items
	}
	return nil
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
