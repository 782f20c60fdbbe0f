// Package rehearsal_test rehearses the delivery offline with the real
// engine: platform stacks on the emulated alicloud provider
// (tools/emulator), workload stacks that read them through StackReference
// and reach a local control plane (tools/cluster.sh) with the credential the
// emulator hands out, a release, a rollback and destroy. The local
// control plane, with a node, starts only for the tests that deploy
// workloads. It also proves the
// emulator can never serve a real deployment.
//
// Nothing here skips: a missing tool fails the package with "run make tools".
package rehearsal_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

// Tools every test of the package runs, from .tools/bin, and the emulator
// from .tools/emulator (tools/install-tools.sh puts it there, off PATH).
// The workload tests also need clusterTools, checked when they start the
// local control plane.
var (
	requiredTools = []string{"pulumi", "pulumi-language-go"}
	clusterTools  = []string{"pulumi-resource-kubernetes", "kubectl", "etcd", "kube-apiserver", "kube-controller-manager",
		"kubelet", "kube-proxy", "kube-scheduler", "kube-network-policies", "standin"}
)

var suite struct {
	root, bin, emulator string
	// tmp holds everything the package creates.
	tmp string
	// clusterDir and kubeconfig (its admin kubeconfig) are set once a test
	// has started the local cluster (startCluster).
	clusterDir, kubeconfig string
	clusterOnce            sync.Once
	clusterErr             error
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	root, err := localcluster.RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "rehearsal: %v\n", err)
		return 1
	}
	suite.root, suite.bin = root, filepath.Join(root, ".tools", "bin")
	suite.emulator = filepath.Join(root, ".tools", "emulator", "pulumi-resource-alicloud")
	var missing []string
	for _, p := range append(toolPaths(requiredTools), suite.emulator) {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, p)
		}
	}
	for _, name := range []string{"go", "bash", "curl", "openssl"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name+" (on PATH)")
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL rehearsal: missing %s: run `make tools` (tools/install-tools.sh)\n", strings.Join(missing, ", "))
		return 1
	}
	suite.tmp, err = os.MkdirTemp("", "ack-rehearsal-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "rehearsal: %v\n", err)
		return 1
	}
	defer func() {
		if os.Getenv("ACK_E2E_KEEP") != "" {
			fmt.Fprintf(os.Stderr, "rehearsal: ACK_E2E_KEEP set: kept %s\n", suite.tmp)
			return
		}
		os.RemoveAll(suite.tmp)
	}()

	defer stopCluster()
	return m.Run()
}

func toolPaths(tools []string) []string {
	var out []string
	for _, t := range tools {
		out = append(out, filepath.Join(suite.bin, t))
	}
	return out
}

// startCluster starts the local control plane once for the package, for
// the tests that deploy workloads; it fails the test (never skips) when a
// tool is missing or the cluster does not come up.
func startCluster(t *testing.T) {
	t.Helper()
	suite.clusterOnce.Do(func() {
		var missing []string
		for _, p := range toolPaths(clusterTools) {
			if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			suite.clusterErr = fmt.Errorf("missing %s: run `make tools`", strings.Join(missing, ", "))
			return
		}
		dir := filepath.Join(suite.tmp, "cluster")
		began := time.Now()
		// --owner: a watchdog stops the control plane if this binary dies
		// without reaching stopCluster (panic, -timeout).
		// A node (tools/cluster.sh up --node; its lock may make this wait for
		// another package's node): the workload stacks of the
		// alicloud target wait for their pods to be ready, as on ACK.
		out, err := localcluster.Script(suite.root, 55*time.Minute, []string{"ACK_TOOLS_BIN=" + suite.bin},
			"up", "--node", "--owner", strconv.Itoa(os.Getpid()), dir)
		suite.clusterDir = dir
		if err != nil {
			suite.clusterErr = fmt.Errorf("tools/cluster.sh up: %v\n%s", err, out)
			return
		}
		suite.kubeconfig = filepath.Join(dir, "kubeconfig")
		fmt.Fprintf(os.Stderr, "rehearsal: local cluster ready in %s\n", time.Since(began).Round(100*time.Millisecond))
	})
	require.NoError(t, suite.clusterErr)
}

// startControlPlane gives one world a control plane of its own without a
// node (so without the machine-wide node lock), for a test whose stacks
// need a cluster credential from the emulator but run no pod; it is
// stopped when the test ends.
func startControlPlane(t *testing.T, w *world) {
	t.Helper()
	dir := filepath.Join(w.dir, "control-plane")
	env := []string{"ACK_TOOLS_BIN=" + suite.bin}
	out, err := localcluster.Script(suite.root, 5*time.Minute, env, "up", "--owner", strconv.Itoa(os.Getpid()), dir)
	t.Cleanup(func() {
		if out, err := localcluster.Script(suite.root, time.Minute, env, "down", dir); err != nil {
			t.Errorf("tools/cluster.sh down: %v\n%s", err, out)
		}
	})
	require.NoError(t, err, "tools/cluster.sh up: %s", out)
	w.kubeconfig = filepath.Join(dir, "kubeconfig")
}

// stopCluster stops the control plane if a test started it.
func stopCluster() {
	if suite.clusterDir == "" {
		return
	}
	env := []string{"ACK_TOOLS_BIN=" + suite.bin}
	if out, err := localcluster.Script(suite.root, time.Minute, env, "down", suite.clusterDir); err != nil {
		fmt.Fprintf(os.Stderr, "rehearsal: tools/cluster.sh down: %v\n%s\n", err, out)
	}
}
