package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"k8s.io/apimachinery/pkg/api/resource"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"
)

// kubectl runs .tools/bin/kubectl against the package's cluster.
func kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "kubectl"), append([]string{"--kubeconfig", suite.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// kubeList runs `kubectl get ... -o json` and decodes the items.
func kubeList(ctx context.Context, args ...string) ([]map[string]any, error) {
	out, err := kubectl(ctx, "", append(append([]string{"get"}, args...), "-o", "json")...)
	if err != nil {
		return nil, err
	}
	var l struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return nil, fmt.Errorf("kubectl get %s: %w", strings.Join(args, " "), err)
	}
	return l.Items, nil
}

// objRef names a Kubernetes object.
type objRef struct {
	APIVersion, Kind, Namespace, Name string
}

func (r objRef) String() string {
	if r.Namespace == "" {
		return fmt.Sprintf("%s %s", r.Kind, r.Name)
	}
	return fmt.Sprintf("%s %s/%s", r.Kind, r.Namespace, r.Name)
}

// key identifies an object by kind, namespace and name, whatever the
// version it was read at.
func (r objRef) key() objRef { r.APIVersion = ""; return r }

func refOf(obj map[string]any) objRef {
	return objRef{
		APIVersion: str(obj, "apiVersion"), Kind: str(obj, "kind"),
		Namespace: str(obj, "metadata", "namespace"), Name: str(obj, "metadata", "name"),
	}
}

// declaredObject is a Kubernetes object of the stack's state.
type declaredObject struct {
	Ref    objRef
	URN    string
	Inputs map[string]any
}

// kubeObjects returns the Kubernetes objects of a state: every custom
// resource of a kubernetes:* type except the provider, by its outputs.
func kubeObjects(res []stateResource) []declaredObject {
	var out []declaredObject
	for _, r := range res {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		ref := refOf(r.Outputs)
		if ref.Kind == "" || ref.Name == "" {
			continue
		}
		out = append(out, declaredObject{Ref: ref, URN: r.URN, Inputs: r.Inputs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ref.String() < out[j].Ref.String() })
	return out
}

// liveObjects fetches the objects named by refs in one kubectl call, keyed
// by ref.key(); missing ones are absent from the result.
func liveObjects(ctx context.Context, refs []objRef) (map[objRef]map[string]any, error) {
	var stubs []map[string]any
	for _, r := range refs {
		md := map[string]any{"name": r.Name}
		if r.Namespace != "" {
			md["namespace"] = r.Namespace
		}
		stubs = append(stubs, map[string]any{"apiVersion": r.APIVersion, "kind": r.Kind, "metadata": md})
	}
	stub, err := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": stubs})
	if err != nil {
		return nil, err
	}
	out, err := kubectl(ctx, string(stub), "get", "-f", "-", "--ignore-not-found", "-o", "json")
	if err != nil {
		return nil, err
	}
	live := map[objRef]map[string]any{}
	if strings.TrimSpace(out) == "" {
		return live, nil
	}
	// Several objects come back as a List, a single one as itself.
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("kubectl get -f: %w", err)
	}
	items := []any{doc}
	if str(doc, "kind") == "List" {
		items, _ = doc["items"].([]any)
	}
	for _, it := range items {
		if o, ok := it.(map[string]any); ok {
			live[refOf(o).key()] = o
		}
	}
	return live, nil
}

// str digs a string out of nested maps; "" when absent.
func str(obj map[string]any, path ...string) string {
	v, _ := dig(obj, path...).(string)
	return v
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func num(obj map[string]any, path ...string) (int, bool) {
	f, ok := dig(obj, path...).(float64)
	return int(f), ok
}

// secretSig marks a secret value in Pulumi state.
const secretSig = "4dabf18193072939515e22adb298388d"

func isSecretValue(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[secretSig] != nil
}

// compareDeclared reports every field declared in want (the resource's
// inputs) that the live object does not hold with the same value. The
// server may add fields (defaults, status); it may drop empty ones and
// normalise quantities ("0.5" → "500m"). Secret values are skipped.
func compareDeclared(path string, want, live any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		if isSecretValue(w) {
			return
		}
		l, _ := live.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(w)) {
			p := path + "." + k
			if skipField(p) {
				continue
			}
			lv, ok := l[k]
			if !ok {
				if isEmpty(w[k]) {
					continue
				}
				*diffs = append(*diffs, fmt.Sprintf("%s: declared %s, absent on the server", p, short(w[k])))
				continue
			}
			compareDeclared(p, w[k], lv, diffs)
		}
	case []any:
		l, _ := live.([]any)
		if len(l) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: declared %d items, server has %d", path, len(w), len(l)))
			return
		}
		for i := range w {
			compareDeclared(fmt.Sprintf("%s[%d]", path, i), w[i], l[i], diffs)
		}
	default:
		if sameScalar(want, live) {
			return
		}
		*diffs = append(*diffs, fmt.Sprintf("%s: declared %s, server has %s", path, short(want), short(live)))
	}
}

// skipField: fields the engine or provider own rather than the program.
func skipField(p string) bool {
	return strings.HasPrefix(p, ".metadata.annotations.pulumi.com/") ||
		strings.HasPrefix(p, ".status") ||
		p == ".stringData" // a Secret's stringData becomes data on the server
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case float64:
		return x == 0
	case map[string]any:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func sameScalar(want, live any) bool {
	if fmt.Sprint(want) == fmt.Sprint(live) {
		return true
	}
	ws, wok := want.(string)
	ls, lok := live.(string)
	if !wok || !lok {
		return false
	}
	a, err1 := resource.ParseQuantity(ws)
	b, err2 := resource.ParseQuantity(ls)
	return err1 == nil && err2 == nil && a.Cmp(b) == 0
}

func short(v any) string {
	b, _ := json.Marshal(v)
	return truncate(string(b), 120)
}
