package e2e_test

import (
	"context"
	"encoding/json"
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

// The migration of docs/migration.md with the real engine on the local
// target: the former combined `dev` stack (one cluster credential, the
// environments dev and test) is deployed, its test environment is moved
// with `pulumi state move` into a new `test` workload stack, both stack
// files take their new shape, and neither stack then previews a single
// create, replace or delete: nothing is recreated. The only change is the
// test environment's NetworkPolicies admitting the ingress controller by
// namespace once another stack runs it.
func TestMigrationFromCombinedStackRecreatesNothing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*upTimeout)
	defer cancel()
	l := newLayout(t, filepath.Join(suite.tmp, "migration"))
	admin := credential(t, suite.token)

	// The stand-in platform stack exports the same kubeconfig the combined
	// stack was given directly, so the provider's inputs do not change.
	standin := l.stack(t, ctx, standinStack, map[string]any{
		config.Namespace + ":layer":    "platform",
		config.Namespace + ":target":   "local",
		config.Namespace + ":registry": map[string]any{"edition": "external", "endpoint": "registry.cn-hangzhou.aliyuncs.com", "namespace": "acme-iot"},
	}, map[string]string{config.Namespace + ":kubeconfig": admin})
	if err := standin.up(ctx); err != nil {
		t.Fatal(err)
	}

	// The former layout: dev and test environments in one stack.
	devCfg, testCfg := workloadConfig(t, "dev"), workloadConfig(t, "test")
	combined := maps.Clone(devCfg)
	delete(combined, config.Namespace+":platformStack")
	combined[config.Namespace+":registry"] = map[string]any{"edition": "external", "endpoint": "registry.cn-hangzhou.aliyuncs.com", "namespace": "acme-iot"}
	envs := map[string]any{}
	for _, c := range []map[string]any{devCfg, testCfg} {
		maps.Copy(envs, c[config.Namespace+":environments"].(map[string]any))
	}
	combined[config.Namespace+":environments"] = envs
	secrets := secretsOf("dev")
	maps.Copy(secrets, secretsOf("test"))
	secrets[config.Namespace+":tlsCert"], secrets[config.Namespace+":tlsKey"] = "e2e-canary-tlsCert-migration", "e2e-canary-tlsKey-migration"
	withKubeconfig := maps.Clone(secrets)
	withKubeconfig[config.Namespace+":kubeconfig"] = admin
	dev := l.stack(t, ctx, "dev", combined, withKubeconfig)
	if err := dev.up(ctx); err != nil {
		t.Fatalf("up of the combined stack: %v", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*upTimeout)
		defer cancel()
		for _, name := range []string{"test", "dev", standinStack} {
			if p := l.stacks[name]; p != nil {
				if _, err := p.run(ctx, "", "destroy", "--run-program", "--yes", "--skip-preview", "--non-interactive", "--stack", name); err != nil {
					t.Errorf("destroy %s: %v", name, err)
				}
			}
		}
	}()
	before := urnsOf(t, ctx, dev)

	// Migrate: a test stack in its new shape, the test environment's
	// top-level components moved into it (their children come along), and
	// the dev stack file reduced to dev on the platform stack.
	testSecrets := map[string]string{}
	for _, k := range stackconfig.OperatorSecrets["test"] {
		testSecrets[config.Namespace+":"+k] = secrets[config.Namespace+":"+k]
	}
	test := l.stack(t, ctx, "test", testCfg, testSecrets)
	var move []string
	for _, r := range before {
		name := r.URN[strings.LastIndex(r.URN, "::")+2:]
		if strings.HasSuffix(r.Parent, "pulumi:pulumi:Stack::ack-platform-dev") && (name == "test" || strings.HasPrefix(name, "test-")) {
			move = append(move, r.URN)
		}
	}
	if len(move) < 3 {
		t.Fatalf("found %d top-level resources of the test environment to move: %v", len(move), move)
	}
	began := time.Now()
	if _, err := dev.run(ctx, "", append([]string{"state", "move", "--source", "dev", "--dest", "test", "--yes"}, move...)...); err != nil {
		t.Fatal(err)
	}
	t.Logf("state move of %d components took %s", len(move), time.Since(began).Round(100*time.Millisecond))
	// The dev stack file takes its new shape: the dev environment only, the
	// cluster from the platform stack (encrypted values stay as they are).
	if err := editStackFile(dev, func(cfg map[string]any) {
		delete(cfg, config.Namespace+":kubeconfig")
		delete(cfg, config.Namespace+":testDeviceDbPassword")
		for _, k := range []string{"platformStack", "registry", "environments"} {
			cfg[config.Namespace+":"+k] = devCfg[config.Namespace+":"+k]
		}
	}); err != nil {
		t.Fatal(err)
	}

	moved := map[string]bool{}
	for _, r := range urnsOf(t, ctx, test) {
		moved[strings.Replace(r.URN, "urn:pulumi:test::", "urn:pulumi:dev::", 1)] = true
	}
	for _, p := range []*project{dev, test} {
		pv, err := p.preview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var bad, policies []string
		for _, st := range changes(pv) {
			line := fmt.Sprintf("%s %s (diffs: %s)", st.Op, st.URN, strings.Join(st.Diffs, ", "))
			// The test stack no longer runs the ingress controller
			// (ingress.controller: existing), so its policies admit the
			// controller's namespace rather than its pods: an in-place
			// update, documented in docs/migration.md.
			if p == test && st.Op == "update" && st.Type == "kubernetes:networking.k8s.io/v1:NetworkPolicy" {
				policies = append(policies, line)
				continue
			}
			bad = append(bad, line)
		}
		if len(bad) > 0 {
			t.Errorf("%s after the migration: %v, want no create, replace, delete or other update:\n  %s", p.stack, pv.Changes, strings.Join(bad, "\n  "))
		}
		if len(policies) > 0 {
			t.Logf("%s: %d NetworkPolicy updates in place:\n  %s", p.stack, len(policies), strings.Join(policies, "\n  "))
		}
		t.Logf("%s after the migration: %v", p.stack, pv.Changes)
	}
	// Every Kubernetes object of the combined stack is in exactly one of
	// the new stacks.
	after := map[string]bool{}
	for _, r := range urnsOf(t, ctx, dev) {
		after[r.URN] = true
	}
	for _, r := range before {
		if strings.HasPrefix(r.Type, "kubernetes:") && !after[r.URN] && !moved[r.URN] {
			t.Errorf("%s is in neither stack after the migration", r.URN)
		}
	}
}

// stateEntry is a resource of `pulumi stack export` with its parent.
type stateEntry struct {
	URN    string `json:"urn"`
	Type   string `json:"type"`
	Parent string `json:"parent"`
}

func urnsOf(t *testing.T, ctx context.Context, p *project) []stateEntry {
	t.Helper()
	out, err := p.run(ctx, "", "stack", "export", "--stack", p.stack)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Deployment struct {
			Resources []stateEntry `json:"resources"`
		} `json:"deployment"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(d.Deployment.Resources)
}

// editStackFile rewrites the config of a stack file in place.
func editStackFile(p *project, edit func(cfg map[string]any)) error {
	b, err := os.ReadFile(p.stackFile())
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return err
	}
	cfg, _ := doc["config"].(map[string]any)
	if cfg == nil {
		return fmt.Errorf("%s has no config", p.stackFile())
	}
	edit(cfg)
	out, err := yaml.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(p.stackFile(), out, 0o644)
}
