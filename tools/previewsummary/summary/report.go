package summary

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Operation categories used in counts and tables.
const (
	OpCreate  = "create"
	OpUpdate  = "update"
	OpReplace = "replace"
	OpDelete  = "delete"
	OpSame    = "same"
)

// mainOps are always shown in the counts, in this order; other engine
// operations (import, read, refresh, discard, ...) follow when non-zero.
var mainOps = []string{OpCreate, OpUpdate, OpReplace, OpDelete, OpSame}

// replaceOps are the engine operations that belong to replacing one resource;
// with --show-replacement-steps one URN carries several of them.
var replaceOps = map[string]bool{
	"replace":            true,
	"create-replacement": true,
	"delete-replaced":    true,
	"import-replacement": true,
	"read-replacement":   true,
	"discard-replaced":   true,
}

// opRank orders the operations of one URN: the most consequential wins.
var opRank = map[string]int{OpReplace: 5, OpDelete: 4, OpCreate: 3, OpUpdate: 2, OpSame: 0}

// workloadTypes are the resource types whose container images are tabulated.
var workloadTypes = map[string]bool{
	"kubernetes:apps/v1:Deployment":  true,
	"kubernetes:apps/v1:StatefulSet": true,
}

// category maps an engine operation to its summary category.
func category(op string) string {
	if replaceOps[op] {
		return OpReplace
	}
	return op
}

// Resource is everything the preview plans for one URN.
type Resource struct {
	URN  string
	Type string
	Name string
	// Op is the summary category (create, update, replace, delete, same, or another engine op).
	Op string
	// ChangedKeys are the top-level input keys that change, sorted.
	ChangedKeys []string
	// ReplaceReasons are the property paths that force a replacement.
	ReplaceReasons []string
	// Protected is set when the resource is protected before or after the step.
	Protected bool
	// ProtectChanged is set when the step turns protection on or off.
	ProtectChanged bool

	oldState, newState *State
}

// Touched reports whether the preview does anything to the resource.
func (r Resource) Touched() bool { return r.Op != OpSame || r.ProtectChanged }

// ImageChange is one container whose image changes.
type ImageChange struct {
	Environment string
	Service     string
	// Container is set when it differs from Service; init containers are prefixed "init:".
	Container string
	Old, New  string
	// OldRef and NewRef are the full image references ("" when absent).
	OldRef, NewRef string
}

// Report is the summary of one preview, before rendering.
type Report struct {
	Stack  string
	Counts map[string]int
	// Resources are the touched resources, in the engine's order.
	Resources    []Resource
	Replacements []Resource
	Deletions    []Resource
	Protected    []Resource
	Images       []ImageChange
	// CredentialRefreshes are Kubernetes provider updates that only renew
	// the cluster credential; they are reported apart from the changes.
	CredentialRefreshes []Resource
	// Errors are the messages of error diagnostics.
	Errors []string
	// Warnings are the distinct warning diagnostics, in the engine's order.
	Warnings     []Warning
	MaybeCorrupt bool
}

// HasChanges reports whether the preview plans any change at all.
func (r Report) HasChanges() bool {
	for op, n := range r.Counts {
		if op != OpSame && op != OpCredentialRefresh && n > 0 {
			return true
		}
	}
	return len(r.Resources) > 0
}

// Build summarizes a preview. stack names the stack; when empty it is taken
// from the URNs.
func Build(d *Digest, stack string) Report {
	rep := Report{Stack: stack, MaybeCorrupt: d.MaybeCorrupt}
	resources := mergeSteps(d.Steps)
	if rep.Stack == "" && len(resources) > 0 {
		rep.Stack = stackOfURN(resources[0].URN)
	}

	rep.Counts = map[string]int{}
	if len(d.ChangeSummary) > 0 {
		// The engine's own tally also counts the unchanged resources that
		// the step list omits without --show-sames.
		for op, n := range d.ChangeSummary {
			rep.Counts[category(op)] += n
		}
	} else {
		for _, r := range resources {
			rep.Counts[r.Op]++
		}
	}

	for _, r := range resources {
		if !r.Touched() {
			continue
		}
		if isCredentialRefresh(r) {
			rep.CredentialRefreshes = append(rep.CredentialRefreshes, r)
			// The engine's tally counts it as an update; the summary does not.
			if rep.Counts[OpUpdate] > 0 {
				rep.Counts[OpUpdate]--
			}
			rep.Counts[OpCredentialRefresh]++
			continue
		}
		rep.Resources = append(rep.Resources, r)
		switch r.Op {
		case OpReplace:
			rep.Replacements = append(rep.Replacements, r)
		case OpDelete:
			rep.Deletions = append(rep.Deletions, r)
		}
		if r.Protected {
			rep.Protected = append(rep.Protected, r)
		}
		if workloadTypes[r.Type] {
			rep.Images = append(rep.Images, imageChanges(r)...)
		}
	}
	slices.SortStableFunc(rep.Images, func(a, b ImageChange) int {
		return cmp.Or(cmp.Compare(a.Environment, b.Environment),
			cmp.Compare(a.Service, b.Service), cmp.Compare(a.Container, b.Container))
	})

	for _, diag := range d.Diagnostics {
		if diag.Severity == "error" {
			rep.Errors = append(rep.Errors, strings.TrimSpace(diag.Message))
		}
	}
	rep.Warnings = collectWarnings(d.Diagnostics)
	return rep
}

// mergeSteps folds the steps into one Resource per URN, in first-seen order.
func mergeSteps(steps []Step) []Resource {
	index := map[string]int{}
	var out []Resource
	for _, s := range steps {
		i, seen := index[s.URN]
		if !seen {
			i = len(out)
			index[s.URN] = i
			out = append(out, Resource{URN: s.URN, Name: nameOfURN(s.URN), Op: category(s.Op)})
		}
		r := &out[i]
		if op := category(s.Op); opRank[op] > opRank[r.Op] {
			r.Op = op
		}
		if r.oldState == nil {
			r.oldState = s.OldState
		}
		// The logical replace step carries the final state; prefer it.
		if r.newState == nil || s.Op == OpReplace {
			if s.NewState != nil {
				r.newState = s.NewState
			}
		}
		r.ChangedKeys = union(r.ChangedKeys, topKeys(s))
		r.ReplaceReasons = union(r.ReplaceReasons, s.ReplaceReasons)
	}
	for i := range out {
		r := &out[i]
		oldProtect := r.oldState != nil && r.oldState.Protect
		newProtect := r.newState != nil && r.newState.Protect
		r.Protected = oldProtect || newProtect
		r.ProtectChanged = r.oldState != nil && r.newState != nil && oldProtect != newProtect
		r.Type = typeOfURN(r.URN)
		for _, st := range []*State{r.newState, r.oldState} {
			if st != nil && st.Type != "" {
				r.Type = st.Type
				break
			}
		}
	}
	return out
}

// topKeys lists the top-level keys a step changes, from both the provider's
// diff reasons and the detailed diff's property paths.
func topKeys(s Step) []string {
	var keys []string
	for _, k := range s.DiffReasons {
		keys = append(keys, topKey(k))
	}
	for path := range s.DetailedDiff {
		keys = append(keys, topKey(path))
	}
	return union(nil, keys)
}

// topKey is the first element of a property path: "spec" for
// spec.template.spec.containers[0].image, "a.b" for ["a.b"].c.
func topKey(path string) string {
	if strings.HasPrefix(path, `["`) {
		var b strings.Builder
		for i := 2; i < len(path); i++ {
			switch c := path[i]; {
			case c == '\\' && i+1 < len(path):
				i++
				b.WriteByte(path[i])
			case c == '"':
				return b.String()
			default:
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	if i := strings.IndexAny(path, ".["); i > 0 {
		return path[:i]
	}
	return path
}

// union returns the sorted, de-duplicated, non-empty elements of a and b.
func union(a, b []string) []string {
	out := append(slices.Clone(a), b...)
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// URN layout: urn:pulumi:<stack>::<project>::<parent$type>::<name>.
func urnParts(urn string) []string { return strings.SplitN(urn, "::", 4) }

func nameOfURN(urn string) string {
	if p := urnParts(urn); len(p) == 4 {
		return p[3]
	}
	return urn
}

func typeOfURN(urn string) string {
	if p := urnParts(urn); len(p) >= 3 {
		t := p[2]
		return t[strings.LastIndex(t, "$")+1:]
	}
	return ""
}

func stackOfURN(urn string) string {
	return strings.TrimPrefix(urnParts(urn)[0], "urn:pulumi:")
}

// imageChanges compares the containers of a workload before and after the step.
func imageChanges(r Resource) []ImageChange {
	oldImages, newImages := containerImages(r.oldState), containerImages(r.newState)
	if r.Op == OpDelete {
		newImages = nil
	}
	env := firstString(r, "metadata", "namespace")
	if env == "" {
		env = "default"
	}
	service := firstString(r, "metadata", "labels", "app.kubernetes.io/name")
	if service == "" {
		service = firstString(r, "metadata", "name")
	}
	if service == "" || service == unknownValue {
		service = r.Name
	}

	var out []ImageChange
	for _, c := range containerNames(oldImages, newImages) {
		o, n := oldImages[c], newImages[c]
		if o == n {
			continue
		}
		container := c
		if container == service {
			container = ""
		}
		out = append(out, ImageChange{
			Environment: env, Service: service, Container: container,
			Old: describeImage(o, n), New: describeImage(n, o), OldRef: o, NewRef: n,
		})
	}
	return out
}

// containerImages maps container name (init containers prefixed "init:") to image.
func containerImages(st *State) map[string]string {
	if st == nil {
		return nil
	}
	for _, props := range []map[string]any{st.Inputs, st.Outputs} {
		podSpec, ok := lookup(props, "spec", "template", "spec").(map[string]any)
		if !ok {
			continue
		}
		images := map[string]string{}
		for field, prefix := range map[string]string{"initContainers": "init:", "containers": ""} {
			list, _ := podSpec[field].([]any)
			for i, item := range list {
				c, _ := item.(map[string]any)
				name, _ := c["name"].(string)
				if name == "" {
					name = "#" + strconv.Itoa(i)
				}
				image, _ := c["image"].(string)
				images[prefix+name] = image
			}
		}
		return images
	}
	return nil
}

func containerNames(a, b map[string]string) []string {
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		names = append(names, n)
	}
	return union(nil, names)
}

// firstString reads a string at path from the new state's inputs, then
// outputs, then the old state's.
func firstString(r Resource, path ...string) string {
	for _, st := range []*State{r.newState, r.oldState} {
		if st == nil {
			continue
		}
		for _, props := range []map[string]any{st.Inputs, st.Outputs} {
			if s, ok := lookup(props, path...).(string); ok && s != "" && s != unknownValue {
				return s
			}
		}
	}
	return ""
}

func lookup(props map[string]any, path ...string) any {
	var v any = props
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}
