package rehearsal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// passphrase encrypts the rehearsal stacks' secrets; a test value.
const passphrase = "rehearsal-passphrase-not-a-secret"

// commandTimeout bounds one pulumi command.
const commandTimeout = 10 * time.Minute

// world is one rehearsal: one emulated Alibaba Cloud account, one file
// backend and one PULUMI_HOME, shared by every stack, as one real account
// and one state bucket are.
type world struct {
	dir, home, backend, account string
	// plugin is the PULUMI_HOME plugin directory holding the emulator.
	plugin string
	// kubeconfig is the local cluster the emulator hands out when it is
	// not the package's (startControlPlane).
	kubeconfig string
}

// newWorld lays out a rehearsal under a new directory. The emulator is
// installed into that world's own plugin cache, as the alicloud version the
// SDK asks for: only these commands, with this PULUMI_HOME and the
// emulator's variable, can load it.
func newWorld(t *testing.T, name string) *world {
	t.Helper()
	w := &world{dir: filepath.Join(suite.tmp, name)}
	w.home, w.backend, w.account = filepath.Join(w.dir, "pulumi-home"), filepath.Join(w.dir, "backend"), filepath.Join(w.dir, "account")
	w.plugin = filepath.Join(w.home, "plugins", "resource-alicloud-v"+sdkVersion(t))
	for _, d := range []string{w.backend, w.account, w.plugin} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.Symlink(suite.emulator, filepath.Join(w.plugin, "pulumi-resource-alicloud")))
	return w
}

// sdkVersion is the alicloud version the SDK subset asks the engine for.
func sdkVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(suite.root, "sdks", "alicloud", "schema.json"))
	require.NoError(t, err)
	var s struct{ Version string }
	require.NoError(t, json.Unmarshal(b, &s))
	return s.Version
}

// baseEnv is the caller's environment without anything that would point
// the engine elsewhere (PULUMI_*, KUBECONFIG, PATH, the emulator's own).
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") || strings.HasPrefix(k, "ACK_ALICLOUD_EMULATOR") || k == "KUBECONFIG" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// plainEnv is what `make` gives a real deployment: .tools/bin first on
// PATH, no plugin downloads; plus a file backend and PULUMI_HOME.
func plainEnv(home, backend string) []string {
	return append(baseEnv(),
		"PATH="+suite.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL=file://"+backend,
		"PULUMI_CONFIG_PASSPHRASE="+passphrase,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"KUBECONFIG="+filepath.Join(suite.tmp, "no-kubeconfig"),
	)
}

// env is plainEnv plus what asks for the emulator explicitly.
func (w *world) env() []string {
	kubeconfig := suite.kubeconfig
	if w.kubeconfig != "" {
		kubeconfig = w.kubeconfig
	}
	return append(plainEnv(w.home, w.backend),
		"ACK_ALICLOUD_EMULATOR=1",
		"ACK_ALICLOUD_EMULATOR_ROOT="+suite.root,
		"ACK_ALICLOUD_EMULATOR_STATE="+w.account,
		"ACK_ALICLOUD_EMULATOR_KUBECONFIG="+kubeconfig,
	)
}

// project writes a project directory whose `main` is program (a directory
// of the repository): stack files and the encryption salt stay out of the
// work tree.
func (w *world) project(t *testing.T, name, program string) string {
	t.Helper()
	dir := filepath.Join(w.dir, "projects", name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	yaml := fmt.Sprintf("name: %s\nruntime: go\nmain: %s\n", name, program)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(yaml), 0o644))
	return dir
}

// writeProject writes a project directory holding pulumiYAML (a project
// file of this repository or of its history) with `main` pointing at
// program, so stack files and the encryption salt stay out of the program.
func writeProject(t *testing.T, w *world, name string, pulumiYAML []byte, program string) string {
	t.Helper()
	yaml := strings.Replace(string(pulumiYAML), "runtime: go\n", "runtime: go\nmain: "+program+"\n", 1)
	require.Contains(t, yaml, "main: "+program)
	dir := filepath.Join(w.dir, "projects", name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte(yaml), 0o644))
	return dir
}

// canary is the value the rehearsal sets for an operator secret: the same
// for a key in every stack, so a secret that moves between stacks keeps it.
func canary(key string) string { return "rehearsal-canary-" + key }

// stack is one stack of a project in a world.
type stack struct {
	w         *world
	dir, name string
}

// newStack initialises stack name of the project in dir, with config.
func (w *world) newStack(t *testing.T, dir, name string, config map[string]string) *stack {
	t.Helper()
	s := &stack{w: w, dir: dir, name: name}
	s.must(t, "stack", "init", name, "--non-interactive")
	for k, v := range config {
		s.config(t, k, v)
	}
	return s
}

func (s *stack) config(t *testing.T, key, value string) {
	t.Helper()
	s.must(t, "config", "set", "--stack", s.name, key, value)
}

// run runs a pulumi command in the stack's project with the world's env.
func (s *stack) run(args ...string) (stdout, stderr string, err error) {
	return runPulumi(s.dir, s.w.env(), args...)
}

func runPulumi(dir string, env []string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "pulumi"), args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("pulumi %s: %w", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), err
}

func (s *stack) must(t *testing.T, args ...string) string {
	t.Helper()
	began := time.Now()
	out, errOut, err := s.run(args...)
	require.NoError(t, err, "stdout:\n%s\nstderr:\n%s", out, errOut)
	t.Logf("%s %s: %s", s.name, strings.Join(args, " "), time.Since(began).Round(100*time.Millisecond))
	return out
}

func (s *stack) up(t *testing.T) string {
	t.Helper()
	return s.must(t, "up", "--stack", s.name, "--yes", "--skip-preview", "--non-interactive")
}

func (s *stack) outputs(t *testing.T) map[string]any {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(s.must(t, "stack", "output", "--stack", s.name, "--json")), &out))
	return out
}

// preview runs `pulumi preview --json` and returns the raw JSON (also when
// the preview fails, as it does when protect refuses a step) and the error.
func (s *stack) preview() ([]byte, string, error) {
	out, errOut, err := s.run("preview", "--stack", s.name, "--json", "--diff", "--non-interactive")
	return []byte(out), errOut, err
}

// step is the part of a preview step the assertions read.
type step struct {
	Op             string   `json:"op"`
	URN            string   `json:"urn"`
	ReplaceReasons []string `json:"replaceReasons"`
	DiffReasons    []string `json:"diffReasons"`
	NewState       *struct {
		Type    string `json:"type"`
		Protect bool   `json:"protect"`
	} `json:"newState"`
}

func steps(t *testing.T, raw []byte) []step {
	t.Helper()
	var doc struct {
		Steps []step `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc), "preview JSON:\n%s", raw)
	return doc.Steps
}

// changed lists the steps that change something, as "op type name".
func changed(all []step) []string {
	var out []string
	for _, s := range all {
		// A preview with --refresh (engine.sh on a workload stack) lists a
		// refresh step for each resource before its real step.
		if s.Op == "same" || s.Op == "read" || s.Op == "refresh" {
			continue
		}
		parts := strings.Split(s.URN, "::")
		out = append(out, fmt.Sprintf("%s %s %s", s.Op, typeOf(s.URN), parts[len(parts)-1]))
	}
	return out
}

func typeOf(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1]
}

// runKubectl runs kubectl as the local cluster's admin.
func runKubectl(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "kubectl"), append([]string{"--kubeconfig", suite.kubeconfig}, args...)...)
	cmd.Env = baseEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}
