package emulated

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// Diff compares the new inputs with the old ones as the Terraform provider
// plans a change:
//   - a changed attribute flagged ForceNew, or nested under a ForceNew
//     block, replaces the resource; any other change updates it in place;
//   - an Optional+Computed attribute left unset keeps what the cloud has:
//     no diff (the cloud chose the value, and the program did not ask for
//     another);
//   - a value set to exactly what the cloud reports is no change either.
func (r *Resource) Diff(oldInputs, oldOutputs, news resource.PropertyMap, ignore []string) plugin.DiffResult {
	d := differ{r: r, detailed: map[string]plugin.PropertyDiff{}}
	keys := map[string]bool{}
	for _, k := range sortedKeys(oldInputs) {
		keys[k] = true
	}
	for _, k := range sortedKeys(news) {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		if !strings.HasPrefix(k, "__") && !ignored(ignore, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		pk := resource.PropertyKey(k)
		ov, nv := unwrap(oldInputs[pk]), unwrap(news[pk])
		if !isSet(ov) && r.Flags[k].Computed {
			// Unset before: compare with what the cloud reported.
			ov = unwrap(oldOutputs[pk])
		}
		d.value(k, k, ov, nv)
	}

	res := plugin.DiffResult{Changes: plugin.DiffNone}
	if len(d.detailed) == 0 {
		return res
	}
	res.Changes = plugin.DiffSome
	res.DetailedDiff = d.detailed
	changed, replace := map[string]bool{}, map[string]bool{}
	for path, pd := range d.detailed {
		top := topKey(strings.SplitN(path, "[", 2)[0])
		changed[top] = true
		if pd.Kind.IsReplace() {
			replace[top] = true
		}
	}
	for _, k := range sortedSet(changed) {
		res.ChangedKeys = append(res.ChangedKeys, resource.PropertyKey(k))
	}
	for _, k := range sortedSet(replace) {
		res.ReplaceKeys = append(res.ReplaceKeys, resource.PropertyKey(k))
	}
	return res
}

type differ struct {
	r        *Resource
	detailed map[string]plugin.PropertyDiff
}

// value diffs one value; path is the property path for the engine
// ("a.b[0].c"), flagPath the flags key ("a.b.c").
func (d *differ) value(path, flagPath string, ov, nv resource.PropertyValue) {
	ov, nv = unwrap(ov), unwrap(nv)
	oset, nset := isSet(ov), isSet(nv)
	switch {
	case !oset && !nset:
		return
	case oset && !nset:
		if d.r.Flags[flagPath].Computed {
			return // Optional+Computed left unset: the cloud keeps its value.
		}
		d.add(path, flagPath, plugin.DiffDelete)
		return
	case !oset && nset:
		d.add(path, flagPath, plugin.DiffAdd)
		return
	}
	if nv.IsComputed() || (nv.IsOutput() && !nv.OutputValue().Known) {
		d.add(path, flagPath, plugin.DiffUpdate)
		return
	}
	switch {
	case ov.IsObject() && nv.IsObject():
		o, n := ov.ObjectValue(), nv.ObjectValue()
		keys := map[string]bool{}
		for k := range o {
			keys[string(k)] = true
		}
		for k := range n {
			keys[string(k)] = true
		}
		for _, k := range sortedSet(keys) {
			d.value(path+"."+k, flagPath+"."+k, o[resource.PropertyKey(k)], n[resource.PropertyKey(k)])
		}
	case ov.IsArray() && nv.IsArray():
		o, n := ov.ArrayValue(), nv.ArrayValue()
		if len(o) != len(n) {
			kind := plugin.DiffUpdate
			if d.forceNew(flagPath) || d.nestedForceNew(flagPath) {
				kind = plugin.DiffUpdateReplace
			}
			d.detailed[path] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
			return
		}
		for i := range o {
			d.value(fmt.Sprintf("%s[%d]", path, i), flagPath, o[i], n[i])
		}
	default:
		if !ov.DeepEquals(nv) {
			d.add(path, flagPath, plugin.DiffUpdate)
		}
	}
}

func (d *differ) add(path, flagPath string, kind plugin.DiffKind) {
	if d.forceNew(flagPath) {
		kind = kind.AsReplace()
	}
	d.detailed[path] = plugin.PropertyDiff{Kind: kind, InputDiff: true}
}

// forceNew: the attribute or one of the blocks above it is ForceNew.
func (d *differ) forceNew(flagPath string) bool {
	parts := strings.Split(flagPath, ".")
	for i := len(parts); i > 0; i-- {
		if d.r.Flags[strings.Join(parts[:i], ".")].ForceNew {
			return true
		}
	}
	return false
}

// nestedForceNew: some attribute inside the block is ForceNew (an element
// added or removed changes it).
func (d *differ) nestedForceNew(flagPath string) bool {
	for p, f := range d.r.Flags {
		if f.ForceNew && strings.HasPrefix(p, flagPath+".") {
			return true
		}
	}
	return false
}

func ignored(ignore []string, key string) bool {
	for _, i := range ignore {
		if i == key || strings.HasPrefix(i, key+".") || strings.HasPrefix(i, key+"[") {
			return i == key
		}
	}
	return false
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
