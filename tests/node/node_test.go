package node_test

// The tests run in source order on the one shared stack; each brings it to
// the state it needs (deployed), so -run picks any one of them.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// declaredWorkloads returns the Deployments and StatefulSets of the state
// with the inputs the program declared, by namespace/name.
func declaredWorkloads(t *testing.T, ctx context.Context, p *project) map[string]obj {
	t.Helper()
	out, err := p.pulumi(ctx, "stack", "export")
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Deployment struct {
			Resources []struct {
				Type   string
				Inputs obj
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &state); err != nil {
		t.Fatal(err)
	}
	found := map[string]obj{}
	for _, r := range state.Deployment.Resources {
		if r.Type == "kubernetes:apps/v1:Deployment" || r.Type == "kubernetes:apps/v1:StatefulSet" {
			found[str(r.Inputs, "metadata", "namespace")+"/"+str(r.Inputs, "metadata", "name")] = r.Inputs
		}
	}
	if len(found) == 0 {
		t.Fatal("no Deployment or StatefulSet in the state")
	}
	return found
}

// TestWorkloadsReadyWithTheProgramsPodSpecs: `up` with awaitReadiness
// succeeds on the node, every Deployment and StatefulSet of the state has
// all its replicas ready, and every running pod carries exactly the
// security context, probes, lifecycle hooks, volumes and images the program
// declared, without a single container restart.
func TestWorkloadsReadyWithTheProgramsPodSpecs(t *testing.T) {
	p := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	declared := declaredWorkloads(t, ctx, p)
	checkedPods := 0
	for key, in := range declared {
		ns, name, _ := strings.Cut(key, "/")
		kind := "deployment"
		if dig(in, "spec", "volumeClaimTemplates") != nil || dig(in, "spec", "serviceName") != nil {
			kind = "statefulset"
		}
		items, err := list(ctx, kind, "-n", ns, "--field-selector", "metadata.name="+name)
		if err != nil || len(items) != 1 {
			t.Errorf("%s %s: %v (%d found)", kind, key, err, len(items))
			continue
		}
		w := items[0]
		want := num(w, "spec", "replicas")
		if ready := num(w, "status", "readyReplicas"); want == 0 || ready != want {
			t.Errorf("%s %s: %d of %d replicas ready", kind, key, ready, want)
		}
		var sel []string
		for k, v := range dig(w, "spec", "selector", "matchLabels").(map[string]any) {
			sel = append(sel, k+"="+fmt.Sprint(v))
		}
		pods, err := list(ctx, "pods", "-n", ns, "-l", strings.Join(sel, ","))
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, pod := range pods {
			if str(pod, "metadata", "deletionTimestamp") != "" {
				continue
			}
			running++
			checkedPods++
			var diffs []string
			var claims []string
			templates, _ := dig(in, "spec", "volumeClaimTemplates").([]any)
			for _, c := range templates {
				claims = append(claims, str(c, "metadata", "name"))
			}
			withoutAdded(pod, claims)
			tmpl := dig(in, "spec", "template", "spec")
			for _, field := range []string{"securityContext", "volumes", "automountServiceAccountToken", "terminationGracePeriodSeconds", "serviceAccountName"} {
				if v := dig(tmpl, field); v != nil {
					subset(".spec."+field, v, dig(pod, "spec", field), &diffs)
				}
			}
			for _, list := range []string{"initContainers", "containers"} {
				if v := dig(tmpl, list); v != nil {
					subset(".spec."+list, v, dig(pod, "spec", list), &diffs)
				}
			}
			for _, d := range diffs {
				t.Errorf("pod %s/%s differs from the declared template: %s", ns, str(pod, "metadata", "name"), d)
			}
			statuses, _ := dig(pod, "status", "containerStatuses").([]any)
			for _, cs := range statuses {
				if num(cs, "restartCount") != 0 || dig(cs, "ready") != true {
					t.Errorf("pod %s/%s container %s: ready %v, %d restarts (last state %v)", ns, str(pod, "metadata", "name"),
						str(cs, "name"), dig(cs, "ready"), num(cs, "restartCount"), dig(cs, "lastState"))
				}
			}
		}
		if running != want {
			t.Errorf("%s %s: %d pods, want %d", kind, key, running, want)
		}
	}
	t.Logf("%d workloads ready, %d pods match their declared templates", len(declared), checkedPods)
}

// withoutAdded removes from a pod what the API server adds to the
// template the program declared, so what is left compares field by field:
//   - the ServiceAccount admission controller's projected token volume
//     (kube-api-access-<suffix>) and its mount in every container, on pods
//     that mount their token, like the ingress controller's ("Service
//     Accounts", https://kubernetes.io/docs/concepts/security/service-accounts/);
//   - a StatefulSet's volumes from its volumeClaimTemplates, which the
//     StatefulSet controller adds to each pod under the claim's name
//     ("StatefulSets", https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/).
func withoutAdded(pod obj, claims []string) {
	spec, _ := dig(pod, "spec").(map[string]any)
	token := func(name string) bool { return strings.HasPrefix(name, "kube-api-access-") }
	if vols, ok := spec["volumes"].([]any); ok {
		spec["volumes"] = slices.DeleteFunc(vols, func(v any) bool {
			name := str(v, "name")
			return token(name) || (slices.Contains(claims, name) && dig(v, "persistentVolumeClaim") != nil)
		})
	}
	for _, list := range []string{"initContainers", "containers"} {
		cs, _ := spec[list].([]any)
		for _, c := range cs {
			cm := c.(map[string]any)
			if mounts, ok := cm["volumeMounts"].([]any); ok {
				cm["volumeMounts"] = slices.DeleteFunc(mounts, func(m any) bool { return token(str(m, "name")) })
			}
		}
	}
}

// gatewayURL is the in-cluster URL of a backend through the gateway's
// Service in env: http://<gateway>.<ns>.svc.cluster.local:<port>/<backend>/<path>.
func gatewayURL(t *testing.T, ctx context.Context, p *project, env, backend, path string) string {
	t.Helper()
	gws := p.servicesOfKind(config.KindGateway)
	if len(gws) == 0 {
		t.Fatal("the catalog has no gateway")
	}
	ns := p.namespace(env)
	port, err := servicePort(ctx, ns, gws[0])
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://%s.%s.svc.cluster.local:%d/%s/%s", gws[0], ns, port, backend, path)
}

// awaitRoute calls u from the client pod until it answers 200, for up to a
// minute: a backend registers in Nacos only after it started, and the
// gateway's instance cache may miss it until it expires.
func awaitRoute(ctx context.Context, client, u string) (map[string]any, error) {
	var res map[string]any
	var err error
	for range 20 {
		res, err = clientCall(ctx, client, "/call", url.Values{"url": {u}})
		if err == nil && res["status"] == float64(200) {
			break
		}
		time.Sleep(3 * time.Second)
	}
	return res, err
}

// TestServiceRouting: from a pod, a request to the gateway's Service (by
// its DNS name, through kube-proxy) reaches every backend of the
// environment, which the gateway finds through Nacos.
func TestServiceRouting(t *testing.T) {
	p := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	client := clientPod(t, ctx)
	env := slices.Sorted(maps.Keys(p.environments))[0]
	backends := p.servicesOfKind(config.KindBackend)
	if len(backends) == 0 {
		t.Fatal("the catalog has no backend")
	}
	for _, b := range backends {
		u := gatewayURL(t, ctx, p, env, b, "hello")
		res, err := awaitRoute(ctx, client, u)
		if err != nil {
			t.Errorf("%s: %v", u, err)
			continue
		}
		var body struct{ Service, Version, Pod string }
		_ = json.Unmarshal([]byte(fmt.Sprint(res["body"])), &body)
		if res["status"] != float64(200) || body.Service != b {
			t.Errorf("%s: status %v, body %v, error %v; want 200 from %s", u, res["status"], res["body"], res["error"], b)
			continue
		}
		t.Logf("pod -> %s -> %s: 200 from %s (%s)", u, b, body.Pod, body.Version)
	}
}

// TestRollingReleaseUnderLoad: a client calls a backend through the
// gateway every 20 ms while the backend's release tag changes and `up`
// rolls it out; it keeps calling for the gateway's instance cache time
// after the rollout. Every request must succeed; the count is reported.
func TestRollingReleaseUnderLoad(t *testing.T) {
	p := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	client := clientPod(t, ctx)
	env := slices.Sorted(maps.Keys(p.environments))[0]
	backend := p.servicesOfKind(config.KindBackend)[0]
	orig := p.environments[env].Releases[backend]
	next := orig + "-rolled"
	u := gatewayURL(t, ctx, p, env, backend, "load")
	if res, err := awaitRoute(ctx, client, u); err != nil || res["status"] != float64(200) {
		t.Fatalf("before the release, %s: %v %v", u, res, err)
	}
	if _, err := clientCall(ctx, client, "/load/start", url.Values{"url": {u}, "interval": {"20ms"}}); err != nil {
		t.Fatal(err)
	}
	key := fmt.Sprintf("%s:environments.%s.releases.%s", config.Namespace, env, backend)
	began := time.Now()
	if _, err := p.pulumi(ctx, "config", "set", "--path", key, next); err != nil {
		t.Fatal(err)
	}
	if err := p.up(ctx); err != nil {
		t.Fatal(err)
	}
	rolled := time.Since(began)
	// Spring Cloud LoadBalancer caches instance lists for 35 s: keep
	// calling past that, so requests still sent to the old pod are counted.
	time.Sleep(45 * time.Second)
	res, err := clientCall(ctx, client, "/load/stop", nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, failed := res["ok"].(float64), res["failed"].(float64)
	t.Logf("rolling release of %s/%s %s -> %s (up took %s): %.0f requests succeeded, %.0f FAILED; versions served %v",
		env, backend, orig, next, rolled.Round(time.Second), ok, failed, res["versions"])
	if failed != 0 {
		t.Errorf("%.0f of %.0f requests failed during the rolling release; first errors: %v", failed, ok+failed, res["errors"])
	}
	if versions, _ := res["versions"].(map[string]any); versions[next] == nil {
		t.Errorf("no request was served by the new release %s: %v", next, versions)
	}
	if ok < 100 {
		t.Errorf("only %.0f requests succeeded: the load did not run", ok)
	}
	// Leave the stack as the other tests expect it.
	if _, err := p.pulumi(ctx, "config", "set", "--path", key, orig); err != nil {
		t.Fatal(err)
	}
	if err := p.up(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestRolloutAtMaxReplicasWithinQuota: the autoscaled Deployment with the
// highest maximum is held at that maximum (its HPA's minimum raised to it),
// then rolled (a surge pod on top): every pod is admitted by the
// namespace's ResourceQuota and the rollout completes.
func TestRolloutAtMaxReplicasWithinQuota(t *testing.T) {
	deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	hpas, err := list(ctx, "hpa", "--all-namespaces")
	if err != nil {
		t.Fatal(err)
	}
	var top obj
	for _, h := range hpas {
		if top == nil || num(h, "spec", "maxReplicas") > num(top, "spec", "maxReplicas") {
			top = h
		}
	}
	if top == nil {
		t.Fatal("no HorizontalPodAutoscaler in the stack: nothing scales to a maximum")
	}
	ns, hpa := str(top, "metadata", "namespace"), str(top, "metadata", "name")
	target, max, min := str(top, "spec", "scaleTargetRef", "name"), num(top, "spec", "maxReplicas"), num(top, "spec", "minReplicas")
	patch := func(n int) {
		if _, err := kubectl(ctx, "", "-n", ns, "patch", "hpa", hpa, "--type=merge", "-p", fmt.Sprintf(`{"spec":{"minReplicas":%d}}`, n)); err != nil {
			t.Fatal(err)
		}
	}
	patch(max)
	defer patch(min)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		d, err := list(ctx, "deployment", "-n", ns, "--field-selector", "metadata.name="+target)
		if err == nil && len(d) == 1 && num(d[0], "spec", "replicas") == max && num(d[0], "status", "readyReplicas") == max {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("deployment %s/%s did not reach %d ready replicas: %v", ns, target, max, err)
		}
		time.Sleep(2 * time.Second)
	}
	if _, err := kubectl(ctx, "", "-n", ns, "rollout", "restart", "deployment/"+target); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(ctx, "", "-n", ns, "rollout", "status", "deployment/"+target, "--timeout=300s"); err != nil {
		t.Errorf("rollout of %s/%s at %d replicas: %v", ns, target, max, err)
	}
	events, err := list(ctx, "events", "-n", ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if str(e, "reason") == "FailedCreate" && strings.Contains(str(e, "message"), "quota") {
			t.Errorf("%s: %s", str(e, "involvedObject", "name"), str(e, "message"))
		}
	}
	q, _ := kubectl(ctx, "", "-n", ns, "get", "resourcequota", "-o", "jsonpath={range .items[*]}{.status.used}{\" of \"}{.status.hard}{\"\\n\"}{end}")
	t.Logf("%s/%s rolled at %d replicas (HPA %s max) within the quota: %s", ns, target, max, hpa, strings.TrimSpace(q))
}

// TestDestroyLeavesNothing: `destroy` removes every workload: no pod
// outside kube-system, and no container on the node but the cluster DNS.
func TestDestroyLeavesNothing(t *testing.T) {
	p := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// The tests' own pods first: the client beside the ingress controller,
	// the namespaces of the outsider and the database stand-in.
	ingressNS, _ := ingressSelector(t, ctx)
	_, _ = kubectl(ctx, "", "-n", ingressNS, "delete", "pod", "client", "--ignore-not-found", "--wait=true")
	_, _ = kubectl(ctx, "", "delete", "namespace", outsiderNS, endpointNS, "--ignore-not-found", "--wait=true")
	if _, err := p.pulumi(ctx, "destroy", "--yes", "--skip-preview", "--non-interactive", "--suppress-progress"); err != nil {
		t.Fatal(err)
	}
	isDeployed = false
	var left []string
	deadline := time.Now().Add(3 * time.Minute)
	for {
		left = nil
		pods, err := list(ctx, "pods", "--all-namespaces")
		if err != nil {
			t.Fatal(err)
		}
		for _, pod := range pods {
			if ns := str(pod, "metadata", "namespace"); ns != "kube-system" {
				left = append(left, "pod "+ns+"/"+str(pod, "metadata", "name"))
			}
		}
		ids, err := exec.CommandContext(ctx, filepath.Join(suite.bin, "ctr"), "--address",
			filepath.Join(suite.clusterDir, "node", "containerd", "containerd.sock"), "-n", "k8s.io", "containers", "ls", "-q").Output()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range strings.Fields(string(ids)) {
			info, err := exec.CommandContext(ctx, filepath.Join(suite.bin, "ctr"), "--address",
				filepath.Join(suite.clusterDir, "node", "containerd", "containerd.sock"), "-n", "k8s.io", "containers", "info", id).Output()
			if err != nil {
				continue // removed meanwhile
			}
			var c struct{ Labels map[string]string }
			_ = json.Unmarshal(info, &c)
			if ns := c.Labels["io.kubernetes.pod.namespace"]; ns != "kube-system" {
				left = append(left, "container "+id[:12]+" of "+ns+"/"+c.Labels["io.kubernetes.pod.name"])
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	for _, l := range left {
		t.Errorf("left after destroy: %s", l)
	}
}
