package config

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The API server stores quantities in canonical form; rendering them any
// other way shows up as a diff on every preview.
func TestQuantitiesRenderCanonically(t *testing.T) {
	t.Parallel()
	for in, want := range map[int64]string{0: "0", 250: "250m", 1000: "1", 12000: "12", 12500: "12500m"} {
		assert.Equal(t, want, formatMilli(in), "%d millicores", in)
	}
	for in, want := range map[int64]string{0: "0Mi", 768: "768Mi", 1024: "1Gi", 1536: "1536Mi", 76800: "75Gi", 1 << 20: "1Ti"} {
		assert.Equal(t, want, formatMi(in), "%d MiB", in)
	}
	assert.Equal(t, int64(100), milliCPU("100m"), "no float noise")
	assert.Equal(t, int64(1536), mebibytes("1.5Gi"))
	assert.Equal(t, int64(954), mebibytes("1G"), "decimal units round up")
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
	first := defaultQuota(services, nacos, &Config{})
	for range 20 {
		assert.Equal(t, first, defaultQuota(services, nacos, &Config{}))
	}
}
