// Package localcluster gives end-to-end tests a Kubernetes control plane of
// their own: tools/cluster.sh starts etcd, kube-apiserver and
// kube-controller-manager on loopback ports picked at run time, in a
// temporary directory, and stops them when the test ends.
//
// There is no kubelet and no scheduler: objects are admitted (quota, limit
// ranges, service accounts, ...), stored and reconciled by the controllers,
// so Deployments get ReplicaSets and Pods, but no container ever runs.
package localcluster

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	modulePath = "github.com/ack-platform/ack-platform"

	// StartTimeout bounds `tools/cluster.sh up`, which itself gives up after
	// CLUSTER_TIMEOUT seconds (120 by default).
	StartTimeout = 3 * time.Minute
	// CommandTimeout bounds each kubectl call and `tools/cluster.sh down`.
	CommandTimeout = time.Minute
)

// Components are the processes tools/cluster.sh runs, as named in its logs
// (DIR/<name>.log) and pid file.
var Components = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// NodeComponents are the processes `tools/cluster.sh up --node` adds.
var NodeComponents = []string{"containerd", "standin-registry", "standin-dnsfeed", "standin-statusfeed", "kube-scheduler", "kubelet", "kube-proxy", "kube-network-policies"}

// Cluster is a running local control plane.
type Cluster struct {
	// Dir holds the cluster's state: etcd data, keys, pids and logs.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig for the cluster.
	Kubeconfig string
	// Root is the repository root.
	Root string

	kubectl  string
	tb       testing.TB
	started  bool
	stopOnce sync.Once
	stopErr  error
}

// Start starts a local cluster for the test and stops it at the test's end.
// It fails the test (it does not skip it) when the binaries are missing.
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatalf("localcluster: %v", err)
	}
	bin := filepath.Join(root, ".tools", "bin")
	var missing []string
	paths := map[string]string{}
	for _, name := range append([]string{"kubectl"}, Components...) {
		if p, ok := findBinary(bin, name); ok {
			paths[name] = p
		} else {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		tb.Fatalf("localcluster: %s not found in %s nor on PATH: run make tools",
			strings.Join(missing, ", "), bin)
	}
	for _, name := range []string{"bash", "curl", "openssl"} {
		if _, err := exec.LookPath(name); err != nil {
			tb.Fatalf("localcluster: tools/cluster.sh needs %s on PATH", name)
		}
	}

	c := &Cluster{Dir: tb.TempDir(), Root: root, kubectl: paths["kubectl"], tb: tb}
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	// Registered after TempDir's own cleanup, so it runs before the
	// directory is removed.
	tb.Cleanup(func() {
		if tb.Failed() && c.started {
			c.logTails(40)
		}
		if err := c.Stop(); err != nil {
			tb.Errorf("localcluster: %v", err)
		}
	})

	began := time.Now()
	// --owner: if this test binary dies without running its cleanups (a
	// panic, a -timeout), a watchdog stops the cluster.
	out, err := c.script(StartTimeout, "up", "--owner", strconv.Itoa(os.Getpid()), c.Dir)
	if err != nil {
		tb.Fatalf("localcluster: tools/cluster.sh up failed after %s: %v\n%s",
			time.Since(began).Round(time.Millisecond), err, out)
	}
	c.started = true
	tb.Logf("localcluster: ready in %s, KUBECONFIG=%s", time.Since(began).Round(time.Millisecond), c.Kubeconfig)
	return c
}

// Kubectl runs kubectl against the cluster and returns its standard output.
// The error carries kubectl's standard error.
func (c *Cluster) Kubectl(args ...string) (string, error) {
	return c.KubectlInput("", args...)
}

// KubectlInput is Kubectl with stdin as kubectl's standard input.
func (c *Cluster) KubectlInput(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.kubectl, append([]string{"--kubeconfig", c.Kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Apply runs `kubectl apply -f -` with the given manifest.
func (c *Cluster) Apply(manifest string) error {
	_, err := c.KubectlInput(manifest, "apply", "-f", "-")
	return err
}

// Pids returns the pids `up` recorded, by component (and "watchdog").
func (c *Cluster) Pids() (map[string]int, error) {
	f, err := os.Open(filepath.Join(c.Dir, "pids"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pids := map[string]int{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) != 2 {
			continue
		}
		pid, err := strconv.Atoi(fields[1])
		if err != nil {
			return nil, fmt.Errorf("pids: bad line %q", s.Text())
		}
		pids[fields[0]] = pid
	}
	return pids, s.Err()
}

// Stop runs `tools/cluster.sh down`; later calls return the first result.
// The test's cleanup calls it too.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		if out, err := c.script(CommandTimeout, "down", c.Dir); err != nil {
			c.stopErr = fmt.Errorf("tools/cluster.sh down: %v\n%s", err, out)
		}
	})
	return c.stopErr
}

// Log returns the log of a component (see Components).
func (c *Cluster) Log(component string) (string, error) {
	b, err := os.ReadFile(filepath.Join(c.Dir, component+".log"))
	return string(b), err
}

func (c *Cluster) logTails(n int) {
	for _, name := range Components {
		text, err := c.Log(name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		c.tb.Logf("localcluster: last lines of %s.log:\n%s", name, strings.Join(lines, "\n"))
	}
}

func (c *Cluster) script(timeout time.Duration, args ...string) (string, error) {
	return Script(c.Root, timeout, nil, args...)
}

// Script runs tools/cluster.sh of the repository at root with a deadline
// and extra environment variables; on timeout it sends TERM, which lets
// `up` stop what it has started already.
func Script(root string, timeout time.Duration, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(root, "tools", "cluster.sh")}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timeout %s)", err, timeout)
	}
	return string(out), err
}

// ProcessRunning reports whether pid runs. A zombie (exited, not yet reaped)
// does not count.
func ProcessRunning(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && dirExists("/proc/self") {
			return false // exited since kill(0)
		}
		return true // no procfs: kill(0) is all we know
	}
	// pid (comm) state ...: comm may contain spaces and parentheses.
	rest := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := strings.Fields(string(rest))
	return len(fields) == 0 || fields[0] != "Z"
}

// RepoRoot returns the root of this repository: the nearest directory, from
// the working directory up, whose go.mod declares the module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declares(b, modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

func declares(gomod []byte, module string) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == module
		}
	}
	return false
}

func findBinary(dir, name string) (string, bool) {
	p := filepath.Join(dir, name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p, true
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	return "", false
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
