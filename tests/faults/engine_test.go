package faults_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

const (
	// passphrase encrypts the test stacks' secrets; a test value.
	passphrase = "faults-test-passphrase-not-a-secret"
	stackName  = "dev"
	// runTimeout bounds one pulumi command.
	runTimeout = 6 * time.Minute
)

// backendKind says where a stack keeps its state.
type backendKind string

const (
	onFile backendKind = "file"
	onS3   backendKind = "s3"
)

// stack is a workload stack of the synthetic catalog, deployed with the
// real engine to a local cluster.
type stack struct {
	t       *testing.T
	dir     string // project directory (Pulumi.yaml, Pulumi.dev.yaml)
	env     []string
	cluster *localcluster.Cluster
	// backend is the URL `pulumi login` would take.
	backend string
}

// stackOpts shape a new stack.
type stackOpts struct {
	services int
	backend  backendKind
	// asWorkload runs every command as tools/engine.sh runs a workload
	// stack: PULUMI_SKIP_CHECKPOINTS=true (with PULUMI_EXPERIMENTAL=true,
	// which it needs) and PULUMI_K8S_ENABLE_PATCH_FORCE=true.
	asWorkload bool
}

// newStack lays out a project with tools/bench (services of the synthetic
// catalog in one environment, `dev`), creates the stack on the chosen
// backend and points it at the cluster through its kubeconfig (a secret).
func newStack(t *testing.T, c *localcluster.Cluster, o stackOpts) *stack {
	t.Helper()
	base := t.TempDir()
	s := &stack{t: t, dir: filepath.Join(base, "project"), cluster: c}
	home := filepath.Join(base, "pulumi-home")
	for _, d := range []string{s.dir, home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	switch o.backend {
	case onS3:
		s.backend = startS3(t)
	default:
		dir := filepath.Join(base, "backend")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s.backend = "file://" + dir
	}
	gen := exec.Command(suite.gen, "-out", s.dir, "-stack", stackName,
		"-services", strconv.Itoa(o.services), "-envs", "1")
	gen.Dir = suite.root
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("tools/bench: %v\n%s", err, out)
	}
	s.env = engineEnv(home, s.backend, filepath.Join(base, "no-kubeconfig"), o.asWorkload)
	s.must("stack", "init")
	s.mustIn(readFile(t, c.Kubeconfig), "config", "set", "--secret", "ack-platform:kubeconfig")
	return s
}

// engineEnv is the environment of every pulumi command: .tools/bin first on
// PATH (the engine takes plugins from there), its own PULUMI_HOME and
// backend, no plugin downloads, and a KUBECONFIG that does not exist, so a
// resource that forgot its explicit provider fails instead of reaching
// another cluster.
func engineEnv(home, backend, kubeconfig string, asWorkload bool) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PULUMI_") || strings.HasPrefix(k, "AWS_") || k == "KUBECONFIG" || k == "PATH" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"PATH="+suite.bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"PULUMI_HOME="+home,
		"PULUMI_BACKEND_URL="+backend,
		"PULUMI_CONFIG_PASSPHRASE="+passphrase,
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_SKIP_CONFIRMATIONS=true",
		"KUBECONFIG="+kubeconfig,
	)
	env = append(env, s3Env...)
	if asWorkload {
		env = append(env, "PULUMI_EXPERIMENTAL=true", "PULUMI_SKIP_CHECKPOINTS=true", "PULUMI_K8S_ENABLE_PATCH_FORCE=true")
	}
	return env
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// result is what one pulumi command did.
type result struct {
	out  string // standard output and error, interleaved
	err  error
	took time.Duration
}

// cmd prepares a pulumi command in its own process group; the command's
// own children (language host, program, providers) start further groups of
// their own, so stopping it takes killTree.
func (s *stack) cmd(ctx context.Context, stdin string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	args = append(args, "--non-interactive", "--stack", stackName)
	cmd := exec.CommandContext(ctx, filepath.Join(suite.bin, "pulumi"), args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { killTree(cmd.Process.Pid); return nil }
	cmd.WaitDelay = 30 * time.Second
	return cmd, &out
}

// run runs pulumi ARGS with stdin and returns what it did.
func (s *stack) runIn(stdin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd, out := s.cmd(ctx, stdin, args...)
	began := time.Now()
	err := cmd.Run()
	r := result{out: out.String(), err: err, took: time.Since(began)}
	if ctx.Err() != nil {
		r.err = fmt.Errorf("%w (timed out after %s)", err, runTimeout)
	}
	return r
}

func (s *stack) run(args ...string) result { return s.runIn("", args...) }

// must runs pulumi ARGS and fails the test when it fails.
func (s *stack) must(args ...string) result { return s.mustIn("", args...) }

func (s *stack) mustIn(stdin string, args ...string) result {
	s.t.Helper()
	r := s.runIn(stdin, args...)
	if r.err != nil {
		s.t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), r.err, lastLines(r.out, 60))
	}
	return r
}

// up runs `pulumi up` (no preview of its own) with extra flags.
func (s *stack) up(flags ...string) result {
	s.t.Helper()
	r := s.must(append([]string{"up", "--yes", "--skip-preview"}, flags...)...)
	s.t.Logf("pulumi up %s: %s", strings.Join(flags, " "), r.took.Round(100*time.Millisecond))
	return r
}

// setConfig sets a plain config value at a path
// (ack-platform:environments.dev.releases.gateway).
func (s *stack) setConfig(key, value string) {
	s.t.Helper()
	s.mustIn(value, "config", "set", "--path", "--plaintext", key)
}

// expectNoChanges runs `pulumi preview --expect-no-changes` with flags.
func (s *stack) expectNoChanges(flags ...string) {
	s.t.Helper()
	s.must(append([]string{"preview", "--expect-no-changes", "--diff"}, flags...)...)
}

// event is one line of the engine's event log (--event-log).
type event struct {
	Sequence         int `json:"sequence"`
	ResourcePreEvent *struct {
		Metadata stepMeta `json:"metadata"`
	} `json:"resourcePreEvent"`
	ResOutputsEvent *struct {
		Metadata stepMeta `json:"metadata"`
	} `json:"resOutputsEvent"`
	DiagnosticEvent *struct {
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"diagnosticEvent"`
}

type stepMeta struct {
	Op   string `json:"op"`
	URN  string `json:"urn"`
	Type string `json:"type"`
}

// killPoint decides, from the events seen so far, when to kill the engine.
type killPoint struct {
	name string
	// kill reports whether to kill now, given every event so far.
	kill func(events []event) bool
}

// afterSteps kills once n resource steps other than `same` have started
// (resourcePreEvent): the n-th step's API call is then in flight or just
// made, the later ones not yet begun.
func afterSteps(n int) killPoint {
	return killPoint{
		name: fmt.Sprintf("after %d steps began", n),
		kill: func(evs []event) bool {
			seen := 0
			for _, e := range evs {
				if e.ResourcePreEvent != nil && isChange(e.ResourcePreEvent.Metadata) {
					seen++
				}
			}
			return seen >= n
		},
	}
}

// afterDone kills once n changes have finished (their outputs recorded):
// on a loaded machine a change can begin long before the API server has
// it, so a kill after it began may come before anything changed.
func afterDone(n int) killPoint {
	return killPoint{
		name: fmt.Sprintf("after %d changes finished", n),
		kill: func(evs []event) bool {
			done := 0
			for _, e := range evs {
				if e.ResOutputsEvent == nil || !isChange(e.ResOutputsEvent.Metadata) {
					continue
				}
				switch e.ResOutputsEvent.Metadata.Op {
				case "create", "update", "delete", "replace", "create-replacement":
					done++ // a refresh step is not a change
				}
			}
			return done >= n
		},
	}
}

func isChange(m stepMeta) bool {
	return m.Op != "same" && m.Op != "read" && !strings.HasPrefix(m.Type, "pulumi:")
}

// running is a pulumi command started in the background, its engine
// events logged to a file (--event-log) as they happen.
type running struct {
	s     *stack
	args  []string
	cmd   *exec.Cmd
	out   *bytes.Buffer
	log   string
	done  chan error
	err   error
	ended bool
}

// start starts pulumi ARGS in the background.
func (s *stack) start(args ...string) *running {
	s.t.Helper()
	r := &running{s: s, args: args, log: filepath.Join(s.t.TempDir(), "events.jsonl"), done: make(chan error, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	r.cmd, r.out = s.cmd(ctx, "", append(args, "--event-log", r.log)...)
	// --event-log exists only with the CLI's debug commands on.
	r.cmd.Env = append(r.cmd.Env, "PULUMI_DEBUG_COMMANDS=true")
	if err := r.cmd.Start(); err != nil {
		cancel()
		s.t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait(); cancel() }()
	s.t.Cleanup(func() {
		if !r.ended {
			killTree(r.cmd.Process.Pid)
			<-r.done
		}
	})
	return r
}

// until waits until at is reached (true) or the command ends (false).
func (r *running) until(at killPoint) bool {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-r.done:
			r.err, r.ended = err, true
			return false
		case <-tick.C:
			if at.kill(readEvents(r.log)) {
				return true
			}
		}
	}
}

// wait waits for the command to end and returns its result.
func (r *running) wait() result {
	if !r.ended {
		r.err, r.ended = <-r.done, true
	}
	return result{out: r.out.String(), err: r.err}
}

// kill SIGKILLs the CLI and every process under it at once (language
// host, program, providers), as when the machine running it is lost.
func (r *running) kill() {
	killTree(r.cmd.Process.Pid)
	r.wait()
}

// killedRun runs pulumi ARGS and kills it at the kill point. It reports
// whether the kill happened before the command finished by itself.
func (s *stack) killedRun(at killPoint, args ...string) bool {
	s.t.Helper()
	r := s.start(args...)
	if !r.until(at) {
		s.t.Logf("pulumi %s finished before the kill point (%s): %v", strings.Join(args, " "), at.name, r.err)
		return false
	}
	r.kill()
	s.t.Logf("killed pulumi %s %s (%d changes had begun):\n%s", strings.Join(args, " "), at.name,
		countBegun(readEvents(r.log)), lastLines(r.out.String(), 6))
	return true
}

func countBegun(evs []event) int {
	n := 0
	for _, e := range evs {
		if e.ResourcePreEvent != nil && isChange(e.ResourcePreEvent.Metadata) {
			n++
		}
	}
	return n
}

// readEvents reads the complete lines of an event log written so far.
func readEvents(path string) []event {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	} else {
		return nil
	}
	var evs []event
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			evs = append(evs, e)
		}
	}
	return evs
}

// killTree stops process pid and every process descending from it (see
// freezeTree), then kills them all (SIGKILL).
func killTree(pid int) {
	for _, p := range freezeTree(pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// freezeTree stops (SIGSTOP) process pid and every process descending from
// it, so none can start another or react, and returns them.
func freezeTree(pid int) []int {
	stopped := map[int]bool{}
	var order []int
	for {
		fresh := false
		for _, p := range append([]int{pid}, descendants(pid)...) {
			if !stopped[p] {
				_ = syscall.Kill(p, syscall.SIGSTOP)
				stopped[p], fresh = true, true
				order = append(order, p)
			}
		}
		if !fresh {
			return order
		}
	}
}

// thawTree resumes (SIGCONT) the processes freezeTree stopped.
func thawTree(pids []int) {
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGCONT)
	}
}

// descendants lists the processes under pid, from /proc.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		fields := strings.Fields(string(rest))
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		children[ppid] = append(children[ppid], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
