package e2e_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// The stack layout with the real engine on one local API server: a
// platform stand-in (layer platform on the local target) exports the
// cluster's kubeconfig as a secret, and the workload stacks `dev` and
// `test`, made from the repository's stack files, find it through a
// StackReference, like the cloud workload stacks find their platform
// stack. The cluster credential is a ServiceAccount token that the tests
// revoke and renew, as ACK's temporary kubeconfigs expire.

const (
	standinStack = "platform-local"
	// deployer is the ServiceAccount whose tokens stand for ACK's
	// temporary cluster credentials.
	deployer = "e2e-deployer"
)

// layout is the set of stacks of one project and backend.
type layout struct {
	// template holds the project's directories and environment.
	template *project
	stacks   map[string]*project
}

// newLayout lays out the project (Pulumi.yaml of the repository) and its
// backend under base.
func newLayout(t *testing.T, base string) *layout {
	t.Helper()
	p := &project{
		dir:     filepath.Join(base, "project"),
		backend: filepath.Join(base, "backend"),
		home:    filepath.Join(base, "pulumi-home"),
	}
	for _, d := range []string{p.dir, p.backend, p.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.writeProjectFile(); err != nil {
		t.Fatal(err)
	}
	p.env = pulumiEnv(p.backend, p.home, filepath.Join(base, "no-kubeconfig"))
	return &layout{template: p, stacks: map[string]*project{}}
}

// stack creates a stack of the layout from a config map (fully qualified
// keys) and sets its secrets.
func (l *layout) stack(t *testing.T, ctx context.Context, name string, cfg map[string]any, secrets map[string]string) *project {
	t.Helper()
	p := *l.template
	p.stack = name
	out, err := yaml.Marshal(map[string]any{"config": cfg})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p.stackFile(), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := p.run(ctx, "", "stack", "init", name, "--non-interactive"); err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(secrets)) {
		if err := p.setConfig(ctx, k, secrets[k], true, false); err != nil {
			t.Fatal(err)
		}
	}
	l.stacks[name] = &p
	return &p
}

// workloadConfig is the repository's Pulumi.<stack>.yaml turned into a
// workload stack of the local target on the stand-in's cluster: no region,
// the stand-in as platform stack, everything else as the file says.
func workloadConfig(t *testing.T, stack string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi."+stack+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	cfg := doc.Config
	for _, k := range []string{"alicloud:region", config.Namespace + ":clusterEndpoint"} {
		delete(cfg, k)
	}
	cfg[config.Namespace+":target"] = "local"
	cfg[config.Namespace+":platformStack"] = "organization/ack-platform/" + standinStack
	return cfg
}

// secretsOf gives every secret key a workload stack file asks the operator
// for a canary.
func secretsOf(stack string) map[string]string {
	out := map[string]string{}
	for _, k := range stackconfig.OperatorSecrets[stack] {
		out[config.Namespace+":"+k] = "e2e-canary-" + k + "-" + randomHex(8)
	}
	return out
}

// deployerToken issues a fresh token of the deployer ServiceAccount (the
// API server's minimum lifetime, 10 minutes, is plenty for a test).
func deployerToken(t *testing.T, ctx context.Context) string {
	t.Helper()
	out, err := kubectl(ctx, "", "-n", "kube-system", "create", "token", deployer, "--duration", "10m")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// revokeDeployerTokens recreates the ServiceAccount: every token issued to
// the old one stops working, as an expired ACK credential does.
func revokeDeployerTokens(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := kubectl(ctx, "", "-n", "kube-system", "delete", "serviceaccount", deployer, "--ignore-not-found", "--wait"); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(ctx, "", "-n", "kube-system", "create", "serviceaccount", deployer); err != nil {
		t.Fatal(err)
	}
}

// credential is the suite's kubeconfig with the admin token replaced.
func credential(t *testing.T, token string) string {
	t.Helper()
	kc, err := os.ReadFile(suite.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(kc), suite.token) {
		t.Fatal("the suite's kubeconfig does not carry its admin token")
	}
	return strings.ReplaceAll(string(kc), suite.token, token)
}

// stackLayout is the shared layout of this file's tests: the stand-in and
// the dev and test workload stacks, up, on a deployer credential.
var stackLayout *layout

func deployedLayout(t *testing.T) *layout {
	t.Helper()
	if stackLayout != nil {
		return stackLayout
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*upTimeout)
	defer cancel()
	if _, err := kubectl(ctx, "", "-n", "kube-system", "create", "serviceaccount", deployer); err != nil {
		t.Fatal(err)
	}
	if _, err := kubectl(ctx, "", "create", "clusterrolebinding", deployer, "--clusterrole", "cluster-admin", "--serviceaccount", "kube-system:"+deployer); err != nil {
		t.Fatal(err)
	}
	l := newLayout(t, filepath.Join(suite.tmp, "layout"))
	standin := l.stack(t, ctx, standinStack, map[string]any{
		config.Namespace + ":layer":    "platform",
		config.Namespace + ":target":   "local",
		config.Namespace + ":registry": map[string]any{"edition": "external", "endpoint": "registry.cn-hangzhou.aliyuncs.com", "namespace": "acme-iot"},
	}, map[string]string{config.Namespace + ":kubeconfig": credential(t, deployerToken(t, ctx))})
	if err := standin.up(ctx); err != nil {
		t.Fatalf("up of the platform stand-in: %v", err)
	}
	for _, name := range []string{"dev", "test"} {
		s := l.stack(t, ctx, name, workloadConfig(t, name), secretsOf(name))
		began := time.Now()
		if err := s.up(ctx); err != nil {
			t.Fatalf("up of the %s workload stack: %v", name, err)
		}
		t.Logf("pulumi up (%s workload stack) took %s", name, time.Since(began).Round(100*time.Millisecond))
	}
	stackLayout = l
	return l
}

// releaseKey is the config path of a service's tag in a workload stack.
func releaseKey(env, svc string) string {
	return fmt.Sprintf("%s:environments.%s.releases.%s", config.Namespace, env, svc)
}

// changes are the steps of a preview other than "same" and the read of
// the platform stack's outputs, which every run does and which changes
// nothing.
func changes(pv *preview) []step {
	var out []step
	for _, st := range pv.NotSame() {
		if st.Op == "read" && st.Type == "pulumi:pulumi:StackReference" {
			continue
		}
		out = append(out, st)
	}
	return out
}

// assertOneDeploymentUpdate fails unless the preview updates exactly one
// Deployment, the one of svc in env, and changes nothing else but, when
// allowed, an in-place update of the Kubernetes provider's kubeconfig.
func assertOneDeploymentUpdate(t *testing.T, pv *preview, env, svc string, providerMayUpdate bool) {
	t.Helper()
	var deployments, others []string
	for _, st := range changes(pv) {
		switch {
		case st.Op == "update" && st.Type == "kubernetes:apps/v1:Deployment" && strings.HasSuffix(st.URN, "::"+env+"-"+svc+"-deployment"):
			deployments = append(deployments, st.URN)
		case providerMayUpdate && st.Op == "update" && st.Type == "pulumi:providers:kubernetes" && slices.Equal(st.Diffs, []string{"kubeconfig"}):
		default:
			others = append(others, fmt.Sprintf("%s %s %s (diffs: %s)", st.Op, st.Type, st.URN, strings.Join(st.Diffs, ", ")))
		}
	}
	if len(deployments) != 1 || len(others) > 0 {
		t.Fatalf("preview %v: want exactly one Deployment update of %s, got %d; other steps:\n  %s", pv.Changes, svc, len(deployments), strings.Join(others, "\n  "))
	}
	for op, n := range pv.Changes {
		if n > 0 && op != "same" && op != "update" {
			t.Fatalf("preview %v: %d %s", pv.Changes, n, op)
		}
	}
}

// A release in `test` previews as exactly one Deployment update in `test`
// and no change at all in `dev`, on the same cluster: the environments are
// released independently.
func TestWorkloadStacksReleaseIndependently(t *testing.T) {
	l := deployedLayout(t)
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	test, dev := l.stacks["test"], l.stacks["dev"]
	const svc = "gateway"
	var orig string
	if err := test.configJSON(ctx, releaseKey("test", svc), true, &orig); err != nil {
		t.Fatal(err)
	}
	if err := test.setConfig(ctx, releaseKey("test", svc), orig+"-e2e", false, true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
		defer cancel()
		if err := test.setConfig(ctx, releaseKey("test", svc), orig, false, true); err != nil {
			t.Error(err)
		}
	})
	pv, err := test.preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertOneDeploymentUpdate(t, pv, "test", svc, false)
	t.Logf("test: %v", pv.Changes)

	pv, err = dev.preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if steps := changes(pv); len(steps) > 0 {
		t.Fatalf("dev changes with a release to test: %v %+v", pv.Changes, steps)
	}
	if pv.Changes["same"] == 0 {
		t.Fatalf("dev preview saw no resource: %v", pv.Changes)
	}
	t.Logf("dev: %v", pv.Changes)
}

// The cluster credential kept in a workload stack's state expires (here:
// the token is revoked). refresh without --run-program reuses it and fails;
// with --run-program the program fetches the current credential from the
// platform stack, refresh works, and a release still previews as exactly
// one Deployment update with the provider updated in place, never replaced.
func TestRenewedCredentialKeepsWorking(t *testing.T) {
	l := deployedLayout(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*upTimeout)
	defer cancel()
	standin, test := l.stacks[standinStack], l.stacks["test"]

	revokeDeployerTokens(t, ctx)
	if err := standin.setConfig(ctx, config.Namespace+":kubeconfig", credential(t, deployerToken(t, ctx)), true, false); err != nil {
		t.Fatal(err)
	}
	if err := standin.up(ctx); err != nil {
		t.Fatalf("up of the platform stand-in with the renewed credential: %v", err)
	}

	stdout, stderr, err := test.runSplit(ctx, "", nil, "refresh", "--yes", "--non-interactive", "--stack", test.stack)
	if err == nil {
		t.Fatal("refresh without --run-program succeeded with the revoked credential in the state: the test does not revoke it")
	}
	out := stdout + "\n" + stderr
	if lower := strings.ToLower(out); !strings.Contains(lower, "unauthorized") && !strings.Contains(lower, "credentials") && !strings.Contains(lower, "401") {
		t.Fatalf("refresh without --run-program failed, but not for the revoked credential:\n%s", lastLines(out, 20))
	}
	t.Logf("refresh without --run-program fails as expected:\n%s", lastLines(out, 4))

	if _, err := test.run(ctx, "", "refresh", "--run-program", "--yes", "--non-interactive", "--stack", test.stack); err != nil {
		t.Fatalf("refresh --run-program with the renewed credential: %v", err)
	}

	const svc = "device-service"
	var orig string
	if err := test.configJSON(ctx, releaseKey("test", svc), true, &orig); err != nil {
		t.Fatal(err)
	}
	if err := test.setConfig(ctx, releaseKey("test", svc), orig+"-renewed", false, true); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := test.setConfig(ctx, releaseKey("test", svc), orig, false, true); err != nil {
			t.Error(err)
		}
	}()
	pv, err := test.preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertOneDeploymentUpdate(t, pv, "test", svc, true)
	t.Logf("release after the credential changed: %v", pv.Changes)
	if err := test.up(ctx); err != nil {
		t.Fatalf("up with the renewed credential: %v", err)
	}
}

// Teardown in the documented order, with a fresh credential: workload
// stacks, the one running the ingress controller last, then the platform.
func TestLayoutDestroysWithRunProgram(t *testing.T) {
	l := deployedLayout(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*upTimeout)
	defer cancel()
	revokeDeployerTokens(t, ctx)
	standin := l.stacks[standinStack]
	if err := standin.setConfig(ctx, config.Namespace+":kubeconfig", credential(t, deployerToken(t, ctx)), true, false); err != nil {
		t.Fatal(err)
	}
	if err := standin.up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"test", "dev"} {
		if _, err := l.stacks[name].run(ctx, "", "destroy", "--run-program", "--yes", "--skip-preview", "--non-interactive", "--stack", name); err != nil {
			t.Fatalf("destroy --run-program of %s: %v", name, err)
		}
	}
	if err := standin.destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"dev", "test"} {
		out, err := kubectl(ctx, "", "get", "deployments", "-n", ns, "-o", "name", "--ignore-not-found")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out) != "" {
			t.Fatalf("deployments left in %s: %s", ns, out)
		}
	}
	_, _ = kubectl(ctx, "", "delete", "clusterrolebinding", deployer, "--ignore-not-found")
	_, _ = kubectl(ctx, "", "-n", "kube-system", "delete", "serviceaccount", deployer, "--ignore-not-found")
	stackLayout = nil
}
