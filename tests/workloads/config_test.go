package workloads_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// edit returns the local stack's config key k (a JSON object) after fn
// changed it, as an override for run.
func edit(t *testing.T, k string, fn func(m map[string]any)) map[string]string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, "local", nil)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg[k]), &m), k)
	fn(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return map[string]string{k: string(b)}
}

// obj walks into nested objects, creating them as needed.
func obj(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	return m
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

const (
	envs    = "ack-platform:environments"
	catalog = "ack-platform:catalog"
)

// Each invalid config is rejected with its own message under the key to
// edit, and the program registers nothing at all: validation runs before
// the first resource (the mock's NewResource is never called; the root
// stack resource never reaches it).
func TestInvalidWorkloadConfigs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		overrides func(t *testing.T) map[string]string
		key, msg  string
	}{
		{"environment name not DNS-1123", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { m["Dev_2"] = m["dev"]; obj(m, "Dev_2")["namespace"] = "dev2" })
		}, envs + ".Dev_2", "is not a DNS-1123 label"},
		{"namespace not DNS-1123", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "dev")["namespace"] = "Dev.Team" })
		}, envs + ".dev.namespace", "is not a DNS-1123 label"},
		{"service name not DNS-1123", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services")["Billing_Service"] = map[string]any{"kind": "backend"} })
		}, catalog + ".services.Billing_Service", "is not a DNS-1123 label"},
		{"release tag missing", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { delete(obj(m, "dev", "releases"), "gateway") })
		}, envs + ".dev.releases.gateway", "no release tag for gateway"},
		{"release tag latest", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "dev", "releases")["gateway"] = "latest" })
		}, envs + ".dev.releases.gateway", "`latest` is not a release"},
		{"image from a foreign registry", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "web-console")["image"] = "docker.io/library/nginx:1.27"
			})
		}, envs + ".dev.overrides.web-console.image", "is not in the project's registry"},
		{"override image without tag", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "web-console")["image"] = "registry.cn-hangzhou.aliyuncs.com/acme-iot/web-console"
			})
		}, envs + ".dev.overrides.web-console.image", "has no tag"},
		{"replicas below 1", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "dev", "overrides", "user-service")["replicas"] = 0 })
		}, envs + ".dev.overrides.user-service.replicas", "at least 1 replica"},
		{"prod with one replica", func(t *testing.T) map[string]string {
			return merge(map[string]string{"ack-platform:tier": "prod"},
				edit(t, envs, func(m map[string]any) { obj(m, "dev", "overrides", "user-service")["replicas"] = 1 }))
		}, envs + ".dev.overrides.user-service.replicas", "prod runs at least 2 replicas"},
		{"replicas set while an HPA owns it", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "staging", "overrides", "gateway")["replicas"] = 3 })
		}, envs + ".staging.overrides.gateway.replicas", "while autoscaling"},
		{"PDB that blocks every disruption", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "auth-service")["pdb"] = map[string]any{"maxUnavailable": 0}
			})
		}, envs + ".dev.overrides.auth-service.pdb.maxUnavailable", "blocks every voluntary disruption"},
		{"minAvailable equal to replicas", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "staging", "overrides", "telemetry-service")["pdb"] = map[string]any{"minAvailable": 2}
			})
		}, envs + ".staging.overrides.telemetry-service.pdb.minAvailable", "blocks every voluntary disruption"},
		{"requests above limits", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "device-service")["resources"] = map[string]any{"requests": map[string]any{"cpu": "2"}, "limits": map[string]any{"cpu": "1"}}
			})
		}, envs + ".dev.overrides.device-service.resources.requests.cpu", "is above the limit"},
		{"unparseable quantity", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "auth-service", "resources", "limits")["memory"] = "1GB" })
		}, catalog + ".services.auth-service.resources.limits.memory", "is not a Kubernetes quantity"},
		{"probe on an undeclared port", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services", "gateway", "probes")["readiness"] = map[string]any{"path": "/actuator/health/readiness", "port": "management"}
			})
		}, catalog + ".services.gateway.probes.readiness.port", "which the container does not declare"},
		{"grace period not above the preStop sleep", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service")["terminationGracePeriodSeconds"] = 15 })
		}, catalog + ".services.user-service.terminationGracePeriodSeconds", "is not longer than the preStop sleep"},
		{"same host and path routed twice", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services", "admin-web")["routes"] = []any{map[string]any{"host": "www", "path": "/"}}
			})
		}, envs + ".dev.routes", "is routed twice"},
		{"route to an unknown service", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev")["routes"] = []any{map[string]any{"host": "billing", "service": "billing-web"}}
			})
		}, envs + ".dev.routes[0].service", "route to unknown service"},
		{"unknown environment", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:nacos": `{"mode":"external","external":{"dev":{"address":"10.0.1.5:8848","cidr":"10.0.1.0/24"},"staging":{"address":"10.0.2.5:8848","cidr":"10.0.2.0/24"},"qa":{"address":"10.0.3.5:8848","cidr":"10.0.3.0/24"}}}`}
		}, "ack-platform:nacos.external.qa", "unknown environment"},
		{"two environments on one namespace", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "staging")["namespace"] = "dev" })
		}, envs + ".staging.namespace", "is already used by environment dev"},
		{"release tag for a service not in the catalog", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "dev", "releases")["billing-service"] = "1.0.0" })
		}, envs + ".dev.releases.billing-service", "which is not in the catalog"},
		{"secret-looking value given as plain config", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "device-service", "env")["MQTT_PASSWORD"] = "hunter2"
			})
		}, envs + ".dev.overrides.device-service.env.MQTT_PASSWORD", "looks like a credential given as plain config"},
		{"secret env referencing a plaintext key", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:devDeviceDbPassword": "plain-text"}
		}, envs + ".dev.overrides.device-service.secretEnv.SPRING_DATASOURCE_PASSWORD", "is set in plaintext"},
		{"TLS key not set as a secret", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:tlsKey": "-----BEGIN PRIVATE KEY-----"}
		}, "ack-platform:ingress.tls.keyKey", "is set in plaintext"},
		{"TLS certificate not set", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:tlsCert": ""}
		}, "ack-platform:ingress.tls.certKey", "is not set"},
		{"backend with a public route", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services", "auth-service")["routes"] = []any{map[string]any{"host": "auth"}}
			})
		}, catalog + ".services.auth-service.routes", "reached through the gateway only"},
	}
	require.GreaterOrEqual(t, len(cases), 15)
	messages := map[string]string{}
	for _, tc := range cases {
		require.NotContains(t, messages, tc.key+tc.msg, "two cases share a message")
		messages[tc.key+tc.msg] = tc.name
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, _, err := run(t, "local", tc.overrides(t))
			require.Error(t, err)
			require.Empty(t, res, "resources were registered before validation failed")
			var invalid *config.InvalidError
			require.True(t, errors.As(err, &invalid), "want *config.InvalidError, got %v", err)
			for _, p := range invalid.Problems {
				if p.Key == tc.key && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Fatalf("no problem %q under %s in:\n%v", tc.msg, tc.key, err)
		})
	}
}

// The valid local config registers resources (the control case of the table).
func TestValidConfigRegisters(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	require.NotEmpty(t, res)
}
