package workloads_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

// The route table of each environment: the stack output, and the Ingress
// objects that implement it (TLS on every host, the managed class).
func TestRouteTablePerEnvironment(t *testing.T) {
	t.Parallel()
	res, out := mustRun(t, "local", nil)
	want := map[string]map[string]any{
		"dev": {
			"api.dev.acme-iot.local/":      "gateway",
			"www.dev.acme-iot.local/":      "web-console",
			"www.dev.acme-iot.local/admin": "admin-web",
		},
		"staging": {
			"api.staging.acme-iot.local/":      "gateway",
			"www.staging.acme-iot.local/":      "web-console",
			"www.staging.acme-iot.local/admin": "admin-web",
		},
	}
	envOut := out["environments"].(map[string]any)
	for env, routes := range want {
		require.Equal(t, routes, envOut[env].(map[string]any)["routes"], env)
	}

	got := map[string]map[string]any{"dev": {}, "staging": {}}
	for _, ing := range kubecheck.OfKind(objects(res), "Ingress") {
		in := kubecheck.Plain(ing.Inputs)
		ns := kubecheck.Str(in, "metadata.namespace")
		require.Equal(t, "nginx", kubecheck.Str(in, "spec.ingressClassName"))
		tls := kubecheck.List(in, "spec.tls")
		require.Len(t, tls, 1, "%s serves HTTPS", ing.Name)
		require.Equal(t, "tls", kubecheck.Str(tls[0], "secretName"))
		require.Equal(t, "true", kubecheck.StrMap(in, "metadata.annotations")["nginx.ingress.kubernetes.io/ssl-redirect"])
		for _, r := range kubecheck.List(in, "spec.rules") {
			for _, p := range kubecheck.List(r, "http.paths") {
				got[ns][kubecheck.Str(r, "host")+kubecheck.Str(p, "path")] = kubecheck.Str(p, "backend.service.name")
			}
		}
	}
	require.Equal(t, want, got)

	// Backends are never public.
	for _, routes := range got {
		for _, svc := range routes {
			require.Contains(t, []any{"gateway", "web-console", "admin-web"}, svc)
		}
	}
}

// The controller's ConfigMap redirects HTTP to HTTPS, and the TLS Secret
// holds the certificate from the secret config, marked secret.
func TestTLSAndRedirect(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	objs := objects(res)
	redirect := false
	for _, cm := range kubecheck.OfKind(objs, "ConfigMap") {
		in := kubecheck.Plain(cm.Inputs)
		if kubecheck.Str(in, "metadata.namespace") == "ingress-nginx" && kubecheck.StrMap(in, "data")["ssl-redirect"] == "true" {
			redirect = true
		}
	}
	require.True(t, redirect, "ingress-nginx ConfigMap has ssl-redirect true")
	n := 0
	for _, r := range res {
		if r.Type != "kubernetes:core/v1:Secret" {
			continue
		}
		in := kubecheck.Plain(r.Inputs)
		if kubecheck.Str(in, "type") != "kubernetes.io/tls" {
			continue
		}
		n++
		require.True(t, r.Inputs["stringData"].ContainsSecrets(), "%s: certificate and key are secrets", r.Name)
		sd := kubecheck.StrMap(in, "stringData")
		require.Contains(t, sd["tls.crt"], "fake-secret-for-", "%s: the certificate comes from the secret config key", r.Name)
	}
	require.Equal(t, 2, n, "one TLS Secret per environment")
}

// On the local target there is no SLB: the controller's Service is
// ClusterIP and carries no CCM annotation.
func TestLocalIngressServiceHasNoSLB(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	for _, s := range kubecheck.OfKind(objects(res), "Service") {
		in := kubecheck.Plain(s.Inputs)
		require.NotEqual(t, "LoadBalancer", kubecheck.Str(in, "spec.type"), s.Name)
		require.Empty(t, kubecheck.StrMap(in, "metadata.annotations")["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id"])
	}
}

// Mode existing: no controller objects, only Ingresses of the given class.
func TestExistingIngressController(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", map[string]string{
		"ack-platform:ingress": `{"controller":"existing","class":"ack-nginx","namespace":"kube-system","tls":{"certKey":"tlsCert","keyKey":"tlsKey"}}`,
	})
	objs := objects(res)
	require.Empty(t, kubecheck.OfKind(objs, "IngressClass"))
	require.Empty(t, kubecheck.OfKind(objs, "ClusterRole"))
	for _, ing := range kubecheck.OfKind(objs, "Ingress") {
		require.Equal(t, "ack-nginx", kubecheck.Str(kubecheck.Plain(ing.Inputs), "spec.ingressClassName"))
	}
	for _, w := range kubecheck.Workloads(objs) {
		require.NotEqual(t, "ingress-nginx", kubecheck.Str(kubecheck.Plain(w.Inputs), "metadata.namespace"))
	}
}
