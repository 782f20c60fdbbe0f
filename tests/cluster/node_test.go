package cluster_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

// TestNodeRunsPodsAndLeavesNothing: `up --node` gives a node on which a
// pod of a stand-in image starts and is reached by its IP, through a
// Service's ClusterIP (kube-proxy) and by the Service's DNS name from
// inside the pod network; a second `up --node` on the same machine waits
// for the node lock instead of colliding; `down` leaves no process, mount,
// bridge or iptables chain of the node.
func TestNodeRunsPodsAndLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	root, err := localcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Fatal("a node needs root")
	}
	bin := filepath.Join(root, ".tools", "bin")
	env := []string{"ACK_TOOLS_BIN=" + bin}
	dir := filepath.Join(t.TempDir(), "cluster")
	began := time.Now()
	out, err := localcluster.Script(root, 55*time.Minute, env, "up", "--node", "--owner", strconv.Itoa(os.Getpid()), dir)
	downed := false
	down := func() {
		if downed {
			return
		}
		downed = true
		if out, err := localcluster.Script(root, 3*time.Minute, env, "down", dir); err != nil {
			t.Errorf("down: %v\n%s", err, out)
		}
	}
	t.Cleanup(down)
	if err := err; err != nil {
		t.Fatalf("up --node: %v\n%s", err, out)
	}
	t.Logf("cluster with a node ready in %s", time.Since(began).Round(100*time.Millisecond))
	kc := filepath.Join(dir, "kubeconfig")
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", kc}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return strings.TrimSpace(string(b))
	}
	kubectl(`apiVersion: v1
kind: Namespace
metadata: {name: probe}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: probe, labels: {app: client}}
spec:
  automountServiceAccountToken: false
  containers:
  - name: client
    image: registry.k8s.io/ack-standin/client:1
    securityContext: {runAsUser: 65532, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
    readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: client, namespace: probe}
spec:
  selector: {app: client}
  ports: [{name: http, port: 80, targetPort: 8080}]
`, "apply", "-f", "-")
	kubectl("", "-n", "probe", "wait", "--for=condition=Ready", "pod/client", "--timeout=120s")
	podIP := kubectl("", "-n", "probe", "get", "pod", "client", "-o", "jsonpath={.status.podIP}")
	clusterIP := kubectl("", "-n", "probe", "get", "service", "client", "-o", "jsonpath={.spec.clusterIP}")
	get := func(u string) (int, string, error) {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	for _, u := range []string{"http://" + podIP + ":8080/ready", "http://" + clusterIP + "/ready"} {
		var code int
		var body string
		for range 30 { // kube-proxy writes the Service's rules within a second or two
			if code, body, err = get(u); err == nil && code == 200 {
				break
			}
			time.Sleep(time.Second)
		}
		if code != 200 {
			t.Errorf("GET %s from the host: %d %q %v", u, code, body, err)
		}
	}
	// From inside the pod network, by name: DNS, then kube-proxy back to
	// the pod itself (hairpin).
	q := "http://client.probe.svc.cluster.local/ready"
	code, body, err := get("http://" + podIP + ":8080/call?url=" + q)
	if err != nil || code != 200 || !strings.Contains(body, `"status":200`) {
		t.Errorf("GET %s from the pod: %d %s %v", q, code, body, err)
	}

	// A second node on this machine waits for the lock; with a short
	// timeout it gives up without touching the running node.
	other := filepath.Join(t.TempDir(), "other")
	out, err = localcluster.Script(root, 3*time.Minute, append(env, "NODE_LOCK_TIMEOUT=3"), "up", "--node", other)
	if err == nil || !strings.Contains(out, "no node lock") {
		t.Errorf("a second up --node while a node runs: err %v, output:\n%s", err, out)
	}
	localcluster.Script(root, time.Minute, env, "down", other)
	if code, _, err := get("http://" + podIP + ":8080/ready"); err != nil || code != 200 {
		t.Errorf("the running node was disturbed by the second up: %d %v", code, err)
	}

	down()
	var left []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), dir) {
			left = append(left, "process "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	mounts, _ := os.ReadFile("/proc/self/mounts")
	for _, l := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], dir) {
			left = append(left, "mount "+f[1])
		}
	}
	if err := exec.Command("ip", "link", "show", "ack0").Run(); err == nil {
		left = append(left, "bridge ack0")
	}
	for _, table := range []string{"nat", "filter"} {
		b, _ := exec.Command("iptables", "-w", "-t", table, "-S").Output()
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "-N KUBE-") || strings.HasPrefix(l, "-N CNI-") {
				left = append(left, fmt.Sprintf("iptables %s chain %s", table, strings.TrimPrefix(l, "-N ")))
			}
		}
	}
	for _, l := range left {
		t.Errorf("left after down: %s", l)
	}
}
