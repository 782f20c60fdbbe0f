package emulated

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Check validates a resource's inputs the way the provider does before any
// API call: types from the schema; Required, ConflictsWith and ExactlyOneOf
// from the Terraform flags, top level and nested. Unknown values (preview)
// count as set and are not type-checked.
func (r *Resource) Check(news resource.PropertyMap) []plugin.CheckFailure {
	var fails []plugin.CheckFailure
	fail := func(prop, format string, args ...any) {
		fails = append(fails, plugin.CheckFailure{Property: resource.PropertyKey(prop), Reason: fmt.Sprintf(format, args...)})
	}

	keys := sortedKeys(news)
	for _, k := range keys {
		if strings.HasPrefix(k, "__") {
			continue // engine metadata such as __defaults
		}
		spec, ok := r.Spec.InputProperties[k]
		if !ok {
			fail(k, "%s: unknown input property of %s", k, r.Token)
			continue
		}
		for _, msg := range r.schema.typeErrors(k, &spec.TypeSpec, news[resource.PropertyKey(k)]) {
			fail(k, "%s", msg)
		}
	}
	for _, name := range r.Required() {
		if !isSet(news[resource.PropertyKey(name)]) {
			fail(name, "Missing required argument %s (Terraform: %s)", name, r.Flags[name].TFName)
		}
	}

	// Flags are checked in a fixed order so failures read the same each run.
	paths := make([]string, 0, len(r.Flags))
	for p := range r.Flags {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	reportedOne := map[string]bool{}
	for _, path := range paths {
		f := r.Flags[path]
		for _, owner := range instances(news, path) {
			present := isSet(owner.value)
			if f.Nested && f.Required && !present && owner.parentSet {
				fail(topKey(path), "Missing required argument %s", owner.path)
			}
			if present {
				for _, other := range f.ConflictsWith {
					op := r.pulumiName(other)
					if pathSet(news, op) {
						fail(topKey(path), "%s conflicts with %s: set only one of them", owner.path, op)
					}
				}
			}
		}
		if len(f.ExactlyOneOf) > 0 {
			names := make([]string, 0, len(f.ExactlyOneOf))
			for _, o := range f.ExactlyOneOf {
				names = append(names, r.pulumiName(o))
			}
			sort.Strings(names)
			group := strings.Join(names, ",")
			if reportedOne[group] {
				continue
			}
			set := 0
			for _, n := range names {
				if pathSet(news, n) {
					set++
				}
			}
			if set != 1 {
				reportedOne[group] = true
				fail(names[0], "exactly one of %s must be set (%d are)", strings.Join(names, ", "), set)
			}
		}
	}
	return fails
}

// typeErrors checks v against a schema type.
func (s *Schema) typeErrors(path string, t *TypeSpec, v resource.PropertyValue) []string {
	v = unwrap(v)
	if v.IsNull() || v.IsComputed() || v.IsOutput() {
		return nil
	}
	if len(t.OneOf) > 0 {
		for _, alt := range t.OneOf {
			if len(s.typeErrors(path, alt, v)) == 0 {
				return nil
			}
		}
		return []string{fmt.Sprintf("%s: value matches none of the allowed types", path)}
	}
	if t.Ref != "" {
		if strings.HasPrefix(t.Ref, "pulumi.json#/") {
			return nil // Any, Archive, Asset
		}
		rt := s.resolve(t)
		if rt == nil {
			return []string{fmt.Sprintf("%s: unresolved type %s", path, t.Ref)}
		}
		t = rt
	}
	want := func(kind string) []string {
		return []string{fmt.Sprintf("%s: expected %s, got %s", path, kind, v.TypeString())}
	}
	switch t.Type {
	case "string":
		if !v.IsString() {
			return want("string")
		}
	case "integer":
		if !v.IsNumber() || v.NumberValue() != float64(int64(v.NumberValue())) {
			return want("integer")
		}
	case "number":
		if !v.IsNumber() {
			return want("number")
		}
	case "boolean":
		if !v.IsBool() {
			return want("boolean")
		}
	case "array":
		if !v.IsArray() {
			return want("array")
		}
		var errs []string
		for i, e := range v.ArrayValue() {
			errs = append(errs, s.typeErrors(fmt.Sprintf("%s[%d]", path, i), t.Items, e)...)
		}
		return errs
	case "object":
		if !v.IsObject() {
			return want("object")
		}
		var errs []string
		obj := v.ObjectValue()
		for _, k := range sortedKeys(obj) {
			e := obj[resource.PropertyKey(k)]
			switch {
			case t.AdditionalProperties != nil:
				errs = append(errs, s.typeErrors(path+"."+k, t.AdditionalProperties, e)...)
			case t.Properties != nil:
				ps, ok := t.Properties[k]
				if !ok {
					errs = append(errs, fmt.Sprintf("%s.%s: unknown property", path, k))
					continue
				}
				errs = append(errs, s.typeErrors(path+"."+k, &ps.TypeSpec, e)...)
			}
		}
		return errs
	}
	return nil
}

// instance is one occurrence of a (possibly nested) property path in inputs:
// "dataDisks.category" occurs once per element of dataDisks.
type instance struct {
	path      string
	value     resource.PropertyValue
	parentSet bool
}

func instances(m resource.PropertyMap, path string) []instance {
	parts := strings.Split(path, ".")
	type node struct {
		path string
		obj  resource.PropertyMap
	}
	level := []node{{obj: m}}
	for i, part := range parts {
		last := i == len(parts)-1
		var next []node
		var out []instance
		for _, n := range level {
			v := unwrap(n.obj[resource.PropertyKey(part)])
			p := part
			if n.path != "" {
				p = n.path + "." + part
			}
			if last {
				out = append(out, instance{path: p, value: v, parentSet: true})
				continue
			}
			switch {
			case v.IsObject():
				next = append(next, node{p, v.ObjectValue()})
			case v.IsArray():
				for j, e := range v.ArrayValue() {
					if e = unwrap(e); e.IsObject() {
						next = append(next, node{fmt.Sprintf("%s[%d]", p, j), e.ObjectValue()})
					}
				}
			}
		}
		if last {
			if i == 0 {
				out[0].parentSet = true
			}
			return out
		}
		level = next
	}
	return nil
}

// pathSet reports whether any occurrence of path is set.
func pathSet(m resource.PropertyMap, path string) bool {
	for _, in := range instances(m, path) {
		if isSet(in.value) {
			return true
		}
	}
	return false
}

func isSet(v resource.PropertyValue) bool {
	v = unwrap(v)
	if v.IsComputed() || v.IsOutput() {
		return true
	}
	if v.IsNull() {
		return false
	}
	if v.IsString() {
		return v.StringValue() != ""
	}
	return true
}

// unwrap removes secret and known-output wrappers.
func unwrap(v resource.PropertyValue) resource.PropertyValue {
	for {
		switch {
		case v.IsSecret():
			v = v.SecretValue().Element
		case v.IsOutput() && v.OutputValue().Known:
			v = v.OutputValue().Element
		default:
			return v
		}
	}
}

func topKey(path string) string {
	if i := strings.IndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return path
}

func sortedKeys(m resource.PropertyMap) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	return keys
}
