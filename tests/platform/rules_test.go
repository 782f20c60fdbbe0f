package platform_test

// One test per behavioural rule of docs/alicloud-rules.md: each checks what
// the program asks Alibaba Cloud for under the rule, so breaking the rule in
// a component fails the test named in the rule's row.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/components/cluster"
	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// dependsOn tells whether r waits for the resource of type typ named name.
func dependsOn(r harness.Resource, typ, name string) bool {
	for _, d := range r.Dependencies {
		if strings.HasSuffix(d, typ+"::"+name) {
			return true
		}
	}
	return false
}

func TestRuleSecurityGroupManagedByACK(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "prod"} {
		res := harness.MustRun(t, stack, nil)
		assert.Empty(t, res.OfType("alicloud:ecs/securityGroup:SecurityGroup"), "%s: no hand-made group: ACK adds no rules to a group it is given", stack)
		c := res.OfType(tCluster)[0]
		assert.True(t, c.Input("securityGroupId").IsNull(), "%s: the cluster is given no group, so ACK creates one with its rules", stack)
		for _, p := range res.OfType(tNodePool) {
			assert.Equal(t, []string{"sg-" + "c" + strings.ReplaceAll(c.Name, "-", "")}, strs(p.Input("securityGroupIds")), "%s %s joins the cluster's group", stack, p.Name)
		}
	}
}

func TestRuleClbBillingPayByCLCU(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "prod"} {
		slb := harness.MustRun(t, stack, nil).OfType(tSLB)[0]
		assert.Equal(t, "PayByCLCU", str(slb.Input("instanceChargeType")), stack)
		assert.Equal(t, "PayByTraffic", str(slb.Input("internetChargeType")), stack)
		assert.Equal(t, "PayAsYouGo", str(slb.Input("paymentType")), stack)
		assert.True(t, slb.Input("loadBalancerSpec").IsNull(), "%s: no spec", stack)
		assert.True(t, slb.Input("bandwidth").IsNull(), "%s: no bandwidth cap", stack)
	}
}

func TestRuleRegistryVpcLinked(t *testing.T) {
	t.Parallel()
	prod := harness.MustRun(t, "prod", nil)
	link := prod.OfType(tVpcLink)
	require.Len(t, link, 1)
	assert.Equal(t, "prod-network-vpc-id", str(link[0].Input("vpcId")), "prod links its own VPC")
	assert.Equal(t, "prod-network-node-cn-hangzhou-h-id", str(link[0].Input("vswitchId")))
	assert.Equal(t, "prod-registry-instance-id", str(link[0].Input("instanceId")))
	assert.Equal(t, "Registry", str(link[0].Input("moduleName")))
	assert.True(t, link[0].Input("enableCreateDnsRecordInPvzt").BoolValue(), "the VPC endpoint name must resolve")

	dev := harness.MustRun(t, "dev", nil)
	link = dev.OfType(tVpcLink)
	require.Len(t, link, 1)
	assert.Equal(t, "dev-network-vpc-id", str(link[0].Input("vpcId")), "non-prod links its VPC to prod's instance")
	assert.Equal(t, "cri-acmeprod", str(link[0].Input("instanceId")), "the instance id comes from the owning stack")
	assert.Equal(t, "cri-acmeprod", dev.Outputs["registryInstanceId"].Value)
}

func TestRuleRegistryInternetEndpointClosedByDefault(t *testing.T) {
	t.Parallel()
	assert.Empty(t, harness.MustRun(t, "prod", nil).OfType(tInternetEP), "no CI allow-list: the internet endpoint stays off")
	res := harness.MustRun(t, "prod", platformOverride(t, "prod", func(p map[string]any) {
		sub(p, "registryAccess")["ciPushCidrs"] = []any{"203.0.113.0/28"}
	}))
	eps := res.OfType(tInternetEP)
	require.Len(t, eps, 1)
	var entries []string
	for _, e := range eps[0].Input("entries").ArrayValue() {
		entries = append(entries, str(obj(e)["entry"]))
	}
	assert.Equal(t, []string{"203.0.113.0/28"}, entries, "only the allow-listed blocks")
	assert.Equal(t, "prod-registry-instance-id", str(eps[0].Input("instanceId")))
}

func helperConfig(t *testing.T, res *harness.Result) map[string]any {
	t.Helper()
	for _, a := range res.OfType(tAddon) {
		if str(a.Input("name")) == "aliyun-acr-credential-helper" {
			var cfg map[string]any
			require.NoError(t, json.Unmarshal([]byte(str(a.Input("config"))), &cfg))
			return cfg
		}
	}
	t.Fatal("no credential helper add-on")
	return nil
}

func TestRuleCredentialHelperConfigured(t *testing.T) {
	t.Parallel()
	cfg := helperConfig(t, harness.MustRun(t, "dev", nil))
	inst := cfg["AcrInstanceInfo"].([]any)[0].(map[string]any)
	assert.Equal(t, "cri-acmeprod", inst["instanceId"], "dev pulls from prod's instance")
	assert.Equal(t, "cn-hangzhou", inst["regionId"])
	assert.ElementsMatch(t, []string{"dev", "test", "staging"}, strings.Split(cfg["watchNamespace"].(string), ","), "every environment namespace of the stack")
	assert.Equal(t, "default", cfg["serviceAccount"])

	cfg = helperConfig(t, harness.MustRun(t, "prod", platformOverride(t, "prod", func(p map[string]any) {
		ra := sub(p, "registryAccess")
		ra["namespaces"], ra["serviceAccounts"] = []any{"prod", "jobs"}, []any{"default", "runner"}
	})))
	assert.Equal(t, "prod-registry-instance-id", cfg["AcrInstanceInfo"].([]any)[0].(map[string]any)["instanceId"])
	assert.Equal(t, "prod,jobs", cfg["watchNamespace"])
	assert.Equal(t, "default,runner", cfg["serviceAccount"])
	assert.Equal(t, "15m", cfg["expiringThreshold"])

	// With no environment pulling through the helper and no namespace
	// given, it serves every namespace.
	cfg = helperConfig(t, harness.MustRun(t, "dev", map[string]string{
		"ack-platform:environments": devEnvironmentsPulling(t, "none"),
	}))
	assert.Equal(t, "all", cfg["watchNamespace"])

	// The managed edition is configured the same way.
	res := harness.MustRun(t, "prod", platformOverride(t, "prod", func(p map[string]any) {
		a := defaultAddons()
		a[3] = map[string]any{"name": "managed-aliyun-acr-credential-helper"}
		sub(p, "cluster")["addons"] = a
	}))
	var managed map[string]any
	for _, a := range res.OfType(tAddon) {
		if str(a.Input("name")) == "managed-aliyun-acr-credential-helper" {
			require.NoError(t, json.Unmarshal([]byte(str(a.Input("config"))), &managed))
		}
	}
	require.NotNil(t, managed, "the managed edition gets the config")
	assert.Equal(t, "prod-registry-instance-id", managed["AcrInstanceInfo"].([]any)[0].(map[string]any)["instanceId"])
}

func TestRuleClusterAutoscalerEnabled(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "dev", nil)
	as := res.OfType(tAutoscaler)
	require.Len(t, as, 1, "autoscaling pools need the cluster's autoscaler")
	assert.Equal(t, "cluster-autoscaler", str(as[0].Input("scalerType")))
	assert.True(t, as[0].Input("scaleUpFromZero").BoolValue(), "a min-0 pool must get its first node")
	assert.NotEmpty(t, str(as[0].Input("clusterId")))
	for _, p := range res.OfType(tNodePool) {
		var comp harness.Resource
		for _, r := range res.Resources {
			if r.Type == "ack-platform:platform:NodePool" && r.Name == p.Name {
				comp = r
			}
		}
		assert.True(t, dependsOn(comp, tAutoscaler, as[0].Name), "pool %s is created after the autoscaler config", p.Name)
	}
	// A stack without autoscaling pools gets no autoscaler.
	fixed := harness.MustRun(t, "dev", platformOverride(t, "dev", func(p map[string]any) {
		for i := range p["nodePools"].([]any) {
			delete(pool(p, i), "autoscaling")
			pool(p, i)["desiredSize"] = 2
		}
	}))
	assert.Empty(t, fixed.OfType(tAutoscaler))
}

func TestRuleClusterReadyWaitsForPodPrerequisites(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "prod"} {
		res := harness.MustRun(t, stack, nil)
		prov := res.OfType(tK8sProv)
		require.Len(t, prov, 1)
		for _, typ := range []string{tNodePool, tAddon, tVpcLink, tCluster} {
			for _, r := range res.OfType(typ) {
				assert.True(t, dependsOn(prov[0], typ, r.Name), "%s: the Kubernetes provider waits for %s %s", stack, typ, r.Name)
			}
		}
		assert.Equal(t, res.Outputs["clusterId"].Value, res.Outputs["clusterReady"].Value, "clusterReady is the cluster id once ready")
	}
}

func TestRuleAddonSet(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "prod", nil)
	c := res.OfType(tCluster)[0]
	assert.Equal(t, []string{"terway-eniip"}, namesOf(c.Input("addons")), "the CNI is set once at creation")
	names := inputsOf(res.OfType(tAddon), "name")
	assert.Subset(t, names, []string{"csi-plugin", "csi-provisioner", "aliyun-acr-credential-helper"})
	assert.NotContains(t, names, "terway-eniip")
}

func TestRuleNodePoolRollingPolicy(t *testing.T) {
	t.Parallel()
	for _, p := range harness.MustRun(t, "prod", nil).OfType(tNodePool) {
		m := obj(p.Input("management"))
		assert.True(t, m["surge"].IsNull() && m["surgePercentage"].IsNull(), "%s: management.surge is deprecated", p.Name)
		assert.Equal(t, 1.0, obj(p.Input("rollingPolicy"))["maxParallelism"].NumberValue(), p.Name)
	}
}

func TestRuleSpotRemedyNeedsCostOptimized(t *testing.T) {
	t.Parallel()
	for _, p := range harness.MustRun(t, "dev", nil).OfType(tNodePool) {
		if str(p.Input("spotStrategy")) == "" {
			assert.True(t, p.Input("spotInstanceRemedy").IsNull(), p.Name)
			continue
		}
		assert.True(t, p.Input("spotInstanceRemedy").BoolValue(), p.Name)
		assert.Equal(t, "COST_OPTIMIZED", str(p.Input("multiAzPolicy")), "%s: spot remedy applies only with COST_OPTIMIZED", p.Name)
	}
}

func TestRuleKmsEncryptionExplicit(t *testing.T) {
	t.Parallel()
	c := harness.MustRun(t, "prod", nil).OfType(tCluster)[0]
	assert.True(t, c.Input("encryptionProviderKey").IsNull() && c.Input("disableEncryption").IsNull(), "no key, no encryption settings")
	c = harness.MustRun(t, "prod", platformOverride(t, "prod", func(p map[string]any) {
		sub(p, "cluster")["kmsKeyId"] = "key-hzz62f1b0a1"
	})).OfType(tCluster)[0]
	assert.Equal(t, "key-hzz62f1b0a1", str(c.Input("encryptionProviderKey")))
	require.True(t, c.Input("disableEncryption").IsBool(), "disableEncryption must be set")
	assert.False(t, c.Input("disableEncryption").BoolValue(), "the key is ignored unless disableEncryption is false")
}

func TestRuleRrsaIssuerExported(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "prod", nil)
	assert.True(t, res.OfType(tCluster)[0].Input("enableRrsa").BoolValue())
	assert.Equal(t, "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/cprodcluster", res.Outputs["rrsaIssuer"].Value)
	assert.Equal(t, "acs:ram::123:oidc-provider/ack-rrsa-cprodcluster", res.Outputs["rrsaProviderArn"].Value)
}

func TestRulePrivateKubeconfig(t *testing.T) {
	t.Parallel()
	public := "apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n    server: https://47.1.2.3:6443\n    certificate-authority-data: Q0E=\nusers:\n- name: u\n  user:\n    token: t\n"
	got, err := cluster.PrivateKubeconfig(public, "https://10.0.0.10:6443")
	require.NoError(t, err)
	assert.Contains(t, got, "server: https://10.0.0.10:6443")
	assert.NotContains(t, got, "47.1.2.3")
	assert.Contains(t, got, "certificate-authority-data: Q0E=", "everything else is kept")
	_, err = cluster.PrivateKubeconfig(public, "")
	assert.Error(t, err)
	_, err = cluster.PrivateKubeconfig("kind: Config\n", "https://10.0.0.10:6443")
	assert.Error(t, err, "a kubeconfig without clusters is refused")
	// The private API server: no public endpoint is asked for.
	assert.False(t, harness.MustRun(t, "prod", nil).OfType(tCluster)[0].Input("slbInternetEnabled").BoolValue())
}

func TestRuleNatSnatPerVswitch(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "prod", nil)
	nat := res.OfType(tNAT)[0]
	assert.Equal(t, "Enhanced", str(nat.Input("natType")))
	assert.Equal(t, "PayAsYouGo", str(nat.Input("paymentType")))
	var switches []string
	for _, s := range res.OfType(tSwitch) {
		switches = append(switches, s.Name+"-id")
	}
	var sources []string
	for _, s := range res.OfType(tSNAT) {
		sources = append(sources, str(s.Input("sourceVswitchId")))
		assert.Equal(t, "47.96.10.1", str(s.Input("snatIp")), "SNAT through the egress EIP")
		assert.Equal(t, "stb-prod-network-nat", str(s.Input("snatTableId")))
		assert.True(t, dependsOn(s, tEIPAssoc, "prod-network-eip-nat"), "%s waits for the EIP binding", s.Name)
	}
	assert.ElementsMatch(t, switches, sources, "one SNAT entry per vSwitch, node and pod")
	eip := res.OfType(tEIP)[0]
	assert.Equal(t, "PayByTraffic", str(eip.Input("internetChargeType")))
	assert.Equal(t, "200", str(eip.Input("bandwidth")))
}

func TestRuleTerwayPodVswitches(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "prod", nil)
	c := res.OfType(tCluster)[0]
	var pods []string
	for _, s := range res.OfType(tSwitch) {
		if strings.Contains(s.Name, "-pod-") {
			pods = append(pods, s.Name+"-id")
		}
	}
	assert.Len(t, pods, 3, "one pod vSwitch per zone")
	assert.ElementsMatch(t, pods, strs(c.Input("podVswitchIds")))
	assert.True(t, c.Input("podCidr").IsNull(), "Terway takes no pod CIDR")
}

func TestRuleMaintenanceWindow(t *testing.T) {
	t.Parallel()
	mw := obj(harness.MustRun(t, "prod", nil).OfType(tCluster)[0].Input("maintenanceWindow"))
	assert.True(t, mw["enable"].BoolValue())
	assert.Equal(t, "Tuesday", str(mw["weeklyPeriod"]))
	assert.Regexp(t, `^[0-9]{4}-[0-9]{2}-[0-9]{2}T`, str(mw["maintenanceTime"]), "an RFC3339 time")
	assert.Regexp(t, `^[0-9]+h$`, str(mw["duration"]))
}

func TestRuleLogsAndAudit(t *testing.T) {
	t.Parallel()
	c := harness.MustRun(t, "prod", nil).OfType(tCluster)[0]
	assert.Subset(t, strs(c.Input("controlPlaneLogComponents")), []string{"apiserver", "kcm", "scheduler", "ccm"})
	assert.Equal(t, "30", str(c.Input("controlPlaneLogTtl")))
	assert.True(t, obj(c.Input("auditLogConfig"))["enabled"].BoolValue())
	assertDeleteOptionsRetainSLB(t, c)
	modes := map[string]string{}
	for _, e := range c.Input("deleteOptions").ArrayValue() {
		modes[str(obj(e)["resourceType"])] = str(obj(e)["deleteMode"])
	}
	assert.Equal(t, "retain", modes["SLS_ControlPlane"], "control-plane logs outlive the cluster")
}

func TestRuleDeletionProtection(t *testing.T) {
	t.Parallel()
	prod := harness.MustRun(t, "prod", nil)
	assert.True(t, prod.OfType(tCluster)[0].Input("deletionProtection").BoolValue())
	assert.True(t, prod.OfType(tNAT)[0].Input("deletionProtection").BoolValue())
	assert.True(t, prod.OfType(tEIP)[0].Input("deletionProtection").BoolValue())
	assert.Equal(t, "on", str(prod.OfType(tSLB)[0].Input("deleteProtection")))
	dev := harness.MustRun(t, "dev", nil)
	assert.False(t, dev.OfType(tNAT)[0].Input("deletionProtection").BoolValue(), "dev can be torn down")
	assert.Equal(t, "off", str(dev.OfType(tSLB)[0].Input("deleteProtection")))
}

// The tags the program puts on every taggable resource carry no reserved
// prefix, so the cloud never refuses them.
func TestRuleTagsCarryNoReservedPrefix(t *testing.T) {
	t.Parallel()
	for _, r := range harness.MustRun(t, "prod", nil).Resources {
		tags := r.Input("tags")
		if !tags.IsObject() {
			continue
		}
		for k := range tags.ObjectValue() {
			lower := strings.ToLower(string(k))
			assert.False(t, strings.HasPrefix(lower, "aliyun") || strings.HasPrefix(lower, "acs:"), "%s tag %s", r.Name, k)
		}
	}
}

func TestRulePersonalRegistryCreatesNoDeprecatedResource(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "prod", map[string]string{"ack-platform:registry": `{"edition":"personal","namespace":"acme-iot"}`})
	for _, r := range res.Resources {
		assert.False(t, strings.HasPrefix(r.Type, "alicloud:cr/"), "%s %s: cr.Namespace and cr.Repo are deprecated; a Personal registry is made in the console", r.Type, r.Name)
		assert.NotContains(t, r.Type, "registryEnterprise", r.Name)
	}
	assert.Equal(t, "registry-vpc.cn-hangzhou.aliyuncs.com", res.Outputs["registryVpcEndpoint"].Value)
	assert.Equal(t, "", res.Outputs["registryInstanceId"].Value)
}

// devEnvironmentsPulling returns dev's environments with every image pull
// mode set to mode.
func devEnvironmentsPulling(t *testing.T, mode string) string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, "dev", nil)
	var envs map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg["ack-platform:environments"]), &envs))
	for _, e := range envs {
		e["imagePull"] = map[string]any{"mode": mode}
	}
	b, err := json.Marshal(envs)
	require.NoError(t, err)
	return string(b)
}
