package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kubectl runs kubectl against the node's cluster.
func kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "kubectl"), append([]string{"--kubeconfig", suite.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, ee.Stderr)
		}
		return string(out), fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}

type obj = map[string]any

func list(ctx context.Context, args ...string) ([]obj, error) {
	out, err := kubectl(ctx, "", append([]string{"get", "-o", "json"}, args...)...)
	if err != nil {
		return nil, err
	}
	var l struct{ Items []obj }
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any, path ...string) string {
	s, _ := dig(v, path...).(string)
	return s
}

func num(v any, path ...string) int {
	f, _ := dig(v, path...).(float64)
	return int(f)
}

// subset reports where got lacks or differs from a field of want.
func subset(path string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: want an object, got %v", path, got))
			return
		}
		for k, v := range w {
			subset(path+"."+k, v, g[k], diffs)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %d items, got %v", path, len(w), got))
			return
		}
		for i := range w {
			subset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], diffs)
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			*diffs = append(*diffs, fmt.Sprintf("%s: want %v, got %v", path, want, got))
		}
	}
}

// Namespaces of the tests' own pods: a caller the policies do not know,
// and the stand-in for an external endpoint (a database outside the
// cluster, reached by address).
const (
	outsiderNS = "node-e2e"
	endpointNS = "node-e2e-endpoint"
)

// clientImage is the tests' client stand-in (tools/standin client).
const clientImage = "registry.k8s.io/ack-standin/client:1"

// clientSecurity is the client's container security: what the restricted
// Pod Security Standard asks, as a user that is not root.
const clientSecurity = `{runAsUser: 65532, runAsNonRoot: true, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}`

// clientPod starts the tests' client where the ingress controller stands:
// in the controller's namespace, with the labels the controller's own
// NetworkPolicy selects. The environments' policies admit traffic from the
// controller only, and the controller's policy admits the host on 8080
// (the client's port); so requests from the client meet the same policies
// as requests from the edge. It returns the client's IP; the host reaches
// pods by their IPs.
func clientPod(t *testing.T, ctx context.Context) string {
	t.Helper()
	ns, labels := ingressSelector(t, ctx)
	return startClient(t, ctx, ns, "client", labels)
}

// ingressSelector reads the ingress controller's namespace and pod labels
// from the program's NetworkPolicy for it.
func ingressSelector(t *testing.T, ctx context.Context) (string, map[string]string) {
	t.Helper()
	pols, err := list(ctx, "networkpolicy", "-A", "-l", "app.kubernetes.io/component=controller")
	if err != nil {
		t.Fatal(err)
	}
	if len(pols) != 1 {
		t.Fatalf("want the ingress controller's NetworkPolicy, found %d", len(pols))
	}
	labels := map[string]string{}
	for k, v := range dig(pols[0], "spec", "podSelector", "matchLabels").(map[string]any) {
		labels[k] = fmt.Sprint(v)
	}
	return str(pols[0], "metadata", "namespace"), labels
}

// startClient runs the client stand-in as pod name in ns with labels and
// extra arguments, waits until it is ready and returns its IP.
func startClient(t *testing.T, ctx context.Context, ns, name string, labels map[string]string, args ...string) string {
	t.Helper()
	port := "8080"
	for i, a := range args {
		if a == "-listen" && i+1 < len(args) {
			port = strings.TrimPrefix(args[i+1], ":")
		}
	}
	// The controller's namespace belongs to the stack: only a namespace of
	// the tests' own is created (and removed by TestDestroyLeavesNothing).
	if _, err := kubectl(ctx, "", "get", "namespace", ns); err != nil {
		if _, err := kubectl(ctx, "", "create", "namespace", ns); err != nil {
			t.Fatal(err)
		}
	}
	labelJSON, _ := json.Marshal(labels)
	argJSON, _ := json.Marshal(args)
	manifest := fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s, namespace: %s, labels: %s}
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 1
  containers:
  - name: client
    image: %s
    args: %s
    securityContext: %s
    readinessProbe: {httpGet: {path: /ready, port: %s}, periodSeconds: 1}
    resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
`, name, ns, labelJSON, clientImage, argJSON, clientSecurity, port)
	if _, err := kubectl(ctx, manifest, "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(ctx, "", "-n", ns, "wait", "--for=condition=Ready", "pod/"+name, "--timeout=120s"); err != nil {
		t.Fatal(err)
	}
	ip, err := kubectl(ctx, "", "-n", ns, "get", "pod", name, "-o", "jsonpath={.status.podIP}")
	if err != nil || ip == "" {
		t.Fatalf("%s/%s pod IP %q: %v", ns, name, ip, err)
	}
	return ip
}

// clientCall asks the client pod to GET u from inside the pod network.
func clientCall(ctx context.Context, clientIP, path string, q url.Values) (map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+clientIP+":8080"+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %s", err, b)
	}
	return out, nil
}

// servicePort returns the port named http of a Service.
func servicePort(ctx context.Context, ns, name string) (int, error) {
	out, err := kubectl(ctx, "", "-n", ns, "get", "service", name, "-o", "jsonpath={.spec.ports[?(@.name==\"http\")].port}")
	if err != nil {
		return 0, err
	}
	var p int
	_, err = fmt.Sscan(out, &p)
	return p, err
}
