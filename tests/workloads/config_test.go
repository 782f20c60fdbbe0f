package workloads_test

import (
	"encoding/json"
	"errors"
	"fmt"
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
		}, catalog + ".services.Billing_Service", "cannot name a Kubernetes Service"},
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
				obj(m, "services", "gateway", "probes")["readiness"] = map[string]any{"path": "/actuator/health/readiness", "port": "metrics"}
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
		}, catalog + ".services.auth-service.routes", "reached through a gateway only"},
		// Names Kubernetes would refuse for the object they become.
		{"service name starting with a digit", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services")["2fa-service"] = map[string]any{"kind": "backend"} })
		}, catalog + ".services.2fa-service", "a DNS-1035 label must"},
		{"derived names over 63 characters", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services")[strings.Repeat("a", 58)] = map[string]any{"kind": "backend"}
			})
		}, catalog + ".services." + strings.Repeat("a", 58), "derived object names"},
		{"image reference in upper case", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "web-console")["image"] = "registry.cn-hangzhou.aliyuncs.com/acme-iot/Web-Console:4.2.0"
			})
		}, envs + ".dev.overrides.web-console.image", "a registry refuses it otherwise"},
		{"image pinned by a malformed digest", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "web-console")["image"] = "registry.cn-hangzhou.aliyuncs.com/acme-iot/web-console:4.2.0@sha256:abc"
			})
		}, envs + ".dev.overrides.web-console.image", "the digest must be sha256"},
		{"image pinned by digest without a tag", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "web-console")["image"] = "registry.cn-hangzhou.aliyuncs.com/acme-iot/web-console@sha256:" + strings.Repeat("ab", 32)
			})
		}, envs + ".dev.overrides.web-console.image", "a digest may follow it"},
		{"negative quantity with an exponent", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "auth-service", "resources", "requests")["cpu"] = "-1e3" })
		}, catalog + ".services.auth-service.resources.requests.cpu", "is negative"},
		{"a port number used twice", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service")["managementPort"] = 8080 })
		}, catalog + ".services.user-service.managementPort", "is already used by port"},
		{"negative shutdown under its own key", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service")["shutdownSeconds"] = -5 })
		}, catalog + ".services.user-service.shutdownSeconds", "must not be negative"},
		{"endpoint port out of range", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "endpoints", "redis")["ports"] = []any{map[string]any{"port": 70000}}
			})
		}, catalog + ".endpoints.redis.ports[0].port", "is not a port number"},
		{"kubeconfig in plaintext", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:kubeconfig": "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:6443\"}\n"}
		}, "ack-platform:kubeconfig", "set in plaintext"},
		{"limits above the namespace's LimitRange", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "telemetry-service")["resources"] = map[string]any{"requests": map[string]any{"memory": "10Gi"}, "limits": map[string]any{"memory": "10Gi"}}
			})
		}, envs + ".dev.overrides.telemetry-service.resources.limits.memory", "above the namespace's LimitRange maximum"},
		{"quota smaller than the environment deploys", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev")["quota"] = map[string]any{"requestsCpu": "1", "requestsMemory": "1Gi", "limitsCpu": "2", "limitsMemory": "2Gi", "requestsStorage": "100Gi", "pods": 5}
			})
		}, envs + ".dev.quota.requestsMemory", "is below the"},
		{"toleration with an unknown effect", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev", "overrides", "user-service")["tolerations"] = []any{map[string]any{"key": "workload", "value": "spot", "effect": "Evict"}}
			})
		}, envs + ".dev.overrides.user-service.tolerations[0].effect", "is not NoSchedule"},
		// Declared dependencies.
		{"call to a service not in the catalog", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service")["calls"] = []any{"billing-service"} })
		}, catalog + ".services.user-service.calls[0]", "is not a service of the catalog"},
		{"endpoint without an address in an environment", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { delete(obj(m, "endpoints", "redis"), "cidrs") })
		}, envs + ".staging.endpoints.redis.cidrs", "has no address in this environment"},
		{"endpoint CIDR malformed", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) { obj(m, "dev", "endpoints", "mqtt")["cidrs"] = []any{"10.10.2.10"} })
		}, envs + ".dev.endpoints.mqtt.cidrs[0]", "is not a CIDR block"},
		// Zero downtime.
		{"preStop shorter than the load-balancer cache", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service")["preStopSleepSeconds"] = 20 })
		}, catalog + ".services.user-service.preStopSleepSeconds", "load-balancer cache"},
		{"unknown deregistration mode", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) { obj(m, "services", "user-service", "deregistration")["mode"] = "v1-api" })
		}, catalog + ".services.user-service.deregistration.mode", "is not one of http, exec"},
		// Edge and images.
		{"third-party images from a public registry", func(t *testing.T) map[string]string {
			return map[string]string{"ack-platform:mirror": `{"registry":"registry.k8s.io"}`}
		}, "ack-platform:mirror.registry", "public upstream registry"},
		{"actuator on a public route", func(t *testing.T) map[string]string {
			return edit(t, envs, func(m map[string]any) {
				obj(m, "dev")["routes"] = []any{map[string]any{"host": "api", "path": "/actuator", "service": "gateway"}}
			})
		}, envs + ".dev.routes[0].path", "actuator endpoints are never public"},
		{"no edge chosen on the local target", func(t *testing.T) map[string]string {
			return edit(t, "ack-platform:ingress", func(m map[string]any) { delete(m, "controller") })
		}, "ack-platform:ingress.controller", "choose the edge"},
		{"route timeout above the ALB's maximum", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services", "gateway")["routes"] = []any{map[string]any{"host": "api", "timeoutSeconds": 3600}}
			})
		}, catalog + ".services.gateway.routes[0].timeoutSeconds", "is outside 1-600"},
		// Java memory.
		{"memory limit too small for the JVM", func(t *testing.T) map[string]string {
			return edit(t, catalog, func(m map[string]any) {
				obj(m, "services", "user-service")["resources"] = map[string]any{"requests": map[string]any{"memory": "512Mi"}, "limits": map[string]any{"memory": "512Mi"}}
			})
		}, catalog + ".services.user-service.resources.limits.memory", "heap after the JVM's"},
		// Production Nacos.
		{"prod Nacos on Derby", func(t *testing.T) map[string]string {
			return merge(prodNacos(false), map[string]string{"ack-platform:tier": "prod"})
		}, "ack-platform:nacos.database.type", "embedded Derby store is for testing"},
		{"prod Nacos without authentication", func(t *testing.T) map[string]string {
			return merge(prodNacos(true), map[string]string{"ack-platform:tier": "prod", "ack-platform:nacos": `{"auth":{"enabled":false},"database":{"type":"mysql","host":"rds.local","user":"nacos","passwordKey":"nacosDbPassword","cidr":"10.20.0.0/24"}}`})
		}, "ack-platform:nacos.auth.enabled", "keep authentication on"},
		{"Nacos token key in plaintext", func(t *testing.T) map[string]string {
			o := merge(prodNacos(true), map[string]string{"ack-platform:nacosAuthToken": "plain"})
			delete(o, "secret:ack-platform:nacosAuthToken")
			return o
		}, "ack-platform:nacos.auth.tokenSecretKey", "is set in plaintext"},
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

// prodNacos is a Nacos with authentication (and MySQL when mysql is true),
// its secrets set.
func prodNacos(mysql bool) map[string]string {
	db := ""
	if mysql {
		db = `,"database":{"type":"mysql","host":"rds.local","user":"nacos","passwordKey":"nacosDbPassword","cidr":"10.20.0.0/24"}`
	}
	out := map[string]string{
		"ack-platform:nacos": `{"mode":"in-cluster","auth":{"tokenSecretKey":"nacosAuthToken","identityKey":"nacosIdentityKey","identityValueKey":"nacosIdentityValue","passwordKey":"nacosPassword"}` + db + `}`,
	}
	for _, k := range []string{"nacosAuthToken", "nacosIdentityKey", "nacosIdentityValue", "nacosPassword", "nacosDbPassword"} {
		out["secret:ack-platform:"+k] = "test-" + k
	}
	return out
}

// A tagged image also pinned by digest is accepted knowingly: the tag
// names the version in the labels, the digest fixes the content.
func TestImagePinnedByDigestIsAccepted(t *testing.T) {
	t.Parallel()
	img := "registry.cn-hangzhou.aliyuncs.com/acme-iot/web-console:4.2.0@sha256:" + strings.Repeat("ab", 32)
	res, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) { obj(m, "dev", "overrides", "web-console")["image"] = img }))
	found := false
	for _, r := range res {
		if r.Type == "kubernetes:apps/v1:Deployment" && strings.Contains(fmt.Sprint(r.Inputs), img) {
			found = true
		}
	}
	require.True(t, found, "no Deployment runs %s", img)
}

// The valid local config registers resources (the control case of the table).
func TestValidConfigRegisters(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	require.NotEmpty(t, res)
}
