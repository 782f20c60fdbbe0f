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
	// Dependencies are the URNs of the resources the output waits for.
	Dependencies []string
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
	return RunWith(t, stack, overrides, nil)
}

// StackOutputs answer a StackReference: fully qualified stack name to its
// outputs. A reference to a stack not listed is answered with the outputs
// of that stack of the repository (Pulumi.<stack>.yaml) run under the same
// mocks, so a workload stack reads what its platform stack really exports.
type StackOutputs map[string]map[string]Output

// RunWith is Run with the given answers to StackReferences.
func RunWith(t testing.TB, stack string, overrides map[string]string, refs StackOutputs) (*Result, error) {
	t.Helper()
	cfg, secretKeys := stackconfig.Load(t, stack, stackconfig.WithOperatorSecrets(stack, overrides))
	m := &mocks{t: t, refs: refs}
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
		out := Output{Value: r.Value, Known: r.Known, Secret: r.Secret}
		for _, dep := range r.Dependencies {
			urn, err := internals.UnsafeAwaitOutput(context.Background(), dep.URN())
			if err != nil {
				t.Fatalf("output %s: dependency URN: %v", k, err)
			}
			if s, ok := urn.Value.(pulumi.URN); ok {
				out.Dependencies = append(out.Dependencies, string(s))
			} else if s, ok := urn.Value.(string); ok {
				out.Dependencies = append(out.Dependencies, s)
			}
		}
		res.Outputs[k] = out
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

// PublicServer is the API server of the mocked cluster credential, the
// Internet endpoint; the cluster's private endpoint (apiServerIntranet) is
// https://10.0.0.10:6443.
const PublicServer = "https://47.96.0.10:6443"

// KubeconfigCanary is inside the mocked cluster credential, so tests can
// look for it in places a kubeconfig must never appear in plain text.
const KubeconfigCanary = "mock-kubeconfig-canary-7f3a"

type mocks struct {
	t         testing.TB
	refs      StackOutputs
	mu        sync.Mutex
	resources []Resource
	calls     []pulumi.MockCallArgs
}

// referencedStack is the outputs a StackReference to name reads.
func (m *mocks) referencedStack(name string) (map[string]Output, error) {
	if outs, ok := m.refs[name]; ok {
		return outs, nil
	}
	parts := strings.Split(name, "/")
	if len(parts) != 3 || parts[1] != Project {
		return nil, fmt.Errorf("stack reference %q: not a stack of project %s", name, Project)
	}
	return platformOutputs(m.t, parts[2])
}

// platformRuns caches the outputs of referenced stacks run under mocks.
var platformRuns sync.Map // stack name -> *platformRun

type platformRun struct {
	once sync.Once
	outs map[string]Output
	err  error
}

func platformOutputs(t testing.TB, stack string) (map[string]Output, error) {
	v, _ := platformRuns.LoadOrStore(stack, &platformRun{})
	run := v.(*platformRun)
	run.once.Do(func() {
		res, err := Run(t, stack, nil)
		if err != nil {
			run.err = fmt.Errorf("referenced stack %s: %w", stack, err)
			return
		}
		run.outs = res.Outputs
	})
	return run.outs, run.err
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
		// The engine answers a StackReference with the referenced stack's
		// outputs and the names of the secret ones.
		ref, err := m.referencedStack(args.Inputs["name"].StringValue())
		if err != nil {
			return "", nil, err
		}
		values := resource.PropertyMap{}
		var secrets []any
		for k, o := range ref {
			v := resource.NewPropertyValue(o.Value)
			if !o.Known {
				v = resource.MakeComputed(resource.NewStringProperty(""))
			}
			if o.Secret {
				secrets = append(secrets, k)
			}
			values[resource.PropertyKey(k)] = v
		}
		outs["outputs"] = resource.NewObjectProperty(values)
		set("secretOutputNames", secrets)
		id = args.Inputs["name"].StringValue()
	}
	return id, outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	switch args.Token {
	case "alicloud:cs/getClusterCredential:getClusterCredential":
		// The provider asks for the Internet credential
		// (PrivateIpAddress=false): its server is the public endpoint.
		id := args.Args["clusterId"].StringValue()
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":         id,
			"clusterId":  id,
			"kubeConfig": fmt.Sprintf("apiVersion: v1\nkind: Config\nclusters:\n- name: %s\n  cluster:\n    server: "+PublicServer+"\nusers:\n- name: admin\n  user:\n    token: %s\n", id, KubeconfigCanary),
		}), nil
	}
	return args.Args, nil
}

// Str is the string inside a property value, secret or not ("" otherwise).
func Str(v resource.PropertyValue) string {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}
