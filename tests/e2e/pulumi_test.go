package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
)

// passphrase encrypts the test stacks' secrets; a test value, never a real one.
const passphrase = "e2e-test-passphrase-not-a-secret"

// project is a Pulumi project directory outside the work tree whose `main`
// points at the repository root: the language host compiles and runs the
// real program, while Pulumi.<stack>.yaml (and the encryption salt that
// `stack init` writes into it) stays in a temporary directory, so a test
// never edits the repository's stack files. Its backend (file://) and
// PULUMI_HOME are temporary too: nothing of the user's is read or touched.
type project struct {
	dir, backend, home, stack string
	env                       []string
}

// newProject lays out a project under base for stack, starting from the
// repository's Pulumi.yaml and Pulumi.<stack>.yaml, and runs `stack init`.
// It returns the config keys whose `secure:` values were dropped from the
// copied stack file (they are encrypted under someone else's passphrase):
// the caller sets them again.
func newProject(ctx context.Context, base, stack string) (*project, []string, error) {
	p := &project{
		dir:     filepath.Join(base, "project"),
		backend: filepath.Join(base, "backend"),
		home:    filepath.Join(base, "pulumi-home"),
		stack:   stack,
	}
	for _, d := range []string{p.dir, p.backend, p.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, nil, err
		}
	}
	if err := p.writeProjectFile(); err != nil {
		return nil, nil, err
	}
	dropped, err := p.writeStackFile()
	if err != nil {
		return nil, nil, err
	}
	p.env = pulumiEnv(p.backend, p.home, filepath.Join(base, "no-kubeconfig"))
	if _, err := p.run(ctx, "", "stack", "init", stack, "--non-interactive"); err != nil {
		return nil, nil, err
	}
	return p, dropped, nil
}

// pulumiEnv is the environment of every pulumi command: the tools of
// .tools/bin first on PATH (the engine takes plugins from PATH), a file
// backend, no plugin downloads, and a KUBECONFIG that does not exist, so a
// resource that forgot its explicit provider fails instead of reaching
// whatever cluster the user's kubeconfig names.
func pulumiEnv(backend, home, kubeconfig string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") || k == "KUBECONFIG" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"PATH="+suite.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL=file://"+backend,
		"PULUMI_CONFIG_PASSPHRASE="+passphrase,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"KUBECONFIG="+kubeconfig,
	)
}

// writeProjectFile copies Pulumi.yaml with `main` pointing at the repository.
func (p *project) writeProjectFile() error {
	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi.yaml"))
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("Pulumi.yaml: not a mapping (%v)", err)
	}
	rel, err := filepath.Rel(p.dir, suite.root)
	if err != nil {
		return err
	}
	m := doc.Content[0]
	setKey(m, "main", rel)
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(p.dir, "Pulumi.yaml"), out, 0o644)
}

// writeStackFile copies Pulumi.<stack>.yaml without its encryption settings
// and secure values.
func (p *project) writeStackFile() ([]string, error) {
	src := filepath.Join(suite.root, "Pulumi."+p.stack+".yaml")
	b, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping (%v)", src, err)
	}
	m := doc.Content[0]
	for _, k := range []string{"encryptionsalt", "secretsprovider", "encryptedkey"} {
		deleteKey(m, k)
	}
	var dropped []string
	if cfg := getKey(m, "config"); cfg != nil && cfg.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(cfg.Content); {
			v := cfg.Content[i+1]
			if v.Kind == yaml.MappingNode && len(v.Content) == 2 && v.Content[0].Value == "secure" {
				dropped = append(dropped, cfg.Content[i].Value)
				cfg.Content = append(cfg.Content[:i], cfg.Content[i+2:]...)
				continue
			}
			i += 2
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, err
	}
	return dropped, os.WriteFile(p.stackFile(), out, 0o644)
}

func (p *project) stackFile() string { return filepath.Join(p.dir, "Pulumi."+p.stack+".yaml") }

func getKey(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func setKey(m *yaml.Node, k, v string) {
	if n := getKey(m, k); n != nil {
		*n = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		return
	}
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
}

func deleteKey(m *yaml.Node, k string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// run runs pulumi in the project directory. The command and every process
// it starts (language host, program, providers) form one process group,
// interrupted when ctx ends and killed once the command has returned.
func (p *project) run(ctx context.Context, stdin string, args ...string) (string, error) {
	stdout, stderr, err := p.runSplit(ctx, stdin, nil, args...)
	if err != nil {
		return stdout, fmt.Errorf("pulumi %s: %w\n%s", strings.Join(args, " "), err, lastLines(stdout+"\n"+stderr, 60))
	}
	return stdout, nil
}

func (p *project) runSplit(ctx context.Context, stdin string, extraEnv []string, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "pulumi"), args...)
	cmd.Dir = p.dir
	cmd.Env = append(append([]string{}, p.env...), extraEnv...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// SIGINT is pulumi's graceful cancel: it stops the engine and its
	// plugins; WaitDelay bounds how long that may take.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
	}
	return stdout.String(), stderr.String(), err
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// setConfig runs `pulumi config set`; path addresses a field inside an
// object value (ack-platform:environments.dev.releases.gateway). The value
// goes through standard input, so it never appears in a process listing.
func (p *project) setConfig(ctx context.Context, key, value string, secret, path bool) error {
	args := []string{"config", "set", key, "--stack", p.stack, "--non-interactive"}
	if secret {
		args = append(args, "--secret")
	} else {
		args = append(args, "--plaintext")
	}
	if path {
		args = append(args, "--path")
	}
	_, err := p.run(ctx, value, args...)
	return err
}

// configJSON returns a config value decoded from JSON (objects and strings).
func (p *project) configJSON(ctx context.Context, key string, path bool, dst any) error {
	args := []string{"config", "get", key, "--json", "--stack", p.stack}
	if path {
		args = append(args, "--path")
	}
	out, err := p.run(ctx, "", args...)
	if err != nil {
		return err
	}
	var v struct {
		Value       string `json:"value"`
		ObjectValue any    `json:"objectValue"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		return fmt.Errorf("config get %s: %w", key, err)
	}
	if v.ObjectValue != nil {
		b, _ := json.Marshal(v.ObjectValue)
		return json.Unmarshal(b, dst)
	}
	if s, ok := dst.(*string); ok {
		*s = v.Value
		return nil
	}
	return json.Unmarshal([]byte(v.Value), dst)
}

// up runs `pulumi up` without a preview of its own.
func (p *project) up(ctx context.Context) error {
	_, err := p.run(ctx, "", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", p.stack)
	return err
}

// destroy runs `pulumi destroy`.
func (p *project) destroy(ctx context.Context) error {
	_, err := p.run(ctx, "", "destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", p.stack)
	return err
}

// step is one resource step of a preview, from the engine's events.
type step struct {
	Op, URN, Type string
	Diffs         []string
}

// preview is what `pulumi preview` reports.
type preview struct {
	// Changes is the engine's change summary: op → count.
	Changes map[string]int
	// Steps are the engine's resourcePreEvents.
	Steps []step
	// Errors are the error diagnostics.
	Errors []string
}

// NotSame returns the steps whose op is not "same".
func (pv *preview) NotSame() []step {
	var out []step
	for _, s := range pv.Steps {
		if s.Op != "same" {
			out = append(out, s)
		}
	}
	return out
}

// preview runs `pulumi preview --json` with the engine's events streamed
// (PULUMI_ENABLE_STREAMING_JSON_PREVIEW), one JSON event a line, and
// collects the change summary and the step of every resource.
func (p *project) preview(ctx context.Context) (*preview, error) {
	args := []string{"preview", "--json", "--non-interactive", "--stack", p.stack}
	stdout, stderr, runErr := p.runSplit(ctx, "", []string{"PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true"}, args...)
	pv := &preview{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var summary bool
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		var ev struct {
			ResourcePreEvent *struct {
				Metadata struct {
					Op    string   `json:"op"`
					URN   string   `json:"urn"`
					Type  string   `json:"type"`
					Diffs []string `json:"diffs"`
				} `json:"metadata"`
			} `json:"resourcePreEvent"`
			SummaryEvent *struct {
				ResourceChanges map[string]int `json:"resourceChanges"`
			} `json:"summaryEvent"`
			DiagnosticEvent *struct {
				Severity string `json:"severity"`
				Message  string `json:"message"`
				URN      string `json:"urn"`
			} `json:"diagnosticEvent"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			return nil, fmt.Errorf("preview: event %q: %w", truncate(string(line), 200), err)
		}
		switch {
		case ev.ResourcePreEvent != nil:
			m := ev.ResourcePreEvent.Metadata
			pv.Steps = append(pv.Steps, step{Op: m.Op, URN: m.URN, Type: m.Type, Diffs: m.Diffs})
		case ev.SummaryEvent != nil:
			pv.Changes, summary = ev.SummaryEvent.ResourceChanges, true
		case ev.DiagnosticEvent != nil && ev.DiagnosticEvent.Severity == "error":
			pv.Errors = append(pv.Errors, strings.TrimSpace(ev.DiagnosticEvent.URN+" "+ev.DiagnosticEvent.Message))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if runErr != nil || !summary {
		return pv, fmt.Errorf("pulumi %s: %v (summary seen: %v)\nerrors: %s\n%s", strings.Join(args, " "), runErr, summary,
			strings.Join(pv.Errors, "\n"), lastLines(stderr, 40))
	}
	return pv, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// stateResource is a resource of `pulumi stack export`.
type stateResource struct {
	URN     string         `json:"urn"`
	Custom  bool           `json:"custom"`
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Inputs  map[string]any `json:"inputs"`
	Outputs map[string]any `json:"outputs"`
}

// export runs `pulumi stack export` (secrets stay ciphertext).
func (p *project) export(ctx context.Context) ([]stateResource, error) {
	out, err := p.run(ctx, "", "stack", "export", "--stack", p.stack)
	if err != nil {
		return nil, err
	}
	var d struct {
		Deployment struct {
			Resources []stateResource `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		return nil, fmt.Errorf("stack export: %w", err)
	}
	return d.Deployment.Resources, nil
}
