package faults_test

import (
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

// faultServices is the catalog size of the fault tests below.
const faultServices = 4

// TestConcurrentUpRefused starts two `pulumi up` on one stack at once, on
// each backend: the backend's lock refuses the second with a message that
// says why and how to proceed, and the first finishes unharmed.
func TestConcurrentUpRefused(t *testing.T) {
	for _, b := range []backendKind{onFile, onS3} {
		t.Run(string(b), func(t *testing.T) {
			cl := localcluster.Start(t)
			s := newStack(t, cl, stackOpts{services: faultServices, backend: b, asWorkload: true})
			first := s.start("up", "--yes", "--skip-preview")
			// The lock is taken before the first step: wait for one, then
			// hold the first run still (SIGSTOP, every process of it) while
			// the second starts, so the second meets it whatever the
			// machine's speed; it resumes afterwards.
			if !first.until(afterSteps(1)) {
				t.Fatalf("the first up ended before its first change: %v\n%s", first.err, lastLines(first.out.String(), 30))
			}
			frozen := freezeTree(first.cmd.Process.Pid)
			second := s.run("up", "--yes", "--skip-preview")
			thawTree(frozen)
			if second.err == nil {
				t.Fatalf("a second up on the locked stack succeeded:\n%s", lastLines(second.out, 30))
			}
			for _, want := range []string{"the stack is currently locked by 1 lock(s)", "pulumi cancel"} {
				if !strings.Contains(second.out, want) {
					t.Errorf("the second up's refusal does not say %q:\n%s", want, lastLines(second.out, 20))
				}
			}
			r := first.wait()
			if r.err != nil {
				t.Fatalf("the first up failed next to the refused one: %v\n%s", r.err, lastLines(r.out, 40))
			}
			s.converged()
		})
	}
}

// TestAPIServerStoppedMidUpdate stops kube-apiserver while an update is
// under way: the run fails with an error that names the unreachable
// server, and once the server is back the next run converges.
func TestAPIServerStoppedMidUpdate(t *testing.T) {
	cl := localcluster.Start(t)
	s := newStack(t, cl, stackOpts{services: faultServices, backend: onFile, asWorkload: true})
	s.up()
	s.setConfig("ack-platform:environments."+env+".namespace", "bench-moved")

	run := s.start("up", "--yes", "--skip-preview")
	if !run.until(afterSteps(3)) {
		t.Fatalf("the update ended before 3 changes began: %v", run.err)
	}
	api := stopAPIServer(t, cl)
	r := run.wait()
	if r.err == nil {
		t.Fatalf("the update succeeded with the API server stopped:\n%s", lastLines(r.out, 30))
	}
	// A request sent after the stop is refused; one in flight when the
	// server died is cut (reset, EOF, a lost HTTP/2 connection): which of
	// them the run meets depends on the machine's speed.
	server := apiServerAddr(t, cl)
	gone := false
	for _, msg := range []string{"connection refused", "connection reset by peer", "EOF", "client connection lost", "http2: server sent GOAWAY"} {
		gone = gone || strings.Contains(r.out, msg)
	}
	if !strings.Contains(r.out, server) || !gone {
		t.Errorf("the failed update does not say that %s went away:\n%s", server, lastLines(r.out, 40))
	}
	t.Logf("the update failed as it should:\n%s", lastLines(r.out, 12))

	api.restart(t)
	// The failed run ended by itself: it released its lock.
	r2 := s.up("--refresh")
	_ = r2
	s.converged()
}

// apiServer is a kube-apiserver process stopped by the test, kept so it
// can start again on the same address, certificates and etcd.
type apiServer struct {
	cluster *localcluster.Cluster
	argv    []string
	env     []string
	dir     string
}

// stopAPIServer SIGKILLs the cluster's kube-apiserver.
func stopAPIServer(t *testing.T, cl *localcluster.Cluster) *apiServer {
	t.Helper()
	pids, err := cl.Pids()
	if err != nil {
		t.Fatal(err)
	}
	pid := pids["kube-apiserver"]
	if pid == 0 {
		t.Fatal("no kube-apiserver pid recorded")
	}
	a := &apiServer{cluster: cl}
	a.argv = procList(t, pid, "cmdline")
	a.env = procList(t, pid, "environ")
	if a.dir, err = os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid)); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100 && localcluster.ProcessRunning(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("kube-apiserver (pid %d) killed", pid)
	return a
}

// restart starts kube-apiserver again as it ran, records its pid where
// tools/cluster.sh will stop it, and waits until it is ready.
func (a *apiServer) restart(t *testing.T) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(a.cluster.Dir, "kube-apiserver.log"), os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(a.argv[0], a.argv[1:]...)
	cmd.Env, cmd.Dir = a.env, a.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	go func() { _ = cmd.Wait() }()
	pidFile := filepath.Join(a.cluster.Dir, "pids")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "kube-apiserver" {
			l = "kube-apiserver " + strconv.Itoa(pid)
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(pidFile, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if out, err := a.cluster.Kubectl("get", "--raw", "/readyz"); err == nil && strings.TrimSpace(out) == "ok" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("kube-apiserver did not become ready again within 2 minutes")
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("kube-apiserver restarted (pid %d)", pid)
}

func procList(t *testing.T, pid int, file string) []string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// apiServerAddr is host:port of the cluster's API server.
func apiServerAddr(t *testing.T, cl *localcluster.Cluster) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, cl.Kubeconfig), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "server:"); ok {
			return strings.TrimPrefix(strings.TrimSpace(v), "https://")
		}
	}
	t.Fatal("no server in the kubeconfig")
	return ""
}

// TestDriftShownAndRestored changes a Deployment by hand with kubectl:
// `pulumi preview --refresh` shows the drift on that Deployment, and
// `pulumi up --refresh` puts the declared image back.
func TestDriftShownAndRestored(t *testing.T) {
	cl := localcluster.Start(t)
	s := newStack(t, cl, stackOpts{services: faultServices, backend: onFile, asWorkload: true})
	s.up()
	ns := s.namespace()
	declared, err := cl.Kubectl("get", "deployment", "backend-001", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
	if err != nil {
		t.Fatal(err)
	}
	container, err := cl.Kubectl("get", "deployment", "backend-001", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].name}")
	if err != nil {
		t.Fatal(err)
	}
	hacked := declared[:strings.LastIndex(declared, ":")] + ":hand-made"
	if _, err := cl.Kubectl("set", "image", "deployment/backend-001", "-n", ns, container+"="+hacked); err != nil {
		t.Fatal(err)
	}

	// Without --refresh the engine compares against its state: no change.
	s.expectNoChanges()
	pv := s.run("preview", "--refresh", "--expect-no-changes", "--diff")
	if pv.err == nil {
		t.Fatalf("preview --refresh --expect-no-changes passed with the image changed by hand:\n%s", lastLines(pv.out, 40))
	}
	if !strings.Contains(pv.out, "backend-001") || !strings.Contains(pv.out, "hand-made") {
		t.Errorf("preview --refresh does not show the drift of backend-001:\n%s", lastLines(pv.out, 60))
	}
	s.up("--refresh")
	got, err := cl.Kubectl("get", "deployment", "backend-001", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
	if err != nil {
		t.Fatal(err)
	}
	if got != declared {
		t.Errorf("after up --refresh backend-001 runs %q, want %q", got, declared)
	}
	s.converged("--refresh")
}

// TestRollbackAfterInterruptedRelease kills a release half way and then
// rolls it back (the previous tags set again): with the documented recovery
// every Deployment runs the previous tag again, including those the killed
// run had already updated, although the state the killed run left may say
// otherwise.
func TestRollbackAfterInterruptedRelease(t *testing.T) {
	cl := localcluster.Start(t)
	s := newStack(t, cl, stackOpts{services: faultServices, backend: onFile, asWorkload: true})
	s.up()
	services := []string{"gateway", "backend-001", "backend-002", "web-001"}
	before := map[string]string{}
	for _, svc := range services {
		before[svc] = strings.TrimSpace(s.must("config", "get", "--path", releaseKey(svc)).out)
		s.setConfig(releaseKey(svc), "9.9.9")
	}
	// Killed once one Deployment is updated and before the last: a
	// release half applied.
	if !s.killedRun(afterDone(1), "up", "--yes", "--skip-preview") {
		t.Fatal("the release finished before it was killed")
	}
	updated := 0
	for _, svc := range services {
		if out, _ := cl.Kubectl("get", "deployment", svc, "-n", s.namespace(), "-o",
			"jsonpath={.spec.template.spec.containers[0].image}"); strings.HasSuffix(out, ":9.9.9") {
			updated++
		}
	}
	t.Logf("the killed release had updated %d of %d Deployments", updated, len(services))
	if updated == 0 {
		t.Fatal("the kill came before any Deployment was updated: nothing to roll back")
	}
	for _, svc := range services {
		s.setConfig(releaseKey(svc), before[svc])
	}
	s.recoverRun("up")
	for _, svc := range services {
		s.imageTag(svc, before[svc])
	}
	s.converged("--refresh")
}
