// Package e2e_test runs the program for real: the Pulumi CLI built by
// `make tools`, the Go language host, the Kubernetes provider, against a
// local control plane (tools/cluster.sh) that the whole package shares.
//
// One stack, `local`, lives in a file backend in a temporary directory; the
// tests share it and take it through its life in source order: up, a no-op
// preview, admission of every pod, declared == live, a one-line release
// change and its rollback, secrets kept out of the state, then destroy. Each
// test brings the stack to the state it needs (see deployed), so any one of
// them also runs alone with -run.
//
// Nothing here skips: a missing tool fails the package with "run make tools".
package e2e_test

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

// Tools the package runs, all from .tools/bin (tools/install-tools.sh).
var requiredTools = []string{
	"pulumi", "pulumi-language-go", "pulumi-resource-kubernetes",
	"kubectl", "etcd", "kube-apiserver", "kube-controller-manager",
}

// suite is what TestMain sets up once for every test of the package.
var suite struct {
	// root is the repository root, bin its .tools/bin.
	root, bin string
	// tmp holds everything the package creates; removed at the end.
	tmp string
	// clusterDir is the tools/cluster.sh directory; kubeconfig its admin
	// kubeconfig; token the admin bearer token inside it (a secret).
	clusterDir, kubeconfig, token string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := localcluster.RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	suite.root, suite.bin = root, filepath.Join(root, ".tools", "bin")
	var missing []string
	for _, name := range requiredTools {
		if fi, err := os.Stat(filepath.Join(suite.bin, name)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	for _, name := range []string{"go", "bash", "curl", "openssl"} {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name+" (on PATH)")
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL e2e: missing %s in %s: run `make tools` (tools/install-tools.sh)\n",
			strings.Join(missing, ", "), suite.bin)
		return 1
	}

	suite.tmp, err = os.MkdirTemp("", "ack-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	keep := os.Getenv("ACK_E2E_KEEP") != ""
	defer func() {
		if keep {
			fmt.Fprintf(os.Stderr, "e2e: ACK_E2E_KEEP set: kept %s\n", suite.tmp)
			return
		}
		os.RemoveAll(suite.tmp)
	}()

	suite.clusterDir = filepath.Join(suite.tmp, "cluster")
	began := time.Now()
	// --owner: a watchdog stops the control plane if this binary dies
	// without reaching the deferred `down` (panic, -timeout).
	if out, err := clusterScript(3*time.Minute, "up", "--owner", strconv.Itoa(os.Getpid()), suite.clusterDir); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL e2e: tools/cluster.sh up: %v\n%s\n", err, out)
		return 1
	}
	defer func() {
		if out, err := clusterScript(time.Minute, "down", suite.clusterDir); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: tools/cluster.sh down: %v\n%s\n", err, out)
		}
	}()
	suite.kubeconfig = filepath.Join(suite.clusterDir, "kubeconfig")
	tok, err := os.ReadFile(filepath.Join(suite.clusterDir, "pki", "token"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL e2e: %v\n", err)
		return 1
	}
	suite.token = strings.TrimSpace(string(tok))
	fmt.Fprintf(os.Stderr, "e2e: local cluster ready in %s (%s)\n", time.Since(began).Round(100*time.Millisecond), suite.clusterDir)

	code := m.Run()
	if code != 0 {
		tailLogs()
	}
	return code
}

// clusterScript runs tools/cluster.sh with a deadline, on the suite's tools.
func clusterScript(timeout time.Duration, args ...string) (string, error) {
	return localcluster.Script(suite.root, timeout, []string{"ACK_TOOLS_BIN=" + suite.bin}, args...)
}

// tailLogs prints the end of each control-plane log after a failure.
func tailLogs() {
	for _, name := range localcluster.Components {
		b, err := os.ReadFile(filepath.Join(suite.clusterDir, name+".log"))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) > 30 {
			lines = lines[len(lines)-30:]
		}
		fmt.Fprintf(os.Stderr, "e2e: last lines of %s.log:\n%s\n", name, strings.Join(lines, "\n"))
	}
}
