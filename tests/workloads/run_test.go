package workloads_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/ack-platform/ack-platform/stacks"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// recorder is a Pulumi mock that records every registered resource.
type recorder struct {
	mu        sync.Mutex
	resources []Resource
}

func (m *recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return args.Name + "-id", args.Inputs, nil
}

func (m *recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

// run runs the whole program (stacks.Build) on a stack's real config plus
// overrides (see stackconfig.Load), and returns what it registered, its
// awaited outputs and its error.
func run(t testing.TB, stack string, overrides map[string]string) ([]Resource, map[string]any, error) {
	t.Helper()
	cfg, secretKeys := stackconfig.Load(t, stack, overrides)
	m := &recorder{}
	outputs := map[string]any{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := stacks.Build(ctx)
		for k, v := range out {
			o, ok := v.(pulumi.Output)
			if !ok {
				o = pulumi.ToOutput(v)
			}
			r, err := internals.UnsafeAwaitOutput(context.Background(), o)
			if err != nil {
				return err
			}
			// Plain JSON values, whatever Go types the outputs hold.
			b, err := json.Marshal(r.Value)
			if err != nil {
				return err
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				return err
			}
			outputs[k] = v
		}
		return err
	}, pulumi.WithMocks("ack-platform", stack, m), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.ConfigSecretKeys = secretKeys
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...), outputs, err
}

func mustRun(t testing.TB, stack string, overrides map[string]string) ([]Resource, map[string]any) {
	t.Helper()
	res, out, err := run(t, stack, overrides)
	if err != nil {
		t.Fatalf("stack %s: %v", stack, err)
	}
	return res, out
}
