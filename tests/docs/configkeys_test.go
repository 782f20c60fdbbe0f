package docs_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// reference is docs/config.md read as a reader reads it: the top-level
// keys with their types, and per type its fields with type and description.
type docRef struct {
	keys   map[string]row
	fields map[string]map[string]row
}

type row struct{ typ, doc string }

var (
	link     = regexp.MustCompile(`\[(\w+)\]\(#\w+\)`)
	tableRow = regexp.MustCompile("^\\| `([^`]+)` \\|(.*)$")
)

func readReference(t *testing.T, path string) docRef {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	ref := docRef{keys: map[string]row{}, fields: map[string]map[string]row{}}
	section := ""
	for _, line := range strings.Split(string(data), "\n") {
		if name, ok := strings.CutPrefix(line, "## "); ok {
			section = name
			ref.fields[section] = map[string]row{}
			continue
		}
		m := tableRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		cells := strings.Split(strings.TrimSuffix(m[2], "|"), " | ")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(link.ReplaceAllString(cells[i], "$1")), "`")
		}
		if section == "" { // key | scope | type | description
			require.Len(t, cells, 3, "top-level row %q", line)
			ref.keys[m[1]] = row{typ: cells[1], doc: cells[2]}
		} else { // field | type | description
			require.Len(t, cells, 2, "row %q of %s", line, section)
			ref.fields[section][m[1]] = row{typ: cells[0], doc: cells[1]}
		}
	}
	return ref
}

// undocumented walks a config value along the types the reference gives
// and lists every key path whose row is missing or has no description.
func (r docRef) undocumented(path, typ string, v any) []string {
	typ = strings.TrimSuffix(strings.TrimPrefix(typ, "*"), " (secret)")
	switch {
	case strings.HasPrefix(typ, "map[string]"):
		var out []string
		if obj, ok := v.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(obj)) {
				out = append(out, r.undocumented(path+"."+k, strings.TrimPrefix(typ, "map[string]"), obj[k])...)
			}
		}
		return out
	case strings.HasPrefix(typ, "[]"):
		var out []string
		if list, ok := v.([]any); ok {
			for i, e := range list {
				out = append(out, r.undocumented(fmt.Sprintf("%s[%d]", path, i), strings.TrimPrefix(typ, "[]"), e)...)
			}
		}
		return out
	}
	fields, isStruct := r.fields[typ]
	obj, isObject := v.(map[string]any)
	if !isStruct || !isObject {
		return nil
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		f, ok := fields[k]
		if !ok || f.doc == "" {
			out = append(out, path+"."+k+" (type "+typ+")")
			continue
		}
		out = append(out, r.undocumented(path+"."+k, f.typ, obj[k])...)
	}
	return out
}

// Every key used in any stack file of the repository (and in Pulumi.yaml)
// is documented in docs/config.md, down to the fields of nested and
// embedded structs: a reader of a stack file finds every key it uses.
func TestEveryStackFileKeyIsDocumented(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	ref := readReference(t, filepath.Join(root, "docs", "config.md"))
	require.NotEmpty(t, ref.keys)
	stacks, err := stackfile.Stacks(root)
	require.NoError(t, err)
	require.NotEmpty(t, stacks)
	checked := 0
	for _, stack := range stacks {
		v, err := stackfile.Load(root, stack)
		require.NoError(t, err)
		for _, k := range slices.Sorted(maps.Keys(v.Config)) {
			if v.Secrets[k] {
				continue // a secret that a documented key names (TLS, secretEnv, kubeconfig)
			}
			top, ok := ref.keys[k]
			if !assert.True(t, ok && top.doc != "", "Pulumi.%s.yaml: key %s is not documented in docs/config.md", stack, k) {
				continue
			}
			var val any
			if json.Unmarshal([]byte(v.Config[k]), &val) != nil {
				val = v.Config[k]
			}
			for _, missing := range ref.undocumented(k, top.typ, val) {
				t.Errorf("Pulumi.%s.yaml: %s is not documented in docs/config.md", stack, missing)
			}
			checked++
		}
	}
	assert.Greater(t, checked, 20)
}

// The walk finds an undocumented field: the check above can fail.
func TestUndocumentedFieldIsFound(t *testing.T) {
	t.Parallel()
	ref := readReference(t, filepath.Join(stackconfig.Root(t), "docs", "config.md"))
	val := map[string]any{"dev": map[string]any{"overrides": map[string]any{"gateway": map[string]any{"replicas": 2, "pdb": map[string]any{"maxSurge": 1}}}}}
	assert.Equal(t, []string{"ack-platform:environments.dev.overrides.gateway.pdb.maxSurge (type Pdb)"},
		ref.undocumented("ack-platform:environments", ref.keys["ack-platform:environments"].typ, val))
}
