// Package harness runs the program under Pulumi mocks on a real stack
// config and records everything it registers and calls, so tests assert on
// what `pulumi up` would ask the providers for.
package harness

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/ack-platform/ack-platform/stacks"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// Project is the Pulumi project name.
const Project = "ack-platform"

// Resource is one registered resource.
type Resource struct {
	Type    string
	Name    string
	Custom  bool
	Inputs  resource.PropertyMap
	Parent  string // parent URN; the stack for top-level resources
	Protect bool
	// IgnoreChanges and Provider are as passed in the resource options.
	IgnoreChanges []string
	Provider      string
	// Dependencies are the URNs the resource waits for: its dependsOn and
	// the resources its inputs come from.
	Dependencies []string
}

// ParentName is the logical name of the parent resource ("" for the stack).
func (r Resource) ParentName() string {
	if strings.HasSuffix(r.Parent, "pulumi:pulumi:Stack::"+Project+"-"+stackOf(r.Parent)) {
		return ""
	}
	i := strings.LastIndex(r.Parent, "::")
	return r.Parent[i+2:]
}

// ParentType is the type token of the parent resource.
func (r Resource) ParentType() string {
	i := strings.LastIndex(r.Parent, "::")
	if i < 0 {
		return ""
	}
	t := r.Parent[:i]
	j := strings.LastIndex(t, "::")
	t = t[j+2:]
	if k := strings.LastIndex(t, "$"); k >= 0 {
		t = t[k+1:]
	}
	return t
}

func stackOf(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 2 {
		return ""
	}
	return strings.TrimPrefix(parts[0], "urn:pulumi:")
}

// Input returns an input property by name (empty value when absent).
func (r Resource) Input(name string) resource.PropertyValue {
	return r.Inputs[resource.PropertyKey(name)]
}

// Output is an awaited stack output.
type Output struct {
	Value  any
	Known  bool
	Secret bool
}

// Result is what one run registered.
type Result struct {
	Resources []Resource
	Calls     []pulumi.MockCallArgs
	Outputs   map[string]Output
}

// OfType returns the resources of a type token, in registration order.
func (r *Result) OfType(token string) []Resource {
	var out []Resource
	for _, res := range r.Resources {
		if res.Type == token {
			out = append(out, res)
		}
	}
	return out
}

// Named returns the resource of a type with a logical name.
func (r *Result) Named(token, name string) (Resource, bool) {
	for _, res := range r.Resources {
		if res.Type == token && res.Name == name {
			return res, true
		}
	}
	return Resource{}, false
}

// Run runs the program for stack with the real stack config, the
// operator's secrets (fakes, see stackconfig.WithOperatorSecrets) and
// overrides (see stackconfig.Load), and returns what it registered and the
// program's error.
func Run(t testing.TB, stack string, overrides map[string]string) (*Result, error) {
	t.Helper()
	cfg, secretKeys := stackconfig.Load(t, stack, stackconfig.WithOperatorSecrets(stack, overrides))
	m := &mocks{}
	var outputs pulumi.Map
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		out, err := stacks.Build(ctx)
		outputs = out
		return err
	}, pulumi.WithMocks(Project, stack, m), func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.ConfigSecretKeys = secretKeys
	})
	res := &Result{Outputs: map[string]Output{}}
	m.mu.Lock()
	res.Resources = slices.Clone(m.resources)
	res.Calls = slices.Clone(m.calls)
	m.mu.Unlock()
	for k, o := range outputs {
		r, awaitErr := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(o))
		if awaitErr != nil {
			t.Fatalf("output %s: %v", k, awaitErr)
		}
		res.Outputs[k] = Output{Value: r.Value, Known: r.Known, Secret: r.Secret}
	}
	return res, err
}

// MustRun is Run that fails the test on a program error.
func MustRun(t testing.TB, stack string, overrides map[string]string) *Result {
	t.Helper()
	res, err := Run(t, stack, overrides)
	if err != nil {
		t.Fatalf("program failed on stack %s: %v", stack, err)
	}
	return res
}

// KubeconfigCanary is inside the mocked cluster credential, so tests can
// look for it in places a kubeconfig must never appear in plain text.
const KubeconfigCanary = "mock-kubeconfig-canary-7f3a"

type mocks struct {
	mu        sync.Mutex
	resources []Resource
	calls     []pulumi.MockCallArgs
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = rpc.GetParent()
		r.Protect = rpc.GetProtect()
		r.IgnoreChanges = rpc.GetIgnoreChanges()
		r.Dependencies = rpc.GetDependencies()
		for _, deps := range rpc.GetPropertyDependencies() {
			r.Dependencies = append(r.Dependencies, deps.GetUrns()...)
		}
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	outs := args.Inputs.Copy()
	id := args.Name + "-id"
	// Computed outputs the program reads, with recognisable values.
	set := func(k string, v any) { outs[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	switch args.TypeToken {
	case "alicloud:vpc/natGateway:NatGateway":
		set("snatTableIds", "stb-"+args.Name)
	case "alicloud:ecs/eipAddress:EipAddress":
		set("ipAddress", "47.96.10.1")
	case "alicloud:cs/managedKubernetes:ManagedKubernetes":
		id = "c" + strings.ReplaceAll(args.Name, "-", "")
		set("securityGroupId", "sg-"+id)
		set("connections", map[string]any{
			"apiServerIntranet": "https://10.0.0.10:6443",
			"apiServerInternet": "",
			"masterPublicIp":    "",
			"serviceDomain":     "*." + id + ".cn-hangzhou.alicontainer.com",
		})
		set("rrsaMetadata", map[string]any{
			"enabled":             true,
			"rrsaOidcIssuerUrl":   "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/" + id,
			"ramOidcProviderArn":  "acs:ram::123:oidc-provider/ack-rrsa-" + id,
			"ramOidcProviderName": "ack-rrsa-" + id,
		})
	case "alicloud:cs/nodePool:NodePool":
		set("nodePoolId", "np-"+args.Name)
	case "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer":
		id = "lb-" + args.Name
		set("address", "47.97.20.2")
	case "pulumi:pulumi:StackReference":
		set("outputs", map[string]any{
			"registryEndpoint":    "acme-registry.cn-hangzhou.cr.aliyuncs.com",
			"registryVpcEndpoint": "acme-registry-vpc.cn-hangzhou.cr.aliyuncs.com",
			"registryInstanceId":  "cri-acmeprod",
		})
		set("secretOutputNames", []any{})
	}
	return id, outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	switch args.Token {
	case "alicloud:cs/getClusterCredential:getClusterCredential":
		id := args.Args["clusterId"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":         id,
			"clusterId":  id,
			"kubeConfig": fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: https://10.0.0.10:6443\nusers:\n- name: admin\n  user:\n    token: %s\n", id, KubeconfigCanary),
		}), nil
	}
	return args.Args, nil
}
