package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
)

// workspace is a throwaway repository root: the real Pulumi.yaml (catalog)
// and one stack file per environment, as the stack layout has them.
func workspace(t *testing.T) string {
	t.Helper()
	repo, err := stackfile.WorkingRoot()
	require.NoError(t, err)
	dir := t.TempDir()
	catalog, err := os.ReadFile(filepath.Join(repo, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), catalog, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example\n"), 0o644))
	for _, env := range []string{"dev", "test"} {
		stack := "# " + env + ": its own release map\nconfig:\n  ack-platform:environments:\n    " + env +
			":\n      releases:\n        gateway: 1.8.2 # pinned\n        auth-service: \"2.3\"\n"
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+env+".yaml"), []byte(stack), 0o644))
	}
	return dir
}

func read(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return string(data)
}

// A release to test changes one line of Pulumi.test.yaml and nothing else.
func TestReleaseWritesTheEnvironmentsOwnStackFile(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	before, devBefore := read(t, dir, "Pulumi.test.yaml"), read(t, dir, "Pulumi.dev.yaml")
	require.NoError(t, run(dir, "test", "gateway", "1.8.3", "test", false))
	after := read(t, dir, "Pulumi.test.yaml")
	assert.Equal(t, strings.Replace(before, "gateway: 1.8.2 # pinned", "gateway: 1.8.3 # pinned", 1), after)
	assert.Equal(t, devBefore, read(t, dir, "Pulumi.dev.yaml"), "another environment's file is untouched")

	// A tag YAML would read as a number stays a string.
	require.NoError(t, run(dir, "test", "auth-service", "2.10", "test", false))
	assert.Contains(t, read(t, dir, "Pulumi.test.yaml"), `auth-service: "2.10"`)
}

func TestReleaseRefusals(t *testing.T) {
	t.Parallel()
	dir := workspace(t)
	assert.ErrorContains(t, run(dir, "test", "no-such-service", "1.0.0", "test", false), `service "no-such-service" is not in the catalog`)
	assert.ErrorContains(t, run(dir, "staging", "gateway", "1.0.0", "test", false), `environment "staging" is not in stack test`)
	before := read(t, dir, "Pulumi.test.yaml")
	require.NoError(t, run(dir, "test", "gateway", "9.9.9", "test", true))
	assert.Equal(t, before, read(t, dir, "Pulumi.test.yaml"), "-check writes nothing")
}

// make release picks the stack from ENV unless STACK is given.
func TestMakeReleaseStackDefaultsToEnv(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is needed for this test")
	}
	repo, err := stackfile.WorkingRoot()
	require.NoError(t, err)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"ENV=test"}, "tools/release.sh test gateway 1.8.3 test"},
		{[]string{"ENV=prod"}, "tools/release.sh prod gateway 1.8.3 prod"},
		{[]string{"ENV=staging", "STACK=local"}, "tools/release.sh staging gateway 1.8.3 local"},
	} {
		cmd := exec.Command("make", append([]string{"-n", "--no-print-directory", "release", "SERVICE=gateway", "TAG=1.8.3"}, tc.args...)...)
		cmd.Dir = repo
		cmd.Env = slicesWithout(os.Environ(), "STACK=")
		out, err := cmd.Output()
		require.NoError(t, err, "%v", tc.args)
		assert.Equal(t, tc.want, strings.SplitN(string(out), "\n", 2)[0], "%v", tc.args)
	}
}

// slicesWithout drops the variable named by prefix from env.
func slicesWithout(env []string, prefix string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			out = append(out, kv)
		}
	}
	return out
}
