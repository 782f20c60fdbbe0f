package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

const (
	stackName = "local"
	// canaryKey is the secret config key the suite adds (as the secretEnv
	// of one service) when the stack file references no secret key itself,
	// so some Kubernetes Secret always carries a canary.
	canaryKey = "e2eCanary"
	canaryEnv = "E2E_CANARY"
)

// Time bounds of the steps; the first `up` compiles the program and
// creates everything, later runs only diff.
const (
	upTimeout      = 8 * time.Minute
	previewTimeout = 3 * time.Minute
	checkTimeout   = 2 * time.Minute
)

// localStack is the package's one `local` stack, deployed to the local
// cluster with the kubeconfig as a secret config value.
type localStack struct {
	*project
	// canaries maps a name to a secret value that must never appear in
	// the backend or the stack files.
	canaries map[string]string
	deployed bool
}

// shared is created by the first test that needs it.
var shared *localStack

// newStackProject makes a project for the local stack under base and sets
// every secret config key the stack file references (secretEnv, TLS, image
// pull) to a fresh canary value; it returns them by key.
func newStackProject(t *testing.T, ctx context.Context, base string) (*project, map[string]string) {
	t.Helper()
	p, dropped, err := newProject(ctx, base, stackName)
	if err != nil {
		t.Fatalf("creating the %s stack: %v", stackName, err)
	}
	refs := secretRefs(t)
	for _, k := range dropped {
		k = strings.TrimPrefix(k, config.Namespace+":")
		if _, ok := refs[k]; !ok && k != "kubeconfig" {
			refs[k] = "plain"
		}
	}
	if len(refs) == 0 || !slices.Contains(slices.Collect(maps.Values(refs)), "env") {
		// No secret env in the stack file: give one service one, so a
		// Kubernetes Secret carries a canary through the engine.
		env, svc := firstService(t)
		key := fmt.Sprintf("%s:environments.%s.overrides.%s.secretEnv.%s", config.Namespace, env, svc, canaryEnv)
		if err := p.setConfig(ctx, key, canaryKey, false, true); err != nil {
			t.Fatal(err)
		}
		refs[canaryKey] = "env"
	}
	canaries := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(refs)) {
		v := "e2e-canary-" + k + "-" + randomHex(12)
		canaries["config key "+k] = v
		if refs[k] == "dockerconfigjson" {
			// The API server checks that a dockerconfigjson Secret is JSON.
			v = fmt.Sprintf(`{"auths":{"registry.invalid":{"username":"e2e","password":%q}}}`, v)
		}
		if err := p.setConfig(ctx, config.Namespace+":"+k, v, true, false); err != nil {
			t.Fatal(err)
		}
	}
	return p, canaries
}

// stack returns the shared local stack, creating it on first use: the
// project, the canaries, and the cluster's kubeconfig as the secret
// ack-platform:kubeconfig.
func stack(t *testing.T, ctx context.Context) *localStack {
	t.Helper()
	if shared != nil {
		return shared
	}
	p, canaries := newStackProject(t, ctx, filepath.Join(suite.tmp, "stack-"+stackName))
	kc, err := os.ReadFile(suite.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.setConfig(ctx, config.Namespace+":kubeconfig", string(kc), true, false); err != nil {
		t.Fatal(err)
	}
	canaries["kubeconfig token"] = suite.token
	canaries["kubeconfig"] = string(kc)
	shared = &localStack{project: p, canaries: canaries}
	return shared
}

// deployed returns the shared stack after a successful `up`.
func deployed(t *testing.T) *localStack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	s := stack(t, ctx)
	if !s.deployed {
		began := time.Now()
		if err := s.up(ctx); err != nil {
			t.Fatalf("pulumi up of the %s stack: %v", stackName, err)
		}
		t.Logf("pulumi up (%s stack, first run) took %s", stackName, time.Since(began).Round(100*time.Millisecond))
		s.deployed = true
	}
	return s
}

// secretRefs lists the secret config keys the stack's config references:
// key (without namespace) → "env", "tls" or "dockerconfigjson".
func secretRefs(t *testing.T) map[string]string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, stackName, nil)
	var cat config.Catalog
	var envs map[string]config.Environment
	var ing config.Ingress
	for k, dst := range map[string]any{"catalog": &cat, "environments": &envs, "ingress": &ing} {
		if raw := cfg[config.Namespace+":"+k]; raw != "" {
			if err := json.Unmarshal([]byte(raw), dst); err != nil {
				t.Fatalf("%s:%s: %v", config.Namespace, k, err)
			}
		}
	}
	refs := map[string]string{}
	addEnv := func(m map[string]string) {
		for _, v := range m {
			refs[v] = "env"
		}
	}
	addTLS := func(tls *config.TLS) {
		if tls != nil {
			refs[tls.CertKey], refs[tls.KeyKey] = "tls", "tls"
		}
	}
	for _, s := range cat.Services {
		addEnv(s.SecretEnv)
	}
	addTLS(ing.TLS)
	for _, e := range envs {
		for _, o := range e.Overrides {
			addEnv(o.SecretEnv)
		}
		addTLS(e.TLS)
		if e.ImagePull.Mode == config.PullSecret && e.ImagePull.SecretKey != "" {
			refs[e.ImagePull.SecretKey] = "dockerconfigjson"
		}
	}
	delete(refs, "")
	return refs
}

// firstService returns the first environment and catalog service, by name.
func firstService(t *testing.T) (env, service string) {
	t.Helper()
	cfg, _ := stackconfig.Load(t, stackName, nil)
	var cat config.Catalog
	var envs map[string]config.Environment
	if err := json.Unmarshal([]byte(cfg[config.Namespace+":catalog"]), &cat); err != nil {
		t.Fatalf("%s:catalog: %v", config.Namespace, err)
	}
	if err := json.Unmarshal([]byte(cfg[config.Namespace+":environments"]), &envs); err != nil {
		t.Fatalf("%s:environments: %v", config.Namespace, err)
	}
	if len(envs) == 0 || len(cat.Services) == 0 {
		t.Fatalf("the %s stack has no environment or no catalog service", stackName)
	}
	return slices.Sorted(maps.Keys(envs))[0], slices.Sorted(maps.Keys(cat.Services))[0]
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
