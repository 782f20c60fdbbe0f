package faults_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// object names a Kubernetes object: kind, namespace ("" when cluster
// scoped) and name.
type object struct{ kind, namespace, name string }

func (o object) String() string {
	if o.namespace == "" {
		return o.kind + " " + o.name
	}
	return o.kind + " " + o.namespace + "/" + o.name
}

// stateResource is a resource of `pulumi stack export`.
type stateResource struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Outputs map[string]any `json:"outputs"`
}

// snapshot is a stack's state, as `pulumi stack export` gives it.
type snapshot struct {
	Resources []stateResource `json:"resources"`
	Pending   []struct {
		Type     string        `json:"type"`
		Resource stateResource `json:"resource"`
	} `json:"pending_operations"`
}

// export reads the stack's state.
func (s *stack) export() snapshot {
	s.t.Helper()
	r := s.must("stack", "export")
	var d struct {
		Deployment snapshot `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(r.out), &d); err != nil {
		s.t.Fatalf("stack export: %v", err)
	}
	return d.Deployment
}

// objects are the Kubernetes objects the state holds (kind from the type
// token, namespace/name from the id).
func (sn snapshot) objects() map[object]bool {
	out := map[object]bool{}
	for _, r := range sn.Resources {
		if !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "pulumi:") {
			continue
		}
		kind := r.Type[strings.LastIndex(r.Type, ":")+1:]
		ns, name, ok := strings.Cut(r.ID, "/")
		if !ok {
			ns, name = "", r.ID
		}
		out[object{kind, ns, name}] = true
	}
	return out
}

// engineManager is the prefix of the field managers the Kubernetes
// provider writes under with server-side apply (pulumi-kubernetes-<random>);
// objects with none of them were not written by the engine (controllers'
// ReplicaSets, Pods, Endpoints, the API server's own objects).
const engineManager = "pulumi-kubernetes"

// liveObjects lists every object on the API server that the engine wrote,
// but those already being deleted.
func (s *stack) liveObjects() map[object]bool {
	s.t.Helper()
	kinds, err := s.cluster.Kubectl("api-resources", "--verbs=list,create", "-o", "name")
	if err != nil {
		s.t.Fatal(err)
	}
	var list []string
	for _, k := range strings.Fields(kinds) {
		// Events and leases are written by everyone, never by the program.
		if k == "events" || k == "events.events.k8s.io" || strings.HasPrefix(k, "leases.") {
			continue
		}
		list = append(list, k)
	}
	out, err := s.cluster.Kubectl("get", strings.Join(list, ","), "-A", "-o", "json", "--show-managed-fields")
	if err != nil {
		s.t.Fatal(err)
	}
	var items struct {
		Items []struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
				// DeletionTimestamp is set on an object being deleted
				// (a namespace waiting for its contents to go).
				DeletionTimestamp string `json:"deletionTimestamp"`
				ManagedFields     []struct {
					Manager string `json:"manager"`
				} `json:"managedFields"`
			} `json:"metadata"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		s.t.Fatalf("kubectl get: %v", err)
	}
	live := map[object]bool{}
	for _, it := range items.Items {
		if it.Metadata.DeletionTimestamp != "" {
			continue
		}
		for _, m := range it.Metadata.ManagedFields {
			if strings.HasPrefix(m.Manager, engineManager) {
				live[object{it.Kind, it.Metadata.Namespace, it.Metadata.Name}] = true
				break
			}
		}
	}
	return live
}

// converged checks what a run after a fault must leave: no pending
// operation in the state, every object the engine wrote on the API server
// in the state (none orphaned), every object of the state on the API
// server, and a preview with no change.
func (s *stack) converged(extraPreviewFlags ...string) {
	s.t.Helper()
	snap := s.export()
	var problems []string
	for _, p := range snap.Pending {
		problems = append(problems, fmt.Sprintf("pending %s of %s", p.Type, p.Resource.URN))
	}
	state, live := snap.objects(), s.liveObjects()
	if len(state) == 0 {
		problems = append(problems, "no Kubernetes object in the state")
	}
	problems = append(problems, diffObjects("on the API server but not in the state (orphaned)", live, state)...)
	problems = append(problems, diffObjects("in the state but not on the API server", state, live)...)
	if len(problems) > 0 {
		s.t.Fatalf("not converged (%d objects in the state, %d written by the engine on the API server):\n  %s",
			len(state), len(live), strings.Join(problems, "\n  "))
	}
	s.expectNoChanges(extraPreviewFlags...)
	s.t.Logf("converged: %d objects, in the state and on the API server alike", len(state))
}

// destroyed checks what a destroy must leave: an empty state and no object
// of the engine's on the API server.
func (s *stack) destroyed() {
	s.t.Helper()
	snap := s.export()
	var problems []string
	for o := range snap.objects() {
		problems = append(problems, "still in the state: "+o.String())
	}
	for _, p := range snap.Pending {
		problems = append(problems, fmt.Sprintf("pending %s of %s", p.Type, p.Resource.URN))
	}
	for o := range s.liveObjects() {
		problems = append(problems, "still on the API server: "+o.String())
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		s.t.Fatalf("not destroyed:\n  %s", strings.Join(problems, "\n  "))
	}
}

// diffObjects lists, under label, the objects of a missing from b.
func diffObjects(label string, a, b map[object]bool) []string {
	var out []string
	for o := range a {
		if !b[o] {
			out = append(out, label+": "+o.String())
		}
	}
	slices.Sort(out)
	return out
}
