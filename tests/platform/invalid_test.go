package platform_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
)

// Each case starts from a real stack file and breaks one thing. The program
// must reject it with a message naming the key, before registering anything.
func TestInvalidPlatformConfigs(t *testing.T) {
	t.Parallel()
	type tc struct {
		name      string
		stack     string
		overrides func(t *testing.T) map[string]string
		key, msg  string
	}
	p := func(stack string, mutate func(p map[string]any)) func(t *testing.T) map[string]string {
		return func(t *testing.T) map[string]string { return platformOverride(t, stack, mutate) }
	}
	raw := func(kv ...string) func(t *testing.T) map[string]string {
		return func(*testing.T) map[string]string {
			m := map[string]string{}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			return m
		}
	}
	cases := []tc{
		{"vswitch outside the VPC", "dev", p("dev", func(p map[string]any) {
			sub(p, "network")["nodeVswitchCidrs"] = []any{"10.10.0.0/22", "10.99.0.0/22"}
		}), "ack-platform:platform.network.nodeVswitchCidrs[1]", "outside the VPC"},
		{"node and pod vSwitches overlap", "dev", p("dev", func(p map[string]any) {
			sub(p, "network")["podVswitchCidrs"] = []any{"10.10.0.0/19", "10.10.96.0/19"}
		}), "ack-platform:platform.network.podVswitchCidrs[0]", "overlaps ack-platform:platform.network.nodeVswitchCidrs[0]"},
		{"service CIDR overlaps the VPC", "dev", p("dev", func(p map[string]any) {
			sub(p, "cluster")["serviceCidr"] = "10.10.128.0/20"
		}), "ack-platform:platform.cluster.serviceCidr", "overlaps the VPC"},
		{"malformed VPC CIDR", "dev", p("dev", func(p map[string]any) {
			sub(p, "network")["vpcCidr"] = "10.10.0.0/33"
		}), "ack-platform:platform.network.vpcCidr", "is not a CIDR block"},
		{"CIDR with host bits", "dev", p("dev", func(p map[string]any) {
			sub(p, "cluster")["serviceCidr"] = "172.16.5.0/16"
		}), "ack-platform:platform.cluster.serviceCidr", "has host bits set"},
		{"too few zones in prod", "prod", p("prod", func(p map[string]any) {
			p["zones"] = []any{"cn-hangzhou-h", "cn-hangzhou-i"}
		}), "ack-platform:platform.zones", "needs at least 3"},
		{"one zone in dev", "dev", p("dev", func(p map[string]any) {
			p["zones"] = []any{"cn-hangzhou-i"}
		}), "ack-platform:platform.zones", "needs at least 2"},
		{"vSwitch count differs from zones", "dev", p("dev", func(p map[string]any) {
			sub(p, "network")["nodeVswitchCidrs"] = []any{"10.10.0.0/22"}
		}), "ack-platform:platform.network.nodeVswitchCidrs", "give exactly one per zone"},
		{"node CIDR mask out of range", "dev", p("dev", func(p map[string]any) {
			c := sub(p, "cluster")
			c["cni"], c["podCidr"], c["nodeCidrMask"] = "flannel", "172.20.0.0/16", 30
		}), "ack-platform:platform.cluster.nodeCidrMask", "outside 24-28"},
		{"Flannel pod CIDR overlaps the VPC", "dev", p("dev", func(p map[string]any) {
			c := sub(p, "cluster")
			c["cni"], c["podCidr"] = "flannel", "10.10.0.0/16"
		}), "ack-platform:platform.cluster.podCidr", "overlaps the VPC"},
		{"unknown CNI", "dev", p("dev", func(p map[string]any) { sub(p, "cluster")["cni"] = "calico" }),
			"ack-platform:platform.cluster.cni", `"calico" is not one of`},
		{"standard control plane in prod", "prod", p("prod", func(p map[string]any) { sub(p, "cluster")["spec"] = "ack.standard" }),
			"ack-platform:platform.cluster.spec", "prod needs the Pro control plane"},
		{"deletion protection off in prod", "prod", p("prod", func(p map[string]any) { sub(p, "cluster")["deletionProtection"] = false }),
			"ack-platform:platform.cluster.deletionProtection", "must stay on in prod"},
		{"audit log off in prod", "prod", p("prod", func(p map[string]any) { sub(p, "cluster")["auditLog"] = false }),
			"ack-platform:platform.cluster.auditLog", "must stay on in prod"},
		{"unpinned Kubernetes version", "dev", p("dev", func(p map[string]any) { sub(p, "cluster")["version"] = "latest" }),
			"ack-platform:platform.cluster.version", "is not an ACK version"},
		{"KMS without Pro", "dev", p("dev", func(p map[string]any) {
			c := sub(p, "cluster")
			c["spec"], c["kmsKeyId"] = "ack.standard", "key-hzz123"
		}), "ack-platform:platform.cluster.kmsKeyId", "needs the Pro spec"},
		{"bad maintenance day", "dev", p("dev", func(p map[string]any) {
			sub(p, "cluster", "maintenanceWindow")["weeklyPeriod"] = "Caturday"
		}), "ack-platform:platform.cluster.maintenanceWindow.weeklyPeriod", "is not a day name"},
		{"spot pool in prod", "prod", p("prod", func(p map[string]any) { pool(p, 0)["spot"] = true }),
			"ack-platform:platform.nodePools[0].spot", "not allowed in prod"},
		{"desired size on an autoscaling pool", "dev", p("dev", func(p map[string]any) { pool(p, 0)["desiredSize"] = 3 }),
			"ack-platform:platform.nodePools[0].desiredSize", "sized by the autoscaler"},
		{"autoscaling min above max", "dev", p("dev", func(p map[string]any) {
			pool(p, 0)["autoscaling"] = map[string]any{"min": 5, "max": 2}
		}), "ack-platform:platform.nodePools[0].autoscaling", "need 0 <= min < max"},
		{"pool name not a DNS label", "dev", p("dev", func(p map[string]any) { pool(p, 1)["name"] = "Spot_Pool" }),
			"ack-platform:platform.nodePools[1].name", "is not a DNS-1123 label"},
		{"no instance types", "dev", p("dev", func(p map[string]any) { pool(p, 0)["instanceTypes"] = []any{} }),
			"ack-platform:platform.nodePools[0].instanceTypes", "list at least one instance type"},
		{"unknown disk category", "dev", p("dev", func(p map[string]any) { pool(p, 0)["systemDiskCategories"] = []any{"cloud_floppy"} }),
			"ack-platform:platform.nodePools[0].systemDiskCategories[0]", `"cloud_floppy" is not one of`},
		{"duplicate pool names", "dev", p("dev", func(p map[string]any) { pool(p, 1)["name"] = "general" }),
			"ack-platform:platform.nodePools[1].name", `node pool "general" is defined twice`},
		{"typo in a platform key", "dev", p("dev", func(p map[string]any) { sub(p, "network")["vpcCdir"] = "10.0.0.0/16" }),
			"ack-platform:platform", `unknown field "vpcCdir"`},
		{"unknown tier", "dev", raw("ack-platform:tier", "production"), "ack-platform:tier", `"production" is not one of prod, nonprod`},
		{"missing region", "dev", raw("alicloud:region", ""), "alicloud:region", "set the region"},
		{"registry edition unknown", "prod", raw("ack-platform:registry", `{"edition":"dockerhub"}`),
			"ack-platform:registry.edition", `"dockerhub" is not one of`},
		{"registry stack reference malformed", "dev", raw("ack-platform:registry", `{"edition":"stack","stack":"prod","namespace":"acme-iot"}`),
			"ack-platform:registry.stack", "is not a fully qualified stack name"},
		{"load balancer charge type", "dev", p("dev", func(p map[string]any) { sub(p, "loadBalancer")["internetChargeType"] = "Free" }),
			"ack-platform:platform.loadBalancer.internetChargeType", `"Free" is not PayByTraffic`},
		// Validation gaps found by the review against the documentation.
		{"zone outside the region", "dev", p("dev", func(p map[string]any) { p["zones"] = []any{"cn-hangzhou-i", "cn-shanghai-b"} }),
			"ack-platform:platform.zones[1]", `zone "cn-shanghai-b" is not in the region cn-hangzhou`},
		{"reserved VPC range", "dev", p("dev", func(p map[string]any) {
			n := sub(p, "network")
			n["vpcCidr"], n["nodeVswitchCidrs"], n["podVswitchCidrs"] = "100.64.0.0/16", []any{"100.64.0.0/22", "100.64.4.0/22"}, []any{"100.64.64.0/19", "100.64.96.0/19"}
		}), "ack-platform:platform.network.vpcCidr", "overlaps the reserved range 100.64.0.0/10"},
		{"reserved service range", "dev", p("dev", func(p map[string]any) { sub(p, "cluster")["serviceCidr"] = "169.254.0.0/16" }),
			"ack-platform:platform.cluster.serviceCidr", "overlaps the reserved range 169.254.0.0/16"},
		{"vSwitch mask too small", "dev", p("dev", func(p map[string]any) {
			sub(p, "network")["nodeVswitchCidrs"] = []any{"10.10.0.0/30", "10.10.4.0/22"}
		}), "ack-platform:platform.network.nodeVswitchCidrs[0]", "a vSwitch block must be /16 to /29"},
		{"vSwitch mask too large", "dev", p("dev", func(p map[string]any) {
			n := sub(p, "network")
			n["vpcCidr"], n["nodeVswitchCidrs"], n["podVswitchCidrs"] = "10.0.0.0/8", []any{"10.0.0.0/15", "10.2.0.0/22"}, []any{"10.3.0.0/19", "10.3.32.0/19"}
		}), "ack-platform:platform.network.nodeVswitchCidrs[0]", "a vSwitch block must be /16 to /29"},
		{"pool max not above min", "dev", p("dev", func(p map[string]any) {
			pool(p, 0)["autoscaling"] = map[string]any{"min": 2, "max": 2}
		}), "ack-platform:platform.nodePools[0].autoscaling", "need 0 <= min < max"},
		{"EIP bandwidth above the pay-by-traffic ceiling", "dev", p("dev", func(p map[string]any) { sub(p, "network")["natBandwidth"] = 300 }),
			"ack-platform:platform.network.natBandwidth", "outside 1-200 Mbit/s"},
		{"tag key with the aliyun prefix", "dev", p("dev", func(p map[string]any) { p["tags"] = map[string]any{"aliyun-owner": "me"} }),
			"ack-platform:platform.tags", `tag key "aliyun-owner" starts with "aliyun"`},
		{"tag key with the acs: prefix", "dev", p("dev", func(p map[string]any) { p["tags"] = map[string]any{"acs:team": "iot"} }),
			"ack-platform:platform.tags", `tag key "acs:team" starts with "acs:"`},
		{"invalid node label key", "dev", p("dev", func(p map[string]any) { pool(p, 0)["labels"] = map[string]any{"team name": "iot"} }),
			"ack-platform:platform.nodePools[0].labels[team name]", "is not a Kubernetes label key"},
		{"invalid node label value", "dev", p("dev", func(p map[string]any) { pool(p, 0)["labels"] = map[string]any{"team": "iot platform"} }),
			"ack-platform:platform.nodePools[0].labels[team]", "is not a Kubernetes label value"},
		{"CNI listed again as an add-on", "dev", p("dev", func(p map[string]any) {
			sub(p, "cluster")["addons"] = append(defaultAddons(), map[string]any{"name": "terway-eniip"})
		}), "ack-platform:platform.cluster.addons[4].name", "is a network plugin"},
		{"too many instance types", "dev", p("dev", func(p map[string]any) {
			var types []any
			for i := range 11 {
				types = append(types, fmt.Sprintf("ecs.g%d.xlarge", i+5))
			}
			pool(p, 0)["instanceTypes"] = types
		}), "ack-platform:platform.nodePools[0].instanceTypes", "a node pool takes at most 10"},
		{"malformed cluster version", "dev", p("dev", func(p map[string]any) { sub(p, "cluster")["version"] = "1.33-aliyun.1" }),
			"ack-platform:platform.cluster.version", "is not an ACK version"},
		{"malformed add-on version", "dev", p("dev", func(p map[string]any) {
			a := defaultAddons()
			a[0].(map[string]any)["version"] = "latest"
			sub(p, "cluster")["addons"] = a
		}), "ack-platform:platform.cluster.addons[0].version", `"latest" is not an add-on version`},
		// CLB billing that can no longer be bought.
		{"pay-by-specification CLB", "dev", p("dev", func(p map[string]any) { sub(p, "loadBalancer")["instanceChargeType"] = "PayBySpec" }),
			"ack-platform:platform.loadBalancer.instanceChargeType", "can no longer be bought"},
		{"pay-by-bandwidth CLB", "prod", p("prod", func(p map[string]any) { sub(p, "loadBalancer")["internetChargeType"] = "PayByBandwidth" }),
			"ack-platform:platform.loadBalancer.internetChargeType", "pay-by-bandwidth exists only with pay-by-specification"},
		{"CLB spec", "dev", p("dev", func(p map[string]any) { sub(p, "loadBalancer")["spec"] = "slb.s2.small" }),
			"ack-platform:platform.loadBalancer.spec", "has no specification"},
		// Registry access.
		{"registry open to the whole internet", "prod", p("prod", func(p map[string]any) {
			sub(p, "registryAccess")["ciPushCidrs"] = []any{"0.0.0.0/0"}
		}), "ack-platform:platform.registryAccess.ciPushCidrs[0]", "opens the registry to the whole internet"},
		{"internet endpoint from a stack that does not own the registry", "dev", p("dev", func(p map[string]any) {
			sub(p, "registryAccess")["ciPushCidrs"] = []any{"203.0.113.0/28"}
		}), "ack-platform:platform.registryAccess.ciPushCidrs", "only the stack that owns the ACR Enterprise instance"},
		{"hand-written credential helper config", "dev", p("dev", func(p map[string]any) {
			a := defaultAddons()
			a[3].(map[string]any)["config"] = `{"watchNamespace":"x"}`
			sub(p, "cluster")["addons"] = a
		}), "ack-platform:platform.cluster.addons[3].config", "written from platform.registryAccess"},
		{"credential helper with a Personal instance created after 2024-09-08", "dev", func(t *testing.T) map[string]string {
			m := platformOverride(t, "dev", func(p map[string]any) { sub(p, "registryAccess")["personalCreatedOn"] = "2025-03-01" })
			m["ack-platform:registry"] = `{"edition":"personal","namespace":"acme-iot"}`
			return m
		}, "ack-platform:platform.cluster.addons", "cannot serve an ACR Personal instance created after 2024-09-08"},
		{"both credential helper editions", "dev", p("dev", func(p map[string]any) {
			sub(p, "cluster")["addons"] = append(defaultAddons(), map[string]any{"name": "managed-aliyun-acr-credential-helper"})
		}), "ack-platform:platform.cluster.addons", "only one edition of the credential helper can be installed"},
		{"CSI driver missing", "dev", p("dev", func(p map[string]any) { sub(p, "cluster")["addons"] = defaultAddons()[1:] }),
			"ack-platform:platform.cluster.addons", `add-on "csi-plugin" is missing`},
		{"credential helper missing", "prod", p("prod", func(p map[string]any) { sub(p, "cluster")["addons"] = defaultAddons()[:3] }),
			"ack-platform:platform.cluster.addons", `add-on "aliyun-acr-credential-helper" is missing`},
	}
	require.GreaterOrEqual(t, len(cases), 20)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := harness.Run(t, c.stack, c.overrides(t))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.key+": ")
			assert.Contains(t, err.Error(), c.msg)
			// The mock monitor records every resource the program registers
			// (the SDK's own root stack resource is not passed to mocks).
			assert.Empty(t, res.Resources, "nothing may be registered")
		})
	}
}

// Several problems in one config are reported together, so a user fixes
// them in one round.
func TestAllProblemsReportedAtOnce(t *testing.T) {
	t.Parallel()
	res, err := harness.Run(t, "prod", platformOverride(t, "prod", func(p map[string]any) {
		p["zones"] = []any{"cn-hangzhou-h"}
		sub(p, "cluster")["spec"] = "ack.standard"
		pool(p, 0)["spot"] = true
	}))
	require.Error(t, err)
	for _, key := range []string{"ack-platform:platform.zones", "ack-platform:platform.cluster.spec", "ack-platform:platform.nodePools[0].spot"} {
		assert.Contains(t, err.Error(), key)
	}
	assert.Empty(t, res.Resources, "nothing may be registered")
}

// defaultAddons is the default add-on list of the platform config.
func defaultAddons() []any {
	return []any{
		map[string]any{"name": "csi-plugin"},
		map[string]any{"name": "csi-provisioner"},
		map[string]any{"name": "ack-node-problem-detector"},
		map[string]any{"name": "aliyun-acr-credential-helper"},
	}
}
