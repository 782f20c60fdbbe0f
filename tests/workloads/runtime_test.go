package workloads_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// editStack is edit for any stack's config key.
func editStack(t *testing.T, stack, k string, fn func(m map[string]any)) map[string]string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, stack, nil)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg[k]), &m), k)
	fn(m)
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return map[string]string{k: string(b)}
}

// byName finds a registered object by kind, namespace and name.
func byName(t *testing.T, res []Resource, kind, ns, name string) kubecheck.M {
	t.Helper()
	for _, o := range kubecheck.OfKind(objects(res), kind) {
		in := kubecheck.Plain(o.Inputs)
		if kubecheck.Str(in, "metadata.name") == name && kubecheck.Str(in, "metadata.namespace") == ns {
			return in
		}
	}
	t.Fatalf("no %s %s/%s", kind, ns, name)
	return nil
}

// configOf is the ConfigMap data a Deployment's container reads.
func configOf(t *testing.T, res []Resource, ns, svc string) map[string]string {
	return kubecheck.StrMap(byName(t, res, "ConfigMap", ns, svc+"-config"), "data")
}

func container(in kubecheck.M) kubecheck.M {
	return kubecheck.List(in, "spec.template.spec.containers")[0]
}

// A Java service leaves Nacos through its own client before it stops
// serving: an HTTP preStop hook on the management port (no shell in a
// distroless image) asks it to deregister and wait out the callers'
// load-balancer cache, the grace period covers that wait and the shutdown,
// and the actuator is never on a port a Service exposes.
func TestJavaServicesDeregisterBeforeStopping(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	for _, svc := range []string{"gateway", "user-service", "device-service"} {
		d := byName(t, res, "Deployment", "staging", svc)
		c := container(d)
		assert.Equal(t, "/actuator/nacos-deregister?waitSeconds=40", kubecheck.Str(c, "lifecycle.preStop.httpGet.path"), svc)
		assert.Equal(t, "management", kubecheck.Str(c, "lifecycle.preStop.httpGet.port"), svc)
		assert.Nil(t, kubecheck.Get(c, "lifecycle.preStop.exec"), "%s: no shell hook", svc)
		assert.GreaterOrEqual(t, kubecheck.Num(d, "spec.template.spec.terminationGracePeriodSeconds"), 40.0+30, svc)
		for _, p := range []string{"readinessProbe", "livenessProbe", "startupProbe"} {
			assert.Equal(t, "management", kubecheck.Str(c, p+".httpGet.port"), "%s %s", svc, p)
		}
		env := configOf(t, res, "staging", svc)
		assert.Equal(t, "35s", env["SPRING_CLOUD_LOADBALANCER_CACHE_TTL"], svc)
		assert.Equal(t, "8081", env["MANAGEMENT_SERVER_PORT"], svc)
		assert.Equal(t, "staging", env["SPRING_PROFILES_ACTIVE"], svc)
		assert.Contains(t, env["JAVA_TOOL_OPTIONS"], "-XX:+ExitOnOutOfMemoryError", svc)
		assert.Contains(t, env["JAVA_TOOL_OPTIONS"], "-Xmx", svc)
		for _, p := range kubecheck.List(byName(t, res, "Service", "staging", svc), "spec.ports") {
			assert.NotEqual(t, 8081.0, kubecheck.Num(p, "port"), "%s: the management port is not a Service port", svc)
		}
	}
	// The local dev environment sets its own profile explicitly.
	assert.Equal(t, "dev", configOf(t, res, "dev", "device-service")["SPRING_PROFILES_ACTIVE"])
	// The heap follows the limit: 1Gi → 604m, 1536Mi → 1084m (docs/workloads.md).
	assert.Contains(t, configOf(t, res, "dev", "device-service")["JAVA_TOOL_OPTIONS"], "-Xmx604m")
	assert.Contains(t, configOf(t, res, "dev", "telemetry-service")["JAVA_TOOL_OPTIONS"], "-Xmx1084m")
}

// Images with a shell may deregister through the actuator's
// serviceregistry endpoint; a failure shows in the hook's exit status.
func TestExecDeregistrationFailsVisibly(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", edit(t, catalog, func(m map[string]any) {
		obj(m, "services", "user-service", "deregistration")["mode"] = "exec"
	}))
	c := container(byName(t, res, "Deployment", "dev", "user-service"))
	cmd := strings.Join(stringsOf(kubecheck.Get(c, "lifecycle.preStop.exec.command")), " ")
	assert.Contains(t, cmd, `"status":"DOWN"`)
	assert.Contains(t, cmd, "/actuator/serviceregistry")
	assert.Contains(t, cmd, "sleep 40")
	assert.Contains(t, cmd, "exit $rc")
	assert.NotContains(t, cmd, "|| true")
	assert.Equal(t, "health,serviceregistry", configOf(t, res, "dev", "user-service")["MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE"])
}

// Rollouts surge a quarter of the replicas, and the default quota holds
// every workload at its maximum plus that surge and as many terminating pods.
func TestRolloutsSurgeProportionallyWithinQuota(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "staging", "overrides", "user-service")["replicas"] = 10
	}))
	d := byName(t, res, "Deployment", "staging", "user-service")
	assert.Equal(t, "25%", kubecheck.Str(d, "spec.strategy.rollingUpdate.maxSurge"))
	assert.Equal(t, 0.0, kubecheck.Num(d, "spec.strategy.rollingUpdate.maxUnavailable"))
	q := byName(t, res, "ResourceQuota", "staging", "quota")
	// staging: gateway HPA max 4 (+1+1) = 6, telemetry 2 (+1+1) = 4,
	// user-service 10 (+3+3) = 16, five more services at 1 (+1+1) = 15,
	// Nacos 1, 10 spare.
	assert.Equal(t, "52", kubecheck.Str(q, "spec.hard.pods"))
}

// Per-route settings reach the edge: body size and timeouts for the
// firmware uploads and WebSockets of the API host, an allow-list on a
// route of its own Ingress.
func TestRouteSettingsReachTheEdge(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "dev")["routes"] = []any{map[string]any{"host": "ops", "path": "/admin", "service": "admin-web", "allowCidrs": []any{"198.51.100.0/24"}}}
	}))
	gw := kubecheck.StrMap(byName(t, res, "Ingress", "dev", "gateway"), "metadata.annotations")
	assert.Equal(t, "65536k", gw["nginx.ingress.kubernetes.io/proxy-body-size"])
	assert.Equal(t, "300", gw["nginx.ingress.kubernetes.io/proxy-read-timeout"])
	assert.Equal(t, "300", gw["nginx.ingress.kubernetes.io/proxy-send-timeout"])
	admin := kubecheck.StrMap(byName(t, res, "Ingress", "dev", "admin-web-2"), "metadata.annotations")
	assert.Equal(t, "198.51.100.0/24", admin["nginx.ingress.kubernetes.io/whitelist-source-range"])
	open := kubecheck.StrMap(byName(t, res, "Ingress", "dev", "admin-web"), "metadata.annotations")
	assert.NotContains(t, open, "nginx.ingress.kubernetes.io/whitelist-source-range", "the catalog route stays open")
}

// albOverrides turn the dev stack's edge to the ALB Ingress default. A
// workload stack does not see its platform's network, so it names the ALB's
// source CIDR (the non-prod VPC, 10.10.0.0/16).
func albOverrides(t *testing.T) map[string]string {
	return editStack(t, "dev", "ack-platform:ingress", func(m map[string]any) {
		delete(m, "controller")
		m["alb"] = map[string]any{"id": "alb-test", "sourceCidrs": []any{"10.10.0.0/16"}}
	})
}

// On alicloud the edge defaults to the ALB Ingress controller: an
// AlbConfig bound to the platform's ALB, its IngressClass, Ingress objects
// of that class, no controller pods in the cluster, and NetworkPolicies
// admitting the ALB's vSwitches (the VPC by default, dev's 10.10.0.0/16).
func TestAlbEdgeIsTheAlicloudDefault(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "dev", stackconfig.WithOperatorSecrets("dev", albOverrides(t)))
	var albConfigs []kubecheck.M
	for _, r := range res {
		if strings.HasSuffix(r.Type, "AlbConfig") {
			albConfigs = append(albConfigs, kubecheck.Plain(r.Inputs))
		}
	}
	require.Len(t, albConfigs, 1)
	assert.Equal(t, "alb-test", kubecheck.Str(albConfigs[0], "spec.config.id"))
	assert.Len(t, kubecheck.List(albConfigs[0], "spec.listeners"), 2, "HTTP and HTTPS")
	class := byName(t, res, "IngressClass", "", "alb")
	assert.Equal(t, "ingress.k8s.alibabacloud/alb", kubecheck.Str(class, "spec.controller"))
	assert.Equal(t, "AlbConfig", kubecheck.Str(class, "spec.parameters.kind"))
	assert.Equal(t, "alb", kubecheck.Str(byName(t, res, "Ingress", "dev", "gateway"), "spec.ingressClassName"))
	for _, w := range kubecheck.Workloads(objects(res)) {
		assert.NotContains(t, kubecheck.Str(kubecheck.Plain(w.Inputs), "metadata.name"), "ingress-nginx")
	}
	np := byName(t, res, "NetworkPolicy", "dev", "gateway-ingress")
	assert.Equal(t, "10.10.0.0/16", kubecheck.Str(kubecheck.List(kubecheck.List(np, "spec.ingress")[0], "from")[0], "ipBlock.cidr"))
}

// Production Nacos: authentication on with its keys from secret config,
// clients logging in, MySQL instead of Derby, members pinned to the
// stateful pool, spread over zones as a hard rule, disks from a
// WaitForFirstConsumer class.
func TestProdNacos(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "prod", stackconfig.WithOperatorSecrets("prod", nil))
	sts := byName(t, res, "StatefulSet", "prod", "nacos")
	spec := kubecheck.Get(sts, "spec.template.spec")
	assert.Equal(t, map[string]string{"workload": "stateful"}, kubecheck.StrMap(spec, "nodeSelector"))
	spread := kubecheck.List(spec, "topologySpreadConstraints")
	require.Len(t, spread, 1)
	assert.Equal(t, "DoNotSchedule", kubecheck.Str(spread[0], "whenUnsatisfiable"))
	assert.Equal(t, "topology.kubernetes.io/zone", kubecheck.Str(spread[0], "topologyKey"))
	assert.Equal(t, "alicloud-disk-topology-alltype", kubecheck.Str(kubecheck.List(sts, "spec.volumeClaimTemplates")[0], "spec.storageClassName"))
	env := configOf(t, res, "prod", "nacos")
	assert.Equal(t, "true", env["NACOS_AUTH_ENABLE"])
	assert.Equal(t, "mysql", env["SPRING_DATASOURCE_PLATFORM"])
	assert.NotContains(t, env, "EMBEDDED_STORAGE")
	assert.NotContains(t, env, "NACOS_AUTH_TOKEN", "the token key is no plain ConfigMap value")
	var nacosSecret, gwSecret kubecheck.M
	for _, r := range res {
		if r.Type == "kubernetes:core/v1:Secret" {
			in := kubecheck.Plain(r.Inputs)
			switch kubecheck.Str(in, "metadata.name") {
			case "nacos-secret":
				nacosSecret = in
			case "gateway-secret":
				gwSecret = in
			}
		}
	}
	require.NotNil(t, nacosSecret)
	for _, k := range []string{"NACOS_AUTH_TOKEN", "NACOS_AUTH_IDENTITY_KEY", "NACOS_AUTH_IDENTITY_VALUE", "MYSQL_SERVICE_PASSWORD"} {
		assert.NotNil(t, kubecheck.Get(nacosSecret, "stringData."+k), k)
	}
	require.NotNil(t, gwSecret, "the gateway gets its Nacos password in a Secret")
	assert.NotNil(t, kubecheck.Get(gwSecret, "stringData.SPRING_CLOUD_NACOS_DISCOVERY_PASSWORD"))
	assert.Equal(t, "nacos", configOf(t, res, "prod", "gateway")["SPRING_CLOUD_NACOS_DISCOVERY_USERNAME"])
	db := byName(t, res, "NetworkPolicy", "prod", "nacos-database")
	assert.Equal(t, "192.168.64.0/24", kubecheck.Str(kubecheck.List(kubecheck.List(db, "spec.egress")[0], "to")[0], "ipBlock.cidr"))
}

// Observability is per environment and off by default: with it on, a
// Logtail configuration ships the namespace's container output to SLS, a
// PodMonitor scrapes the Java services' actuator, which exposes the
// prometheus endpoint on the management port, and only the scraper's
// namespace may reach that port.
func TestObservabilityPerEnvironment(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		obj(m, "staging")["observability"] = map[string]any{"logs": map[string]any{"logstore": "acme-staging"}, "metrics": map[string]any{}}
	}))
	kinds := map[string][]kubecheck.M{}
	for _, r := range res {
		if strings.HasSuffix(r.Type, "AliyunLogConfig") || strings.HasSuffix(r.Type, "PodMonitor") {
			in := kubecheck.Plain(r.Inputs)
			kinds[kubecheck.Kind(r.Type)] = append(kinds[kubecheck.Kind(r.Type)], in)
		}
	}
	require.Len(t, kinds["AliyunLogConfig"], 1, "staging only")
	logs := kinds["AliyunLogConfig"][0]
	assert.Equal(t, "staging", kubecheck.Str(logs, "metadata.namespace"))
	assert.Equal(t, "acme-staging", kubecheck.Str(logs, "spec.logstore"))
	assert.Equal(t, "^staging$", kubecheck.Str(kubecheck.List(logs, "spec.logtailConfig.inputDetail.plugin.inputs")[0], "detail.K8sNamespaceRegex"))
	require.Len(t, kinds["PodMonitor"], 1)
	assert.Equal(t, "management", kubecheck.Str(kubecheck.List(kinds["PodMonitor"][0], "spec.podMetricsEndpoints")[0], "port"))
	assert.Contains(t, configOf(t, res, "staging", "gateway")["MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE"], "prometheus")
	assert.NotContains(t, configOf(t, res, "dev", "gateway")["MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE"], "prometheus")
	np := byName(t, res, "NetworkPolicy", "staging", "allow-scrape")
	assert.Equal(t, "arms-prom", kubecheck.StrMap(kubecheck.List(kubecheck.List(np, "spec.ingress")[0], "from")[0], "namespaceSelector.matchLabels")["kubernetes.io/metadata.name"])
}

// A service can be placed on the spot pool per environment: its node
// selector and the toleration of the pool's taint reach the pods.
func TestServicePlacementPerEnvironment(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", edit(t, envs, func(m map[string]any) {
		o := obj(m, "staging", "overrides", "telemetry-service")
		o["nodeSelector"] = map[string]any{"workload": "interruptible"}
		o["tolerations"] = []any{map[string]any{"key": "workload", "value": "interruptible", "effect": "NoSchedule"}}
	}))
	spec := kubecheck.Get(byName(t, res, "Deployment", "staging", "telemetry-service"), "spec.template.spec")
	assert.Equal(t, map[string]string{"workload": "interruptible"}, kubecheck.StrMap(spec, "nodeSelector"))
	tol := kubecheck.List(spec, "tolerations")
	require.Len(t, tol, 1)
	assert.Equal(t, "NoSchedule", kubecheck.Str(tol[0], "effect"))
	assert.Nil(t, kubecheck.Get(kubecheck.Get(byName(t, res, "Deployment", "dev", "telemetry-service"), "spec.template.spec"), "nodeSelector"), "dev keeps the default placement")
}
