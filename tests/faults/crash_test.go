package faults_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

// crashServices is the size of the catalog the crash tests deploy: a
// gateway, a frontend and two backends in one environment, with the
// environment's namespace, quota, network policies, ingress controller and
// Nacos: 61 resources (51 Kubernetes objects), enough for kills at
// several points.
const crashServices = 4

// env is the one environment of the synthetic stack (tools/bench names
// the first one dev, namespace bench-dev).
const env = "dev"

// recoverRun is the documented recovery of a workload stack after its engine
// died (docs/benchmarks.md, "Checkpoints"): the dead run's lock is removed
// (`pulumi cancel`: the stack's runs are serialized by the pipeline's
// concurrency group, so no other run holds it), then the next run refreshes
// the state from the API server before it updates.
func (s *stack) recoverRun(op string) result {
	s.t.Helper()
	s.lockHeld()
	s.must("cancel", "--yes")
	r := s.must(op, "--yes", "--skip-preview", "--refresh")
	s.t.Logf("recovery: pulumi %s --refresh %s", op, r.took)
	return r
}

// lockHeld checks that the dead run left its lock, so that the next run
// refuses to start until someone decides the other run is gone.
func (s *stack) lockHeld() {
	s.t.Helper()
	// Preview takes no lock on a self-managed backend; up does, first.
	r := s.run("up", "--yes", "--skip-preview")
	if r.err == nil || !strings.Contains(r.out, "the stack is currently locked") {
		s.t.Fatalf("after the kill the stack should stay locked until `pulumi cancel`; up said (%v):\n%s",
			r.err, lastLines(r.out, 20))
	}
}

// crashCase is one operation killed at several points.
type crashCase struct {
	name string
	// prepare brings a fresh stack to the state before the operation and
	// changes its config for the operation.
	prepare func(s *stack)
	// op is the pulumi command killed: up or destroy.
	op string
	// points are the kill points, after that many changes began.
	points []int
	// check runs after the recovery.
	check func(s *stack)
}

// TestEngineKilled kills the engine (CLI, language host, program and
// provider at once, SIGKILL) at several points of a first up, a release, a
// replacement and a destroy of a workload stack run without intermediate
// checkpoints, then runs the documented recovery: it must converge with no
// error, no pending operation, every object the engine wrote on the API
// server in the state and every state object on the server.
func TestEngineKilled(t *testing.T) {
	release := map[string]string{"gateway": "9.9.1", "backend-001": "9.9.2", "web-001": "9.9.3"}
	cases := []crashCase{{
		name:    "first up",
		prepare: func(*stack) {},
		op:      "up",
		points:  []int{1, 30},
		check:   func(s *stack) { s.converged() },
	}, {
		name: "release",
		prepare: func(s *stack) {
			s.up()
			for svc, tag := range release {
				s.setConfig(releaseKey(svc), tag)
			}
		},
		op:     "up",
		points: []int{1, 2},
		check: func(s *stack) {
			s.converged()
			for svc, tag := range release {
				s.imageTag(svc, tag)
			}
		},
	}, {
		// A new namespace for the environment replaces every namespaced
		// object (delete before replace: the names are fixed).
		name: "replacement",
		prepare: func(s *stack) {
			s.up()
			s.setConfig("ack-platform:environments."+env+".namespace", "bench-moved")
		},
		op:     "up",
		points: []int{3, 40},
		check: func(s *stack) {
			s.converged()
			s.gone("namespace", "bench-dev")
		},
	}, {
		name:    "destroy",
		prepare: func(s *stack) { s.up() },
		op:      "destroy",
		points:  []int{1, 30},
		check:   func(s *stack) { s.destroyed() },
	}}
	for _, c := range cases {
		for _, at := range c.points {
			t.Run(fmt.Sprintf("%s/killed after %d changes began", c.name, at), func(t *testing.T) {
				cl := localcluster.Start(t)
				s := newStack(t, cl, stackOpts{services: crashServices, backend: onFile, asWorkload: true})
				c.prepare(s)
				killed := s.killedRun(afterSteps(at), c.op, "--yes", "--skip-preview")
				if !killed {
					t.Fatalf("the %s finished before %d changes began: pick an earlier kill point", c.op, at)
				}
				s.recoverRun(c.op)
				c.check(s)
			})
		}
	}
}

func releaseKey(svc string) string {
	return "ack-platform:environments." + env + ".releases." + svc
}

// imageTag checks that the Deployment of svc in the environment runs tag.
func (s *stack) imageTag(svc, tag string) {
	s.t.Helper()
	ns := s.namespace()
	out, err := s.cluster.Kubectl("get", "deployment", svc, "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}")
	if err != nil {
		s.t.Fatal(err)
	}
	if !strings.HasSuffix(out, ":"+tag) {
		s.t.Errorf("deployment %s/%s runs %q, want tag %s", ns, svc, out, tag)
	}
}

// namespace is the environment's namespace as the stack's config sets it.
func (s *stack) namespace() string {
	s.t.Helper()
	r := s.run("config", "get", "--path", "ack-platform:environments."+env+".namespace")
	if r.err != nil {
		s.t.Fatalf("config get namespace: %v\n%s", r.err, r.out)
	}
	return strings.TrimSpace(r.out)
}

// gone waits up to two minutes for an object to disappear from the API
// server (a namespace finishes deleting its contents first).
func (s *stack) gone(kind, name string) {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := s.cluster.Kubectl("get", kind, name, "--ignore-not-found", "-o", "name")
		if err == nil && out == "" {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s %s is still there two minutes later (%v): %q", kind, name, err, out)
		}
		time.Sleep(time.Second)
	}
}
