package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The generator reads flags, defaults, helpers and nested blocks from
// schema literals, names them as the Pulumi schema does (the token inferred
// from the module prefix, as the bridge does), and skips removed
// attributes.
func TestGenerateFromSchemaLiterals(t *testing.T) {
	s := &Schema{Types: map[string]*Object{
		"alicloud:x/WidgetDisk:WidgetDisk": {Properties: map[string]*Prop{"category": {}}},
	}}
	s.Resources = map[string]struct {
		Properties      map[string]*Prop `json:"properties"`
		InputProperties map[string]*Prop `json:"inputProperties"`
	}{"alicloud:x/widget:Widget": {InputProperties: map[string]*Prop{
		"zoneId": {}, "widgetName": {}, "size": {}, "mode": {}, "tags": {},
		"disks": {Items: &Prop{Ref: "#/types/alicloud:x/WidgetDisk:WidgetDisk"}}, "extra": {},
	}}}
	file, cov, err := generate(s, map[string]string{}, map[string]string{"x": "X"}, "testdata/alicloud")
	require.NoError(t, err)
	flags := file["alicloud:x/widget:Widget"].(map[string]Flag)

	zone := flags["zoneId"]
	assert.True(t, zone.Optional && zone.Computed && zone.ForceNew && zone.InSchema)
	assert.Equal(t, []string{"zone_id", "zone"}, zone.ExactlyOneOf)
	assert.True(t, flags["widgetName"].Required)
	assert.Equal(t, []string{"name"}, flags["widgetName"].ConflictsWith)
	assert.Equal(t, "10", *flags["size"].Default)
	assert.Equal(t, "fast", *flags["mode"].Default, "string defaults unquoted")
	assert.Equal(t, "TypeMap", flags["tags"].TFType, "read through the helper")
	assert.Equal(t, 2, flags["disks"].MaxItems, "list block named with the schema's plural")
	cat := flags["disks.category"]
	assert.True(t, cat.Nested && cat.Required && cat.ForceNew)
	assert.Equal(t, "disk.category", cat.TFName)
	assert.NotContains(t, flags, "oldField")

	c := cov["alicloud:x/widget:Widget"]
	assert.Equal(t, 6, c.Matched)
	assert.Equal(t, []string{"extra"}, c.SchemaNotInTF)
	assert.Equal(t, []string{"old_field"}, c.RemovedSkipped)
}

// The committed flags file covers the subset's schema: every resource and
// function, every property name the provider has, and records the provider
// version and commit it was read from. A resource added to the subset
// without regenerating the file fails here.
func TestFlagsFileCoversSchema(t *testing.T) {
	root := filepath.Join("..", "..")
	b, err := os.ReadFile(filepath.Join(root, "sdks", "alicloud", "schema.json"))
	require.NoError(t, err)
	var s Schema
	require.NoError(t, json.Unmarshal(b, &s))
	b, err = os.ReadFile(filepath.Join(root, "tools", "emulator", "alicloud-tf-flags.json"))
	require.NoError(t, err)
	var file map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &file))
	var meta struct {
		Source   string              `json:"source"`
		Mapping  string              `json:"mapping"`
		Coverage map[string]Coverage `json:"coverage"`
	}
	require.NoError(t, json.Unmarshal(file["_meta"], &meta))
	assert.Regexp(t, `terraform-provider-alicloud v\d+\.\d+\.\d+ \([0-9a-f]{40}\)`, meta.Source)
	assert.Regexp(t, `pulumi-alicloud provider/resources.go \([0-9a-f]{40}\)`, meta.Mapping)

	names := map[string][]string{}
	for tok, r := range s.Resources {
		for k := range r.InputProperties {
			names[tok] = append(names[tok], k)
		}
		for k := range r.Properties {
			if _, dup := r.InputProperties[k]; !dup {
				names[tok] = append(names[tok], k)
			}
		}
	}
	for tok, f := range s.Functions {
		seen := map[string]bool{"id": true}
		for _, o := range []*Object{f.Inputs, f.Outputs} {
			for k := range o.Properties {
				if !seen[k] {
					seen[k] = true
					names[tok] = append(names[tok], k)
				}
			}
		}
	}
	tokens := make([]string, 0, len(names))
	for tok := range names {
		tokens = append(tokens, tok)
	}
	sort.Strings(tokens)
	matched, total := 0, 0
	for _, tok := range tokens {
		raw, ok := file[tok]
		if !assert.True(t, ok, "%s has no flags: regenerate with go run ./tools/tfflags", tok) {
			continue
		}
		var flags map[string]Flag
		require.NoError(t, json.Unmarshal(raw, &flags))
		known := map[string]bool{}
		for _, n := range meta.Coverage[tok].SchemaNotInTF {
			known[n] = true
		}
		var missing []string
		for _, n := range names[tok] {
			total++
			if f, ok := flags[n]; ok && f.InSchema {
				matched++
			} else if !known[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "%s: schema properties without flags (regenerate)", tok)
		for path := range flags {
			if top, _, nested := strings.Cut(path, "."); nested {
				assert.Contains(t, flags, top, "%s: nested %s without its block", tok, path)
			}
		}
	}
	for tok := range file {
		if !strings.HasPrefix(tok, "_") {
			assert.Contains(t, names, tok, "flags for %s, which the schema no longer has", tok)
		}
	}
	t.Logf("coverage: %d of %d schema property names of %d resources and functions have Terraform flags", matched, total, len(tokens))
	assert.Greater(t, matched*100, total*99, "coverage below 99%%")
	assert.Regexp(t, regexp.MustCompile(`^\S`), meta.Source)
}
