// Package node_test runs the program on a real node: `pulumi up` of the
// local stack (kubeconfig mode, awaitReadiness true) against the local
// cluster started with `tools/cluster.sh up --node`, where containerd runs
// the stand-in images (tools/standin) under the references the program
// renders. The tests share one stack and take it through its life in
// source order: every workload Ready with the program's pod specs, a request
// routed through Services, a rolling release under load with no failed
// request, the quota at the highest replica count, then destroy.
//
// It needs root (containers, mounts, iptables); nothing here skips: a
// missing tool or privilege fails the package.
package node_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

var requiredTools = []string{
	"pulumi", "pulumi-language-go", "pulumi-resource-kubernetes", "kubectl", "etcd",
	"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy",
	"containerd", "ctr", "runc", "standin", "busybox",
}

var suite struct {
	root, bin, tmp, clusterDir, kubeconfig string
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, err := localcluster.RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "node: %v\n", err)
		return 1
	}
	suite.root, suite.bin = root, filepath.Join(root, ".tools", "bin")
	var missing []string
	for _, name := range requiredTools {
		if fi, err := os.Stat(filepath.Join(suite.bin, name)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL node: missing %s in %s: run `make tools`\n", strings.Join(missing, ", "), suite.bin)
		return 1
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "FAIL node: a node needs root (containers, mounts, iptables)")
		return 1
	}
	if _, err := exec.LookPath("go"); err != nil {
		fmt.Fprintln(os.Stderr, "FAIL node: go is not on PATH (the language host compiles the program)")
		return 1
	}
	suite.tmp, err = os.MkdirTemp("", "ack-node-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "node: %v\n", err)
		return 1
	}
	os.Chmod(suite.tmp, 0o755)
	keep := os.Getenv("ACK_E2E_KEEP") != ""
	defer func() {
		if keep {
			fmt.Fprintf(os.Stderr, "node: ACK_E2E_KEEP set: kept %s\n", suite.tmp)
			return
		}
		os.RemoveAll(suite.tmp)
	}()
	suite.clusterDir = filepath.Join(suite.tmp, "cluster")
	suite.kubeconfig = filepath.Join(suite.clusterDir, "kubeconfig")
	began := time.Now()
	// The node lock may make `up` wait for another package's node.
	if out, err := clusterScript(55*time.Minute, "up", "--node", "--owner", strconv.Itoa(os.Getpid()), suite.clusterDir); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL node: tools/cluster.sh up --node: %v\n%s\n", err, out)
		tailLogs()
		clusterScript(3*time.Minute, "down", suite.clusterDir)
		return 1
	}
	fmt.Fprintf(os.Stderr, "node: cluster with a node ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	code := m.Run()
	if code != 0 {
		tailLogs()
	}
	if out, err := clusterScript(3*time.Minute, "down", suite.clusterDir); err != nil {
		fmt.Fprintf(os.Stderr, "node: tools/cluster.sh down: %v\n%s\n", err, out)
		return 1
	}
	return code
}

func clusterScript(timeout time.Duration, args ...string) (string, error) {
	return localcluster.Script(suite.root, timeout, []string{"ACK_TOOLS_BIN=" + suite.bin}, args...)
}

func tailLogs() {
	for _, name := range append(localcluster.Components, localcluster.NodeComponents...) {
		b, err := os.ReadFile(filepath.Join(suite.clusterDir, name+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		fmt.Fprintf(os.Stderr, "node: last lines of %s.log:\n%s\n", name, strings.Join(lines, "\n"))
	}
}
