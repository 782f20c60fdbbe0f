package config

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The API server stores quantities in canonical form; rendering them any
// other way shows up as a diff on every preview.
func TestQuantitiesRenderCanonically(t *testing.T) {
	t.Parallel()
	sum := func(vs ...string) string {
		var total = mustQuantity("0")
		for _, v := range vs {
			total.Add(mustQuantity(v))
		}
		return canonical(total)
	}
	assert.Equal(t, "12500m", sum("12", "500m"))
	assert.Equal(t, "1536Mi", sum("1Gi", "512Mi"))
	assert.Equal(t, "75Gi", sum("50Gi", "25Gi"))
	assert.Equal(t, int64(1536), mebibytes("1.5Gi"))
}

// A negative quantity is refused whatever its notation, an exponent included.
func TestNegativeQuantitiesAreRefused(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"-1", "-1e3", "-5e-1", "-512Mi", "-0.5"} {
		_, err := parseQuantity(s)
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), "negative", s)
	}
	for _, s := range []string{"1e3", "250m", "1.5Gi", "0"} {
		_, err := parseQuantity(s)
		assert.NoError(t, err, s)
	}
}

// A quota summed over hundreds of services is the same on every run,
// whatever order the map gives them in.
func TestDefaultQuotaIsDeterministic(t *testing.T) {
	t.Parallel()
	services := map[string]ServiceSpec{}
	for i := range 300 {
		services[fmt.Sprintf("svc-%03d", i)] = ServiceSpec{
			Replicas: 1 + i%3,
			Resources: Resources{
				Requests: ResourceList{CPU: "100m", Memory: "768Mi"},
				Limits:   ResourceList{CPU: "333m", Memory: "1.1Gi"},
			},
		}
	}
	nacos := &Nacos{Mode: NacosExternal}
	first := quotaNeed(services, nacos)
	for range 20 {
		assert.Equal(t, first, quotaNeed(services, nacos))
	}
}

// The rollout headroom: a quarter of the replicas surging, rounded up, and
// as many terminating.
func TestRolloutHeadroom(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]int{1: 1, 2: 1, 4: 1, 5: 2, 10: 3} {
		assert.Equal(t, want, Surge(n), "surge of %d", n)
		assert.Equal(t, 2*want, RolloutHeadroom(n), "headroom of %d", n)
	}
}

// The JVM layout of docs/workloads.md: a 1Gi limit gives a 604Mi heap and
// 64Mi of direct memory; 768Mi leaves 364Mi.
func TestJVMLayout(t *testing.T) {
	t.Parallel()
	j := JVMFor("1Gi")
	assert.Equal(t, int64(64), j.DirectMi)
	assert.Equal(t, int64(604), j.HeapMi)
	assert.Equal(t, int64(1024), j.HeapMi+j.NonHeapMi())
	assert.Equal(t, int64(364), JVMFor("768Mi").HeapMi)
	assert.Contains(t, j.Options(), "-Xmx604m")
	assert.Contains(t, j.Options(), "-XX:+ExitOnOutOfMemoryError")
	assert.Contains(t, j.Options(), "-XX:MaxDirectMemorySize=64m")
}
