package workloads_test

import (
	"encoding/json"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
)

// run runs the whole program (stacks.Build) under the shared mock harness
// on a stack's real config plus overrides (see stackconfig.Load), and
// returns what it registered, its outputs as plain JSON values and its error.
func run(t testing.TB, stack string, overrides map[string]string) ([]Resource, map[string]any, error) {
	t.Helper()
	res, err := harness.Run(t, stack, overrides)
	resources := make([]Resource, 0, len(res.Resources))
	for _, r := range res.Resources {
		resources = append(resources, Resource{Type: r.Type, Name: r.Name, Inputs: r.Inputs, Parent: r.Parent, Provider: r.Provider})
	}
	outputs := map[string]any{}
	for k, o := range res.Outputs {
		b, mErr := json.Marshal(o.Value)
		if mErr != nil {
			t.Fatalf("output %s: %v", k, mErr)
		}
		var v any
		if mErr := json.Unmarshal(b, &v); mErr != nil {
			t.Fatalf("output %s: %v", k, mErr)
		}
		outputs[k] = v
	}
	return resources, outputs, err
}

func mustRun(t testing.TB, stack string, overrides map[string]string) ([]Resource, map[string]any) {
	t.Helper()
	res, out, err := run(t, stack, overrides)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return res, out
}
