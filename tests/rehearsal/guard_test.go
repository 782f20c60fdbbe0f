package rehearsal_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The emulator refuses to start unless the harness asks for it by name,
// and starts (serving the provider protocol) when it does.
func TestEmulatorRefusesToStartWithoutTheVariable(t *testing.T) {
	for _, value := range []string{"", "0", "true"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, suite.emulator)
		cmd.Env = append(baseEnv(), "ACK_ALICLOUD_EMULATOR_ROOT="+suite.root, "ACK_ALICLOUD_EMULATOR_STATE="+t.TempDir())
		if value != "" {
			cmd.Env = append(cmd.Env, "ACK_ALICLOUD_EMULATOR="+value)
		}
		out, err := cmd.CombinedOutput()
		cancel()
		require.Error(t, err, "ACK_ALICLOUD_EMULATOR=%q: the emulator started", value)
		assert.Contains(t, string(out), "refusing to start", "ACK_ALICLOUD_EMULATOR=%q", value)
	}

	// With the variable it serves: it prints its port, as plugins do.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.emulator)
	cmd.Env = append(baseEnv(), "ACK_ALICLOUD_EMULATOR=1", "ACK_ALICLOUD_EMULATOR_ROOT="+suite.root,
		"ACK_ALICLOUD_EMULATOR_STATE="+t.TempDir())
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	port, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err, "first line %q", line)
	assert.Positive(t, port)
}

// A real deployment cannot find the emulator: it is in no directory on the
// PATH that `make` gives the engine, the project's Pulumi.yaml names no
// plugin, and a plain preview of a platform stack (automatic plugin
// acquisition off, as the Makefile sets it) fails for want of an alicloud
// plugin, where the same preview with the harness's environment succeeds.
func TestRealDeploymentCannotFindEmulator(t *testing.T) {
	path := suite.bin + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		_, err := os.Stat(filepath.Join(dir, "pulumi-resource-alicloud"))
		assert.True(t, os.IsNotExist(err), "pulumi-resource-alicloud found in %s, on PATH", dir)
	}
	// Nor beside the CLI, where the engine also looks.
	cli, err := filepath.EvalSymlinks(filepath.Join(suite.bin, "pulumi"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(filepath.Dir(cli), "pulumi-resource-alicloud"))
	assert.True(t, os.IsNotExist(err), "pulumi-resource-alicloud beside the CLI")

	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi.yaml"))
	require.NoError(t, err)
	var proj map[string]any
	require.NoError(t, yaml.Unmarshal(b, &proj))
	assert.NotContains(t, proj, "plugins", "the project's Pulumi.yaml must not load plugins by path")
	assert.NotContains(t, string(b), "emulator")

	w := newWorld(t, "guard")
	dir := w.project(t, "rehearsal-platform", filepath.Join(suite.root, "tests", "rehearsal", "testdata", "platform"))
	s := w.newStack(t, dir, "platform-nonprod", nil)

	home := filepath.Join(w.dir, "plain-home")
	require.NoError(t, os.MkdirAll(home, 0o755))
	out, errOut, err := runPulumi(dir, plainEnv(home, w.backend), "preview", "--stack", s.name, "--non-interactive")
	require.Error(t, err, "a plain preview found an alicloud plugin:\n%s", out)
	assert.Regexp(t, `(?i)no resource plugin 'pulumi-resource-alicloud'|could not find .*alicloud|failed to load .*alicloud|plugin.*alicloud.*not`, out+errOut)
	assert.NotContains(t, out+errOut, "emulated")

	// The same preview with the harness's environment reaches the emulator.
	s.must(t, "preview", "--stack", s.name, "--non-interactive")
}
