package platform_test

import (
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
		{"vswitch outside the VPC", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "network")["nodeVswitchCidrs"] = []any{"10.10.0.0/22", "10.99.0.0/22"}
		}), "ack-platform:platform.network.nodeVswitchCidrs[1]", "outside the VPC"},
		{"node and pod vSwitches overlap", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "network")["podVswitchCidrs"] = []any{"10.10.0.0/19", "10.10.96.0/19"}
		}), "ack-platform:platform.network.podVswitchCidrs[0]", "overlaps ack-platform:platform.network.nodeVswitchCidrs[0]"},
		{"service CIDR overlaps the VPC", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "cluster")["serviceCidr"] = "10.10.128.0/20"
		}), "ack-platform:platform.cluster.serviceCidr", "overlaps the VPC"},
		{"malformed VPC CIDR", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "network")["vpcCidr"] = "10.10.0.0/33"
		}), "ack-platform:platform.network.vpcCidr", "is not a CIDR block"},
		{"CIDR with host bits", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "cluster")["serviceCidr"] = "172.16.5.0/16"
		}), "ack-platform:platform.cluster.serviceCidr", "has host bits set"},
		{"too few zones in prod", "platform-prod", p("platform-prod", func(p map[string]any) {
			p["zones"] = []any{"cn-hangzhou-h", "cn-hangzhou-i"}
		}), "ack-platform:platform.zones", "needs at least 3"},
		{"one zone in dev", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			p["zones"] = []any{"cn-hangzhou-i"}
		}), "ack-platform:platform.zones", "needs at least 2"},
		{"vSwitch count differs from zones", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "network")["nodeVswitchCidrs"] = []any{"10.10.0.0/22"}
		}), "ack-platform:platform.network.nodeVswitchCidrs", "give exactly one per zone"},
		{"node CIDR mask out of range", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			c := sub(p, "cluster")
			c["cni"], c["podCidr"], c["nodeCidrMask"] = "flannel", "172.20.0.0/16", 30
		}), "ack-platform:platform.cluster.nodeCidrMask", "outside 24-28"},
		{"Flannel pod CIDR overlaps the VPC", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			c := sub(p, "cluster")
			c["cni"], c["podCidr"] = "flannel", "10.10.0.0/16"
		}), "ack-platform:platform.cluster.podCidr", "overlaps the VPC"},
		{"unknown CNI", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { sub(p, "cluster")["cni"] = "calico" }),
			"ack-platform:platform.cluster.cni", `"calico" is not one of`},
		{"standard control plane in prod", "platform-prod", p("platform-prod", func(p map[string]any) { sub(p, "cluster")["spec"] = "ack.standard" }),
			"ack-platform:platform.cluster.spec", "prod needs the Pro control plane"},
		{"deletion protection off in prod", "platform-prod", p("platform-prod", func(p map[string]any) { sub(p, "cluster")["deletionProtection"] = false }),
			"ack-platform:platform.cluster.deletionProtection", "must stay on in prod"},
		{"audit log off in prod", "platform-prod", p("platform-prod", func(p map[string]any) { sub(p, "cluster")["auditLog"] = false }),
			"ack-platform:platform.cluster.auditLog", "must stay on in prod"},
		{"unpinned Kubernetes version", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { sub(p, "cluster")["version"] = "latest" }),
			"ack-platform:platform.cluster.version", "is not an ACK version"},
		{"KMS without Pro", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			c := sub(p, "cluster")
			c["spec"], c["kmsKeyId"] = "ack.standard", "key-hzz123"
		}), "ack-platform:platform.cluster.kmsKeyId", "needs the Pro spec"},
		{"bad maintenance day", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			sub(p, "cluster", "maintenanceWindow")["weeklyPeriod"] = "Caturday"
		}), "ack-platform:platform.cluster.maintenanceWindow.weeklyPeriod", "is not a day name"},
		{"spot pool in prod", "platform-prod", p("platform-prod", func(p map[string]any) { pool(p, 0)["spot"] = true }),
			"ack-platform:platform.nodePools[0].spot", "not allowed in prod"},
		{"desired size on an autoscaling pool", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { pool(p, 0)["desiredSize"] = 3 }),
			"ack-platform:platform.nodePools[0].desiredSize", "sized by the autoscaler"},
		{"autoscaling min above max", "platform-nonprod", p("platform-nonprod", func(p map[string]any) {
			pool(p, 0)["autoscaling"] = map[string]any{"min": 5, "max": 2}
		}), "ack-platform:platform.nodePools[0].autoscaling", "need 0 <= min <= max"},
		{"pool name not a DNS label", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { pool(p, 1)["name"] = "Spot_Pool" }),
			"ack-platform:platform.nodePools[1].name", "is not a DNS-1123 label"},
		{"no instance types", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { pool(p, 0)["instanceTypes"] = []any{} }),
			"ack-platform:platform.nodePools[0].instanceTypes", "list at least one instance type"},
		{"unknown disk category", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { pool(p, 0)["systemDiskCategories"] = []any{"cloud_floppy"} }),
			"ack-platform:platform.nodePools[0].systemDiskCategories[0]", `"cloud_floppy" is not one of`},
		{"duplicate pool names", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { pool(p, 1)["name"] = "general" }),
			"ack-platform:platform.nodePools[1].name", `node pool "general" is defined twice`},
		{"typo in a platform key", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { sub(p, "network")["vpcCdir"] = "10.0.0.0/16" }),
			"ack-platform:platform.network.vpcCdir", "unknown field; did you mean vpcCidr?"},
		{"unknown tier", "platform-nonprod", raw("ack-platform:tier", "production"), "ack-platform:tier", `"production" is not one of prod, nonprod`},
		{"missing region", "platform-nonprod", raw("alicloud:region", ""), "alicloud:region", "set the region"},
		{"registry edition unknown", "platform-prod", raw("ack-platform:registry", `{"edition":"dockerhub"}`),
			"ack-platform:registry.edition", `"dockerhub" is not one of`},
		{"registry stack reference malformed", "platform-nonprod", raw("ack-platform:registry", `{"edition":"stack","stack":"prod","namespace":"acme-iot"}`),
			"ack-platform:registry.stack", "is not a fully qualified stack name"},
		{"load balancer charge type", "platform-nonprod", p("platform-nonprod", func(p map[string]any) { sub(p, "loadBalancer")["internetChargeType"] = "Free" }),
			"ack-platform:platform.loadBalancer.internetChargeType", `"Free" is not one of`},
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
	res, err := harness.Run(t, "platform-prod", platformOverride(t, "platform-prod", func(p map[string]any) {
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
