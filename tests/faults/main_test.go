// Package faults_test breaks the real engine on purpose and checks that
// nothing is lost: the Pulumi CLI, the Go language host and the Kubernetes
// provider of .tools/bin, run against a local control plane
// (tests/internal/localcluster), with the state on a file backend or on an
// S3-compatible server (gofakes3) reached through the same `s3://` URL form
// as Alibaba Cloud OSS.
//
// Every test builds its own workload stack from the synthetic catalog of
// tools/bench (a few services, one environment, no secrets of the
// repository's) and its own cluster, so a test that kills processes cannot
// disturb another.
//
// Nothing here skips: a missing tool fails the package with "run make tools".
package faults_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
	"github.com/ack-platform/ack-platform/tests/internal/toolbin"
)

var suite struct {
	// root is the repository root, bin its .tools/bin.
	root, bin string
	// tmp holds what the package creates; removed at the end.
	tmp string
	// gen is tools/bench built once: it lays out a project directory with
	// a synthetic catalog.
	gen string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := localcluster.RepoRoot()
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	suite.root = root
	if suite.bin, err = toolbin.Check(root, toolbin.Engine); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL faults: %v\n", err)
		return 1
	}
	suite.tmp, err = os.MkdirTemp("", "ack-faults-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "faults: %v\n", err)
		return 1
	}
	defer os.RemoveAll(suite.tmp)

	suite.gen = filepath.Join(suite.tmp, "benchgen")
	build := exec.Command("go", "build", "-o", suite.gen, "./tools/bench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL faults: go build ./tools/bench: %v\n%s\n", err, out)
		return 1
	}
	return m.Run()
}
