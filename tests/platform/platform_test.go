package platform_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

const (
	tVPC        = "alicloud:vpc/network:Network"
	tSwitch     = "alicloud:vpc/switch:Switch"
	tNAT        = "alicloud:vpc/natGateway:NatGateway"
	tEIP        = "alicloud:ecs/eipAddress:EipAddress"
	tEIPAssoc   = "alicloud:ecs/eipAssociation:EipAssociation"
	tSNAT       = "alicloud:vpc/snatEntry:SnatEntry"
	tAutoscaler = "alicloud:cs/autoscalingConfig:AutoscalingConfig"
	tVpcLink    = "alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc"
	tInternetEP = "alicloud:cr/internetEndpoint:InternetEndpoint"
	tCluster    = "alicloud:cs/managedKubernetes:ManagedKubernetes"
	tAddon      = "alicloud:cs/kubernetesAddon:KubernetesAddon"
	tNodePool   = "alicloud:cs/nodePool:NodePool"
	tSLB        = "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer"
	tEEInstance = "alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance"
	tEENS       = "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace"
	tEERepo     = "alicloud:cs/registryEnterpriseRepo:RegistryEnterpriseRepo"
	tStackRef   = "pulumi:pulumi:StackReference"
	tK8sProv    = "pulumi:providers:kubernetes"
	credential  = "alicloud:cs/getClusterCredential:getClusterCredential"
)

func str(v resource.PropertyValue) string {
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func strs(v resource.PropertyValue) []string {
	var out []string
	if v.IsArray() {
		for _, e := range v.ArrayValue() {
			out = append(out, str(e))
		}
	}
	return out
}

func obj(v resource.PropertyValue) resource.PropertyMap {
	if v.IsObject() {
		return v.ObjectValue()
	}
	return resource.PropertyMap{}
}

// inputsOf returns the named inputs of every resource of a type.
func inputsOf(res []harness.Resource, key string) []string {
	var out []string
	for _, r := range res {
		out = append(out, str(r.Input(key)))
	}
	return out
}

func TestDevStackPlatform(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "platform-nonprod", nil)

	zones := []string{"cn-hangzhou-i", "cn-hangzhou-j"}
	counts := map[string]int{
		tVPC: 1, tSwitch: 4, tNAT: 1, tEIP: 1, tEIPAssoc: 1, tSNAT: 4,
		tCluster: 1, tAddon: 4, tNodePool: 2, tSLB: 1, tStackRef: 1, tAutoscaler: 1,
		// dev deploys from prod's registry and owns none, but links its VPC.
		tEEInstance: 0, tEENS: 0, tEERepo: 0, tVpcLink: 1, tInternetEP: 0,
	}
	for typ, n := range counts {
		assert.Len(t, res.OfType(typ), n, typ)
	}

	vpc := res.OfType(tVPC)[0]
	assert.Equal(t, "10.10.0.0/16", str(vpc.Input("cidrBlock")))
	assert.False(t, vpc.Protect, "dev VPC is not protected")

	switches := res.OfType(tSwitch)
	assert.ElementsMatch(t, append(zones, zones...), inputsOf(switches, "zoneId"))
	assert.ElementsMatch(t, []string{"10.10.0.0/22", "10.10.4.0/22", "10.10.64.0/19", "10.10.96.0/19"}, inputsOf(switches, "cidrBlock"))

	nat := res.OfType(tNAT)[0]
	assert.Equal(t, "Enhanced", str(nat.Input("natType")))
	assert.Equal(t, "internet", str(nat.Input("networkType")))

	c := res.OfType(tCluster)[0]
	assert.Equal(t, "ack.pro.small", str(c.Input("clusterSpec")))
	assert.Equal(t, "1.33.1-aliyun.1", str(c.Input("version")))
	assert.Equal(t, "172.16.0.0/16", str(c.Input("serviceCidr")))
	assert.False(t, c.Input("deletionProtection").BoolValue())
	assert.False(t, c.Input("slbInternetEnabled").BoolValue(), "API server private by default")
	assert.False(t, c.Input("newNatGateway").BoolValue(), "NAT comes from the network component")
	assert.True(t, c.Input("enableRrsa").BoolValue())
	assert.Len(t, c.Input("podVswitchIds").ArrayValue(), 2, "Terway gets one pod vSwitch per zone")
	assert.Len(t, c.Input("vswitchIds").ArrayValue(), 2)
	assert.Equal(t, []string{"terway-eniip"}, namesOf(c.Input("addons")))
	assert.ElementsMatch(t, []string{"csi-plugin", "csi-provisioner", "ack-node-problem-detector", "aliyun-acr-credential-helper"}, inputsOf(res.OfType(tAddon), "name"))
	assertDeleteOptionsRetainSLB(t, c)

	pools := map[string]harness.Resource{}
	for _, p := range res.OfType(tNodePool) {
		pools[str(p.Input("nodePoolName"))] = p
	}
	require.Contains(t, pools, "general")
	require.Contains(t, pools, "spot")
	for name, p := range pools {
		sc := obj(p.Input("scalingConfig"))
		assert.True(t, sc["enable"].BoolValue(), name)
		assert.True(t, p.Input("desiredSize").IsNull(), "%s: an autoscaling pool sets no desired size", name)
		assert.Contains(t, p.IgnoreChanges, "desiredSize", name)
		assert.Len(t, p.Input("vswitchIds").ArrayValue(), 2, "%s spans both zones", name)
		m := obj(p.Input("management"))
		for _, k := range []string{"enable", "autoRepair", "autoUpgrade", "autoVulFix"} {
			assert.True(t, m[resource.PropertyKey(k)].BoolValue(), "%s management.%s", name, k)
		}
		assert.True(t, m["surge"].IsNull(), "%s: management.surge is deprecated", name)
		assert.Equal(t, 1.0, obj(p.Input("rollingPolicy"))["maxParallelism"].NumberValue(), name)
		assert.Equal(t, 1.0, m["maxUnavailable"].NumberValue(), name)
	}
	assert.Equal(t, 2.0, obj(pools["general"].Input("scalingConfig"))["minSize"].NumberValue())
	assert.Equal(t, 6.0, obj(pools["general"].Input("scalingConfig"))["maxSize"].NumberValue())
	assert.Equal(t, "SpotAsPriceGo", str(pools["spot"].Input("spotStrategy")))
	assert.Equal(t, "BALANCE", str(pools["general"].Input("multiAzPolicy")))
	assert.True(t, pools["general"].Input("spotStrategy").IsNull())
	assert.Len(t, pools["spot"].Input("taints").ArrayValue(), 1)

	slb := res.OfType(tSLB)[0]
	assert.Equal(t, "internet", str(slb.Input("addressType")))
	assert.True(t, slb.Input("loadBalancerSpec").IsNull(), "a pay-by-CLCU CLB has no spec")
	assert.Equal(t, "off", str(slb.Input("deleteProtection")))

	ref := res.OfType(tStackRef)[0]
	assert.Equal(t, "organization/ack-platform/platform-prod", str(ref.Input("name")))

	assertNoCredential(t, res)
	assertStructure(t, res)
	assertOutputs(t, res)
}

func TestProdStackPlatform(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "platform-prod", nil)

	counts := map[string]int{
		tVPC: 1, tSwitch: 6, tNAT: 1, tEIP: 1, tEIPAssoc: 1, tSNAT: 6,
		tCluster: 1, tAddon: 4, tNodePool: 2, tSLB: 1, tStackRef: 0,
		tEEInstance: 1, tEENS: 1, tVpcLink: 1, tInternetEP: 0,
	}
	for typ, n := range counts {
		assert.Len(t, res.OfType(typ), n, typ)
	}

	inst := res.OfType(tEEInstance)[0]
	assert.Equal(t, "Standard", str(inst.Input("instanceType")))
	assert.Equal(t, "acme-iot", str(res.OfType(tEENS)[0].Input("name")))
	assert.Equal(t, "PRIVATE", str(res.OfType(tEENS)[0].Input("defaultVisibility")))
	repos := res.OfType(tEERepo)
	require.NotEmpty(t, repos)
	for _, r := range repos {
		assert.Equal(t, "PRIVATE", str(r.Input("repoType")), r.Name)
		assert.True(t, r.Input("tagImmutability").BoolValue(), "%s: tags are immutable", r.Name)
	}
	assert.Contains(t, inputsOf(repos, "name"), "gateway")
	// The registry serves the workload stacks' mirrored images too, which
	// the platform stack cannot see (dev runs ingress-nginx, every
	// environment an in-cluster Nacos); without a declared repository the
	// mirror's push is refused (automatic creation is off).
	assert.Contains(t, inputsOf(repos, "name"), "ingress-nginx-controller")
	assert.Contains(t, inputsOf(repos, "name"), "nacos-server")

	pools := map[string]harness.Resource{}
	for _, p := range res.OfType(tNodePool) {
		pools[str(p.Input("nodePoolName"))] = p
	}
	assert.Equal(t, "3", str(pools["stateful"].Input("desiredSize")), "fixed pool keeps its desired size")
	assert.True(t, pools["stateful"].Input("scalingConfig").IsNull())
	assert.NotContains(t, pools["stateful"].IgnoreChanges, "desiredSize")

	assertNoCredential(t, res)
	assertStructure(t, res)
	assertOutputs(t, res)
	assert.Len(t, res.Outputs["imageRepositories"].Value, len(repos))
}

// The production invariants of RELIABILITY.md, each its own test so a
// regression names the invariant it breaks.
func TestProdInvariants(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "platform-prod", nil)

	t.Run("protect on what must never be lost", func(t *testing.T) {
		for _, typ := range []string{tVPC, tCluster, tSLB, tEEInstance, tEENS} {
			for _, r := range res.OfType(typ) {
				assert.True(t, r.Protect, "%s %s must be protected", typ, r.Name)
			}
		}
	})
	t.Run("deletion protection", func(t *testing.T) {
		assert.True(t, res.OfType(tCluster)[0].Input("deletionProtection").BoolValue())
		slb := res.OfType(tSLB)[0]
		assert.Equal(t, "on", str(slb.Input("deleteProtection")))
		assert.Equal(t, "ConsoleProtection", str(slb.Input("modificationProtectionStatus")))
	})
	t.Run("three zones", func(t *testing.T) {
		zones := map[string]bool{}
		for _, z := range inputsOf(res.OfType(tSwitch), "zoneId") {
			zones[z] = true
		}
		assert.Len(t, zones, 3)
		for _, p := range res.OfType(tNodePool) {
			assert.Len(t, p.Input("vswitchIds").ArrayValue(), 3, p.Name)
		}
	})
	t.Run("private API endpoint", func(t *testing.T) {
		assert.False(t, res.OfType(tCluster)[0].Input("slbInternetEnabled").BoolValue())
	})
	t.Run("pro control plane", func(t *testing.T) {
		assert.Equal(t, "ack.pro.small", str(res.OfType(tCluster)[0].Input("clusterSpec")))
	})
	t.Run("control-plane and audit logs on", func(t *testing.T) {
		c := res.OfType(tCluster)[0]
		assert.Subset(t, strs(c.Input("controlPlaneLogComponents")), []string{"apiserver", "kcm", "scheduler", "ccm"})
		assert.True(t, obj(c.Input("auditLogConfig"))["enabled"].BoolValue())
		mw := obj(c.Input("maintenanceWindow"))
		assert.True(t, mw["enable"].BoolValue())
		assert.Equal(t, "Tuesday", str(mw["weeklyPeriod"]))
	})
	t.Run("no spot capacity", func(t *testing.T) {
		for _, p := range res.OfType(tNodePool) {
			assert.True(t, p.Input("spotStrategy").IsNull(), p.Name)
		}
	})
}

func namesOf(v resource.PropertyValue) []string {
	var out []string
	for _, e := range v.ArrayValue() {
		out = append(out, str(obj(e)["name"]))
	}
	return out
}

func assertDeleteOptionsRetainSLB(t *testing.T, c harness.Resource) {
	t.Helper()
	modes := map[string]string{}
	for _, e := range c.Input("deleteOptions").ArrayValue() {
		modes[str(obj(e)["resourceType"])] = str(obj(e)["deleteMode"])
	}
	assert.Equal(t, "retain", modes["SLB"], "deleting the cluster keeps the program's CLB")
	assert.Equal(t, "retain", modes["SLS_Data"])
}

// assertNoCredential: a platform stack never fetches or keeps a cluster
// credential; each workload stack fetches its own.
func assertNoCredential(t *testing.T, res *harness.Result) {
	t.Helper()
	for _, c := range res.Calls {
		assert.NotEqual(t, credential, c.Token, "a platform stack fetches no cluster credential")
	}
	assert.Empty(t, res.OfType(tK8sProv), "a platform stack has no Kubernetes provider")
}

// assertStructure checks that every cloud resource is the child of a
// platform component and named from it.
func assertStructure(t *testing.T, res *harness.Result) {
	t.Helper()
	for _, r := range res.Resources {
		if !strings.HasPrefix(r.Type, "alicloud:") && r.Type != tK8sProv {
			continue
		}
		assert.True(t, strings.HasPrefix(r.ParentType(), "ack-platform:platform:"), "%s %s has parent type %q", r.Type, r.Name, r.ParentType())
		assert.True(t, strings.HasPrefix(r.Name, r.ParentName()), "%s is named from its component %s", r.Name, r.ParentName())
	}
	for _, r := range res.Resources {
		if strings.HasPrefix(r.Type, "ack-platform:platform:") {
			assert.Empty(t, r.ParentName(), "component %s sits at the top of the stack", r.Name)
		}
	}
}

func assertOutputs(t *testing.T, res *harness.Result) {
	t.Helper()
	for _, k := range []string{"clusterId", "clusterReady", "apiServerEndpoint", "vpcId", "egressIp", "slbId", "slbAddress",
		"registryEndpoint", "registryVpcEndpoint", "registryInstanceId", "imageRepositories", "rrsaIssuer", "rrsaProviderArn", "region"} {
		require.Contains(t, res.Outputs, k)
	}
	assert.NotContains(t, res.Outputs, "kubeconfig", "a platform stack exports no credential")
	assert.Equal(t, res.Outputs["clusterId"].Value, res.Outputs["clusterReady"].Value, "clusterReady is the cluster id, once what pods need exists")
	for k, o := range res.Outputs {
		b, _ := json.Marshal(o.Value)
		assert.NotContains(t, string(b), harness.KubeconfigCanary, "output %s leaks the kubeconfig", k)
	}
	assert.Equal(t, "47.97.20.2", res.Outputs["slbAddress"].Value)
}

// platformOverride returns an override of ack-platform:platform for stack
// with mutate applied to the decoded object.
func platformOverride(t *testing.T, stack string, mutate func(p map[string]any)) map[string]string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, stack, nil)
	var p map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg["ack-platform:platform"]), &p))
	mutate(p)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return map[string]string{"ack-platform:platform": string(b)}
}

func sub(m map[string]any, path ...string) map[string]any {
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}

func pool(p map[string]any, i int) map[string]any {
	return p["nodePools"].([]any)[i].(map[string]any)
}
