// Package stacks_test checks the stack layout: every stack file of the
// repository is valid, each workload stack finds its cluster through a
// StackReference to its platform stack and reads exactly what that stack
// exports, and a wrong combination of layer, target and platform stack is
// refused under the key to edit.
package stacks_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	stackout "github.com/ack-platform/ack-platform/stacks/outputs"
	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

const (
	tStackRef  = "pulumi:pulumi:StackReference"
	tK8sProv   = "pulumi:providers:kubernetes"
	tService   = "kubernetes:core/v1:Service"
	tDeploy    = "kubernetes:apps/v1:Deployment"
	credential = "alicloud:cs/getClusterCredential:getClusterCredential"
)

// The agreed layout: two platform stacks, four workload stacks (one
// environment each) and local.
var (
	platformStacks = []string{"platform-nonprod", "platform-prod"}
	platformOf     = map[string]string{"dev": "platform-nonprod", "test": "platform-nonprod", "staging": "platform-nonprod", "prod": "platform-prod"}
)

var str = harness.Str

func TestTheRepositoryHoldsTheAgreedStacks(t *testing.T) {
	t.Parallel()
	got, err := stackfile.Stacks(stackconfig.Root(t))
	require.NoError(t, err)
	want := append(slices.Clone(platformStacks), "local")
	want = append(want, slices.Collect(maps.Keys(platformOf))...)
	assert.ElementsMatch(t, want, got)
}

// Every stack file of the repository passes the program's validation and
// runs under mocks: the config tests cover every file, not a chosen few.
func TestEveryStackFileIsValid(t *testing.T) {
	t.Parallel()
	stacks, err := stackfile.Stacks(stackconfig.Root(t))
	require.NoError(t, err)
	require.NotEmpty(t, stacks)
	for _, stack := range stacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			res := harness.MustRun(t, stack, nil)
			assert.NotEmpty(t, res.Outputs, "the stack exports its outputs")
		})
	}
}

func TestPlatformStacksDeployNoWorkloads(t *testing.T) {
	t.Parallel()
	for _, stack := range platformStacks {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			cfg, _ := stackconfig.Load(t, stack, nil)
			assert.Equal(t, "platform", cfg["ack-platform:layer"])
			res := harness.MustRun(t, stack, nil)
			for _, r := range res.Resources {
				assert.False(t, strings.HasPrefix(r.Type, "kubernetes:"), "%s %s: a platform stack deploys nothing into the cluster", r.Type, r.Name)
			}
			assert.Empty(t, res.OfType(tK8sProv), "no Kubernetes provider: the platform stack needs no path into the VPC")
			for _, c := range res.Calls {
				assert.NotEqual(t, credential, c.Token, "no cluster credential is fetched or kept in a platform stack")
			}
			for _, k := range []string{stackout.ClusterID, stackout.ClusterReady, stackout.APIServerEndpoint, stackout.VpcID,
				stackout.EgressIP, stackout.SlbID, stackout.SlbAddress, stackout.RegistryEndpoint, stackout.RegistryVpcEndpoint,
				stackout.ImageRepositories, stackout.RrsaIssuer, stackout.Region} {
				assert.Contains(t, res.Outputs, k, "agreed platform output")
			}
			assert.NotContains(t, res.Outputs, stackout.Kubeconfig)
		})
	}
}

// Each workload stack holds one environment, named like the stack, and
// reads its cluster, load balancer and registry from its platform stack's
// outputs through a StackReference (answered by that stack run under the
// same mocks).
func TestWorkloadStacksReadTheirPlatformStack(t *testing.T) {
	t.Parallel()
	for stack, platform := range platformOf {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			cfg, _ := stackconfig.Load(t, stack, nil)
			assert.JSONEq(t, `"organization/ack-platform/`+platform+`"`, `"`+cfg["ack-platform:platformStack"]+`"`)
			assert.Empty(t, cfg["ack-platform:platform"], "the cluster's settings live in the platform stack file")
			assert.Contains(t, cfg["ack-platform:environments"], `"`+stack+`":`)
			assert.Equal(t, 1, strings.Count(cfg["ack-platform:environments"], `"releases":`), "one environment per workload stack")

			plat := harness.MustRun(t, platform, nil)
			res := harness.MustRun(t, stack, nil)

			refs := res.OfType(tStackRef)
			require.Len(t, refs, 1, "one StackReference, to the platform stack")
			assert.Equal(t, "organization/ack-platform/"+platform, str(refs[0].Input("name")))

			// The credential is fetched for the cluster the platform stack
			// reports ready, and only once.
			var ids []string
			for _, c := range res.Calls {
				if c.Token == credential {
					ids = append(ids, c.Args["clusterId"].StringValue())
				}
			}
			assert.Equal(t, []string{plat.Outputs[stackout.ClusterReady].Value.(string)}, ids)
			provs := res.OfType(tK8sProv)
			require.Len(t, provs, 1)
			assert.True(t, provs[0].Input("kubeconfig").IsSecret())
			assert.Equal(t, plat.Outputs[stackout.ClusterID].Value, str(provs[0].Input("clusterIdentifier")),
				"the provider is pinned to the cluster id, so a new credential never replaces it")
			// A runner inside the VPC talks to the private endpoint the
			// platform exports, with the credential ACK issued.
			kc := str(provs[0].Input("kubeconfig"))
			assert.Contains(t, kc, "server: "+plat.Outputs[stackout.APIServerEndpoint].Value.(string))
			assert.NotContains(t, kc, harness.PublicServer)
			assert.Contains(t, kc, harness.KubeconfigCanary, "the credential itself is kept")

			// Images come from the platform's VPC registry endpoint.
			registry := plat.Outputs[stackout.RegistryVpcEndpoint].Value.(string)
			require.NotEmpty(t, registry)
			deps := res.OfType(tDeploy)
			require.NotEmpty(t, deps)
			for _, d := range deps {
				if d.ParentType() == "ack-platform:workloads:IngressController" || strings.HasPrefix(d.Name, "ingress") {
					continue // the controller's image is not a catalog service
				}
				for _, c := range d.Input("spec").ObjectValue()["template"].ObjectValue()["spec"].ObjectValue()["containers"].ArrayValue() {
					assert.True(t, strings.HasPrefix(str(c.ObjectValue()["image"]), registry+"/"), "%s pulls %s from %s", d.Name, str(c.ObjectValue()["image"]), registry)
				}
			}
			// The ingress controller's Service, where this stack runs it,
			// binds the platform's CLB.
			for _, s := range res.OfType(tService) {
				ann := s.Input("metadata").ObjectValue()["annotations"]
				if ann.IsObject() {
					if id, ok := ann.ObjectValue()["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id"]; ok {
						assert.Equal(t, plat.Outputs[stackout.SlbID].Value, str(id))
					}
				}
			}
		})
	}
}

// clusterEndpoint public keeps the Internet endpoint of the credential, for
// a cluster whose public endpoint is behind an allow-list.
func TestPublicClusterEndpoint(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "staging", map[string]string{"ack-platform:clusterEndpoint": "public"})
	provs := res.OfType(tK8sProv)
	require.Len(t, provs, 1)
	assert.Contains(t, str(provs[0].Input("kubeconfig")), "server: "+harness.PublicServer)
}

// A platform stack that lacks an output its workload stacks need fails the
// workload stack's run naming the output and the key that chose the stack.
func TestMissingPlatformOutputIsNamed(t *testing.T) {
	t.Parallel()
	plat := harness.MustRun(t, "platform-nonprod", nil)
	outs := maps.Clone(plat.Outputs)
	delete(outs, stackout.ClusterReady)
	_, err := harness.RunWith(t, "test", nil, harness.StackOutputs{"organization/ack-platform/platform-nonprod": outs})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ack-platform:platformStack")
	assert.Contains(t, err.Error(), stackout.ClusterReady)
}

// Wrong combinations of layer, target and platform stack are refused before
// anything is registered, each under the key to edit.
func TestBadLayerCombinationsNameTheKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stack string
		overrides   map[string]string
		key, msg    string
	}{
		{"unknown layer", "dev", map[string]string{"ack-platform:layer": "infra"}, "ack-platform:layer", `"infra" is not one of platform, workloads`},
		{"unknown target", "dev", map[string]string{"ack-platform:target": "aws"}, "ack-platform:target", `"aws" is not one of alicloud, local`},
		{"workload stack without platform stack", "test", map[string]string{"ack-platform:platformStack": ""}, "ack-platform:platformStack", "finds its cluster through its platform stack"},
		{"platform stack not fully qualified", "staging", map[string]string{"ack-platform:platformStack": "platform-nonprod"}, "ack-platform:platformStack", "is not a fully qualified stack name"},
		{"cluster settings in a workload stack", "dev", map[string]string{"ack-platform:platform": `{"zones":["cn-hangzhou-i","cn-hangzhou-j"]}`}, "ack-platform:platform", "move this key to that stack's file"},
		{"registry settings in a workload stack", "prod", map[string]string{"ack-platform:registry": `{"edition":"enterprise","namespace":"acme-iot"}`}, "ack-platform:registry", "the registry belongs to the platform stack"},
		{"environments in a platform stack", "platform-nonprod", map[string]string{"ack-platform:environments": `{"dev":{"releases":{}}}`}, "ack-platform:environments", "a platform stack deploys no workloads"},
		{"ingress in a platform stack", "platform-prod", map[string]string{"ack-platform:ingress": `{"controller":"managed"}`}, "ack-platform:ingress", "a platform stack deploys no workloads"},
		{"platform stack naming a platform stack", "platform-prod", map[string]string{"ack-platform:platformStack": "organization/ack-platform/platform-nonprod"}, "ack-platform:platformStack", "names no platform stack itself"},
		{"platform stack without cluster settings", "platform-nonprod", map[string]string{"ack-platform:platform": ""}, "ack-platform:platform", "required for a platform stack"},
		{"local platform stand-in without kubeconfig", "local", map[string]string{"ack-platform:layer": "platform", "ack-platform:environments": "", "ack-platform:ingress": "", "ack-platform:nacos": ""}, "ack-platform:kubeconfig", "stands in for a cluster"},
		{"local stack with platform stack and kubeconfig", "local", map[string]string{"ack-platform:platformStack": "organization/ack-platform/platform-local", "secret:ack-platform:kubeconfig": "apiVersion: v1"}, "ack-platform:kubeconfig", "remove one of the two"},
		{"kubeconfig without a server", "local", map[string]string{"secret:ack-platform:kubeconfig": "apiVersion: v1\nusers: [{name: a, user: {token: " + tokenCanary + "}}]\n"}, "ack-platform:kubeconfig", "no cluster server"},
		{"unknown cluster endpoint", "prod", map[string]string{"ack-platform:clusterEndpoint": "vpn"}, "ack-platform:clusterEndpoint", `"vpn" is not one of private, public`},
		{"cluster endpoint on the local target", "local", map[string]string{"ack-platform:clusterEndpoint": "public"}, "ack-platform:clusterEndpoint", "only read by a workload stack on the alicloud target"},
		{"local settings on the cloud", "dev", map[string]string{"ack-platform:local": `{"renderDir":"x"}`}, "ack-platform:local", "only read on the local target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := harness.Run(t, c.stack, c.overrides)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.key+": ")
			assert.Contains(t, err.Error(), c.msg)
			assert.Empty(t, res.Resources, "nothing may be registered")
			assert.NotContains(t, err.Error(), tokenCanary, "a problem never quotes a credential")
		})
	}
}

const tokenCanary = "kubeconfig-token-canary-41c9"
