package sdk_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
	sdk "github.com/ack-platform/ack-platform/tests/sdk"
)

// repoRoot is the repository root.
func repoRoot(t *testing.T) string { return stackconfig.Root(t) }

func sdkDir(t *testing.T) string { return filepath.Join(repoRoot(t), "sdks", "alicloud") }

// openNPM runs tools/alicloud-npm.sh (download once, verify, extract) and
// opens the package it prints. Failing to get the package fails the test.
func openNPM(t *testing.T) *sdk.NPM {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(repoRoot(t), "tools", "alicloud-npm.sh"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tools/alicloud-npm.sh: %v\n%s", err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	npm, err := sdk.OpenNPM(dir)
	if err != nil {
		t.Fatalf("open npm package %s: %v", dir, err)
	}
	return npm
}
