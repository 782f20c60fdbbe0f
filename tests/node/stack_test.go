package node_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// passphrase encrypts the test stack's secrets; a test value.
const passphrase = "node-test-passphrase-not-a-secret"

const stackName = "local"

// nodeCPU is the CPU request every workload gets on the test node. The
// catalog asks for about 5.5 cores of requests across dev and staging; the
// CI machine has 2, so the scheduler would leave most pods Pending. The
// stack sets it through the program's own per-environment overrides (and
// ack-platform:nacos and ack-platform:ingress.nginx resources): memory, limits,
// probes, security and everything else stay as the program renders them,
// and the quota is computed from the same figures.
const nodeCPU = "20m"

// project is the local stack in a temporary project whose main points at
// the repository: the real program, with its stack file copied (secrets
// set again under the test passphrase) and a file backend.
type project struct {
	dir string
	env []string
	// catalog and environments as the stack reads them.
	catalog      config.Catalog
	environments map[string]config.Environment
}

var shared *project

func stack(t *testing.T) *project {
	t.Helper()
	if shared != nil {
		return shared
	}
	base := filepath.Join(suite.tmp, "stack")
	p := &project{dir: filepath.Join(base, "project")}
	backend, home := filepath.Join(base, "backend"), filepath.Join(base, "home")
	for _, d := range []string{p.dir, backend, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "PULUMI_") && k != "KUBECONFIG" && k != "PATH" {
			env = append(env, kv)
		}
	}
	p.env = append(env,
		"PATH="+suite.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL=file://"+backend,
		"PULUMI_CONFIG_PASSPHRASE="+passphrase,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		// No resource may reach another cluster through an ambient kubeconfig.
		"KUBECONFIG="+filepath.Join(base, "no-kubeconfig"),
	)
	secrets := p.writeFiles(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := p.pulumi(ctx, "stack", "init", stackName, "--non-interactive"); err != nil {
		t.Fatal(err)
	}
	kc, err := os.ReadFile(suite.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	secrets[config.Namespace+":kubeconfig"] = string(kc)
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if _, err := p.pulumiIn(ctx, secrets[k], "config", "set", "--secret", k); err != nil {
			t.Fatal(err)
		}
	}
	shared = p
	return p
}

// writeFiles writes Pulumi.yaml (main: the repository) and the local stack
// file with awaitReadiness and the node's CPU requests; it returns the
// secret keys the stack file held, with test values.
func (p *project) writeFiles(t *testing.T) map[string]string {
	t.Helper()
	var proj map[string]any
	readYAML(t, filepath.Join(suite.root, "Pulumi.yaml"), &proj)
	proj["main"] = suite.root
	writeYAML(t, filepath.Join(p.dir, "Pulumi.yaml"), proj)
	catalogJSON, _ := json.Marshal(proj["config"].(map[string]any)[config.Namespace+":catalog"].(map[string]any)["value"])
	if err := json.Unmarshal(catalogJSON, &p.catalog); err != nil {
		t.Fatalf("catalog: %v", err)
	}

	var st map[string]any
	readYAML(t, filepath.Join(suite.root, "Pulumi."+stackName+".yaml"), &st)
	for _, k := range []string{"encryptionsalt", "secretsprovider", "encryptedkey"} {
		delete(st, k)
	}
	cfg := st["config"].(map[string]any)
	secrets := map[string]string{}
	for k, v := range cfg {
		if m, ok := v.(map[string]any); ok && len(m) == 1 && m["secure"] != nil {
			delete(cfg, k)
			secrets[k] = "node-test-" + strings.TrimPrefix(k, config.Namespace+":")
		}
	}
	cfg[config.Namespace+":local"] = map[string]any{"awaitReadiness": true}
	cpu := map[string]any{"requests": map[string]any{"cpu": nodeCPU}}
	// Nacos takes its resources at ack-platform:nacos.resources, the
	// in-cluster ingress-nginx at ack-platform:ingress.nginx.resources.
	nacos := subMap(cfg, config.Namespace+":nacos")
	nacos["resources"] = cpu
	subMap(subMap(cfg, config.Namespace+":ingress"), "nginx")["resources"] = cpu
	envs := cfg[config.Namespace+":environments"].(map[string]any)
	for _, e := range envs {
		em := e.(map[string]any)
		over, _ := em["overrides"].(map[string]any)
		if over == nil {
			over = map[string]any{}
		}
		for svc := range p.catalog.Services {
			o, _ := over[svc].(map[string]any)
			if o == nil {
				o = map[string]any{}
			}
			o["resources"] = cpu
			over[svc] = o
		}
		em["overrides"] = over
	}
	envJSON, _ := json.Marshal(envs)
	if err := json.Unmarshal(envJSON, &p.environments); err != nil {
		t.Fatalf("environments: %v", err)
	}
	writeYAML(t, filepath.Join(p.dir, "Pulumi."+stackName+".yaml"), st)
	return secrets
}

// subMap is m[key] as a map, created when absent.
func subMap(m map[string]any, key string) map[string]any {
	sub, _ := m[key].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[key] = sub
	}
	return sub
}

func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// namespace is an environment's namespace.
func (p *project) namespace(env string) string {
	if ns := p.environments[env].Namespace; ns != "" {
		return ns
	}
	return env
}

// servicesOfKind lists the catalog's services of a kind, by name.
func (p *project) servicesOfKind(kind string) []string {
	var out []string
	for name, s := range p.catalog.Services {
		if s.Kind == kind {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (p *project) pulumi(ctx context.Context, args ...string) (string, error) {
	return p.pulumiIn(ctx, "", args...)
}

// pulumiIn runs pulumi in the project, in its own process group, which is
// interrupted (pulumi's graceful cancel) when ctx ends.
func (p *project) pulumiIn(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "pulumi"), args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if err != nil {
		out := stdout.String() + "\n" + stderr.String()
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) > 80 {
			lines = lines[len(lines)-80:]
		}
		return stdout.String(), fmt.Errorf("pulumi %s: %w\n%s", strings.Join(args, " "), err, strings.Join(lines, "\n"))
	}
	return stdout.String(), nil
}

func (p *project) up(ctx context.Context) error {
	_, err := p.pulumi(ctx, "up", "--yes", "--skip-preview", "--non-interactive", "--suppress-progress")
	return err
}

// deployed returns the stack after a successful `up`.
var isDeployed bool

func deployed(t *testing.T) *project {
	t.Helper()
	p := stack(t)
	if !isDeployed {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
		defer cancel()
		began := time.Now()
		if err := p.up(ctx); err != nil {
			t.Fatalf("pulumi up of the %s stack on the node: %v", stackName, err)
		}
		t.Logf("pulumi up with awaitReadiness on the node took %s", time.Since(began).Round(100*time.Millisecond))
		isDeployed = true
	}
	return p
}
