package workloads_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

// A release (one service's tag in one environment) changes the inputs of
// exactly that Deployment; every other resource is registered unchanged.
func TestReleaseChangesExactlyOneDeployment(t *testing.T) {
	t.Parallel()
	before, _ := mustRun(t, "local", nil)
	after, out := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "dev", "releases")["device-service"] = "3.0.2"
	}))
	require.Equal(t, len(before), len(after), "the release added or removed resources")

	byName := func(rs []Resource) map[string]Resource {
		m := map[string]Resource{}
		for _, r := range rs {
			m[r.Type+"::"+r.Name] = r
		}
		return m
	}
	b, a := byName(before), byName(after)
	var changed []string
	for k, rb := range b {
		ra, ok := a[k]
		require.True(t, ok, "%s disappeared", k)
		if fmt.Sprint(kubecheck.Plain(rb.Inputs)) != fmt.Sprint(kubecheck.Plain(ra.Inputs)) {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	require.Equal(t, []string{"kubernetes:apps/v1:Deployment::dev-device-service-deployment"}, changed)

	d := kubecheck.Plain(a["kubernetes:apps/v1:Deployment::dev-device-service-deployment"].Inputs)
	c := kubecheck.List(d, "spec.template.spec.containers")[0]
	require.Equal(t, "registry.cn-hangzhou.aliyuncs.com/acme-iot/device-service:3.0.2", kubecheck.Str(c, "image"))
	require.Equal(t, "3.0.2", kubecheck.StrMap(d, "spec.template.metadata.labels")["app.kubernetes.io/version"])
	images := out["environments"].(map[string]any)["dev"].(map[string]any)["images"].(map[string]any)
	require.Equal(t, "registry.cn-hangzhou.aliyuncs.com/acme-iot/device-service:3.0.2", images["device-service"])
}

// Rolling back is the same one-line change back: the program registers
// exactly what it registered before the release.
func TestRollbackRestoresInputs(t *testing.T) {
	t.Parallel()
	orig, _ := mustRun(t, "local", nil)
	back, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "dev", "releases")["device-service"] = "3.0.1"
	}))
	require.Equal(t, len(orig), len(back))
	inputs := map[string]string{}
	for _, r := range orig {
		inputs[r.Type+"::"+r.Name] = fmt.Sprint(kubecheck.Plain(r.Inputs))
	}
	for _, r := range back {
		require.Equal(t, inputs[r.Type+"::"+r.Name], fmt.Sprint(kubecheck.Plain(r.Inputs)), r.Name)
	}
}

// A config change (ConfigMap or Secret data) changes the pod template's
// checksum, so pods roll.
func TestConfigChangeRollsPods(t *testing.T) {
	t.Parallel()
	checksum := func(rs []Resource) string {
		for _, r := range rs {
			if r.Name == "dev-device-service-deployment" {
				return kubecheck.StrMap(kubecheck.Plain(r.Inputs), "spec.template.metadata.annotations")["ack-platform.io/config-checksum"]
			}
		}
		return ""
	}
	before, _ := mustRun(t, "local", nil)
	envChanged, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "dev", "overrides", "device-service", "env")["LOG_LEVEL"] = "debug"
	}))
	secretChanged, _ := mustRun(t, "local", map[string]string{"secret:ack-platform:devDeviceDbPassword": "rotated"})
	require.NotEmpty(t, checksum(before))
	require.NotEqual(t, checksum(before), checksum(envChanged))
	require.NotEqual(t, checksum(before), checksum(secretChanged))
}
