package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
)

// checkShape compares a decoded JSON value with the Go type it is read into
// and reports every unknown field and every value of the wrong type under
// its full config key (ack-platform:environments.staging.overrides.gateway.
// replicas), all in one pass: encoding/json stops at the first error and
// names neither the environment nor the service.
func checkShape(ps *Problems, k string, v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return // null: the zero value, as encoding/json reads it
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			ps.Addf(k, "expected an object, got %s", describe(v))
			return
		}
		fields := jsonFields(t)
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			ft, known := fields[name]
			if !known {
				ps.Addf(k+"."+name, "unknown field%s", suggest(name, slices.Collect(maps.Keys(fields))))
				continue
			}
			checkShape(ps, k+"."+name, obj[name], ft)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			ps.Addf(k, "expected an object (name: value), got %s", describe(v))
			return
		}
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			checkShape(ps, k+"."+name, obj[name], t.Elem())
		}
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			ps.Addf(k, "expected a list, got %s", describe(v))
			return
		}
		for i, e := range list {
			checkShape(ps, fmt.Sprintf("%s[%d]", k, i), e, t.Elem())
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			ps.Addf(k, "expected a string, got %s (quote it)", describe(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			ps.Addf(k, "expected true or false, got %s", describe(v))
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		n, ok := v.(float64)
		if !ok || n != math.Trunc(n) {
			ps.Addf(k, "expected a whole number, got %s", describe(v))
		}
	}
}

// jsonFields maps the JSON names of a struct's fields, embedded structs
// inlined, to their types, as encoding/json reads them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			maps.Copy(out, jsonFields(f.Type))
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func describe(v any) string {
	switch x := v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return fmt.Sprintf("the string %q", x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// suggest names the closest known field when name looks like a typo of it.
func suggest(name string, known []string) string {
	best, bestDist := "", 3
	for _, k := range slices.Sorted(slices.Values(known)) {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return fmt.Sprintf(" (known: %s)", strings.Join(slices.Sorted(slices.Values(known)), ", "))
	}
	return fmt.Sprintf("; did you mean %s?", best)
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
