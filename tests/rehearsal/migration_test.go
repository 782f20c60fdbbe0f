package rehearsal_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// formerLayout is the last commit of the two-stack layout: `dev` held the
// non-production platform and the dev, test and staging environments,
// `prod` the production platform and prod (docs/migration.md).
const formerLayout = "7532af1"

// The platform half of the migration alone, on a control plane without a
// node: the former stacks' platform (and their cluster access) deployed,
// the platform components moved into platform-prod and platform-nonprod.
func TestRehearsalMigrationPlatformRecreatesNothing(t *testing.T) {
	w := newWorld(t, "migration-platform")
	startControlPlane(t, w)
	rehearseMigration(t, w, false)
}

// rehearseMigration runs the guide; without workloads, only the former
// stacks' platform is deployed and only the platform stacks are checked.
func rehearseMigration(t *testing.T, w *world, workloads bool) {
	former := w.formerProject(t)
	oldProd := w.formerStack(t, former, "prod")
	oldDev := w.formerStack(t, former, "dev")

	// dev's registry is a StackReference to prod's ACR instance: prod
	// first. Only prod's platform: its environment would need a second
	// ingress controller and an RDS database on the one local node, and
	// prod's workloads do not move (the prod stack keeps them).
	formerPlatformUp(t, oldProd)
	require.NotEmpty(t, oldProd.outputs(t)["registryEndpoint"], "the former prod exports its registry")
	if workloads {
		oldDev.up(t)
	} else {
		formerPlatformUp(t, oldDev)
	}

	cloud := accountIDs(t, w)
	require.NotEmpty(t, cloud)
	// Step 1 of the guide: the backups, also the record of what was where.
	devBefore, prodBefore := export(t, oldDev), export(t, oldProd)
	kubeBefore := kubeObjects(devBefore)
	t.Logf("former layout: %d cloud resources in the account, %d resources in dev's state (%d Kubernetes objects), %d in prod's",
		len(cloud), len(devBefore.Deployment.Resources), len(kubeBefore), len(prodBefore.Deployment.Resources))

	// Steps 2 and 6: the new program's project with its stack files; dev
	// and prod keep their stacks (and so their passphrase salt).
	dir := w.repoProject(t)
	platformProd := w.repoStack(t, dir, "platform-prod")
	platformNonprod := w.repoStack(t, dir, "platform-nonprod")
	dev := w.repoStackFile(t, dir, "dev", salt(t, former, "dev"))
	w.repoStackFile(t, dir, "prod", salt(t, former, "prod"))

	// Steps 3 to 5: the top-level resources, by URN, out of the former
	// stacks.
	prodPlatform, _ := split(prodBefore)
	devPlatform, envs := split(devBefore)
	assert.ElementsMatch(t, []string{"dev-network", "dev-cluster", "dev-pool-general", "dev-pool-spot", "dev-registry", "dev-ingress-lb"},
		names(devPlatform), "the platform components docs/migration.md names")
	moved := len(prodPlatform) + len(devPlatform)
	dev.stateMove(t, "prod", "platform-prod", prodPlatform)
	dev.stateMove(t, "dev", "platform-nonprod", devPlatform)
	// The former prod's registry also held the ingress-nginx mirror its
	// own controller pulled; the new platform declares every mirrored
	// repository the workload stacks may pull, so it moves with the rest.
	kept := false
	for _, r := range export(t, platformProd).Deployment.Resources {
		kept = kept || (strings.HasSuffix(r.Type, ":RegistryEnterpriseRepo") && urnName(r.URN) == "prod-registry-ingress-nginx-controller")
	}
	require.True(t, kept, "the former prod's ingress-nginx mirror repository moved into platform-prod")
	all := []*stack{platformProd, platformNonprod}
	var test, staging *stack
	var environments []*stack
	if workloads {
		require.NotEmpty(t, kubeBefore)
		test, staging = w.repoStack(t, dir, "test"), w.repoStack(t, dir, "staging")
		// The former dev ran staging's Nacos standalone on the default
		// disk; Pulumi.staging.yaml runs 3 members on 20Gi, which replaces
		// the StatefulSet. The guide moves first and changes that after,
		// as its own release.
		staging.configPath(t, "ack-platform:nacos.replicas", "1")
		staging.must(t, "config", "rm", "--stack", staging.name, "--path", "ack-platform:nacos.storageSize")
		environments = []*stack{test, staging}
		all = append(all, dev, test, staging)
	}
	for _, env := range environments {
		require.NotEmpty(t, envs[env.name], "the former dev holds the %s environment", env.name)
		moved += len(envs[env.name])
		dev.stateMove(t, "dev", env.name, envs[env.name])
		// state move copies the Kubernetes provider the environment's
		// objects use (dev-access-provider, under dev-access, which stays
		// in dev). The new stack registers its own access and provider;
		// the copy is deleted once nothing uses it (a rename cannot make it
		// match: its parent is dev's component).
	}
	t.Logf("moved %d top-level resources", moved)

	// Each stack in turn previews, then applies: a stack reads the outputs
	// of the one before (platform-nonprod's registry those of
	// platform-prod, the workload stacks their platform's), and a moved
	// stack has none until its first `up`; read unknown, the registry's VPC
	// link of platform-nonprod would preview as a replacement.
	t.Run("each stack previews no create, replace or delete, then applies", func(t *testing.T) {
		for _, s := range all {
			raw, errOut, err := s.enginePreviewJSON()
			require.NoError(t, err, errOut)
			var unexpected []string
			for _, st := range steps(t, raw) {
				changes := changed([]step{st})
				if len(changes) == 0 {
					continue // same, read, or the refresh a workload stack's preview begins with
				}
				c := changes[0]
				switch {
				case st.Op == "update" && strings.HasPrefix(typeOf(st.URN), "pulumi:providers:kubernetes"):
					// A fresh credential, and the forced server-side apply
					// engine.sh turns on for workload stacks
					// (PULUMI_K8S_ENABLE_PATCH_FORCE), which the former
					// stacks, run by plain `pulumi up`, did not have.
					assert.Subset(t, []string{"kubeconfig", "enablePatchForce"}, st.DiffReasons, "only the credential and the forced apply change: %s", c)
				case st.Op == "update" && (s == test || s == staging) && typeOf(st.URN) == "kubernetes:networking.k8s.io/v1:NetworkPolicy":
					// The ingress controller's namespace is now another stack's.
				case (s == test || s == staging) && logicalAccess(st):
					// The stack's own cluster access replaces the copied
					// provider: logical resources only, no cloud or
					// Kubernetes object (those would be listed here).
				case st.Op == "update" && strings.HasSuffix(urnName(st.URN), "-aliyun-acr-credential-helper"):
					// A platform stack knows no environment: the add-on
					// now watches every namespace.
					assert.Equal(t, []string{"config"}, st.DiffReasons, "only the add-on's config changes: %s", c)
				default:
					unexpected = append(unexpected, c)
				}
				t.Logf("%s: %s %v", s.name, c, st.DiffReasons)
			}
			require.Empty(t, unexpected, "%s: only the changes docs/migration.md lists", s.name)
			s.engine(t, "up", "--yes", "--skip-preview")
		}
	})

	t.Run("every Kubernetes object is in exactly one new stack", func(t *testing.T) {
		if !workloads {
			assert.Empty(t, kubeBefore, "the former dev's platform holds no Kubernetes object")
			return
		}
		var after []string
		for _, s := range []*stack{platformNonprod, dev, test, staging} {
			after = append(after, kubeObjects(export(t, s))...)
		}
		sort.Strings(after)
		assert.Equal(t, kubeBefore, after)
	})

	t.Run("every cloud resource is the one the former stacks created", func(t *testing.T) {
		assert.Equal(t, cloud, accountIDs(t, w), "no cloud resource created or deleted")
		for _, s := range []*stack{platformProd, platformNonprod} {
			s.engine(t, "preview", "--expect-no-changes")
		}
	})
}

// formerPlatformUp deploys only the platform of a former stack, with the
// --target URN patterns of its components. Access too: the engine creates
// the Kubernetes provider, a child of <stack>-access, whatever the targets.
func formerPlatformUp(t *testing.T, s *stack) {
	t.Helper()
	args := []string{"up", "--stack", s.name, "--yes", "--skip-preview", "--non-interactive"}
	for _, typ := range append(slices.Clone(platformTypes), "Access") {
		args = append(args, "--target", "urn:pulumi:"+s.name+"::ack-platform::ack-platform:platform:"+typ+"**")
	}
	s.must(t, args...)
}

// platformTypes are the top-level platform components of the former
// stacks (ack-platform:platform:<type>), which move to the platform stacks.
var platformTypes = []string{"Network", "Cluster", "NodePool", "Registry", "LoadBalancer"}

// checkpoint is the part of `pulumi stack export` the migration reads.
type checkpoint struct {
	Deployment struct {
		Resources []struct {
			URN     string         `json:"urn"`
			Type    string         `json:"type"`
			ID      string         `json:"id"`
			Parent  string         `json:"parent"`
			Outputs map[string]any `json:"outputs"`
		} `json:"resources"`
	} `json:"deployment"`
}

func export(t *testing.T, s *stack) checkpoint {
	t.Helper()
	var c checkpoint
	require.NoError(t, json.Unmarshal([]byte(s.must(t, "stack", "export", "--stack", s.name)), &c))
	return c
}

// split sorts a former stack's top-level resources: the platform
// components, and the environment components by environment (the
// component named after it and those named "<env>-..."); what is left
// stays in the stack.
func split(c checkpoint) (platform []string, envs map[string][]string) {
	envs = map[string][]string{}
	for _, r := range c.Deployment.Resources {
		if !strings.HasSuffix(r.Parent, "::pulumi:pulumi:Stack::ack-platform-"+stackOf(r.URN)) {
			continue
		}
		if slices.Contains(platformTypes, strings.TrimPrefix(r.Type, "ack-platform:platform:")) {
			platform = append(platform, r.URN)
			continue
		}
		for _, env := range []string{"test", "staging"} {
			if n := urnName(r.URN); n == env || strings.HasPrefix(n, env+"-") {
				envs[env] = append(envs[env], r.URN)
			}
		}
	}
	return platform, envs
}

func stackOf(urn string) string {
	s, _, _ := strings.Cut(strings.TrimPrefix(urn, "urn:pulumi:"), "::")
	return s
}

func urnName(urn string) string {
	parts := strings.Split(urn, "::")
	return parts[len(parts)-1]
}

func names(urns []string) []string {
	var out []string
	for _, u := range urns {
		out = append(out, urnName(u))
	}
	return out
}

// stateMove is step 4 and 5 of the guide: `pulumi state move` of urns.
func (s *stack) stateMove(t *testing.T, source, dest string, urns []string) {
	t.Helper()
	require.NotEmpty(t, urns)
	s.must(t, append([]string{"state", "move", "--source", source, "--dest", dest, "--yes"}, urns...)...)
}

// salt is the `encryptionsalt:` line of a stack file.
func salt(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi."+name+".yaml"))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "encryptionsalt:") {
			return line
		}
	}
	t.Fatalf("Pulumi.%s.yaml has no encryptionsalt", name)
	return ""
}

// formerProject exports the program of formerLayout and writes a project
// directory that runs it, with its own Pulumi.yaml (the service catalog is
// project config) and the former stack files.
func (w *world) formerProject(t *testing.T) string {
	t.Helper()
	// One fixed directory per commit: the Go build cache keys the
	// program's packages by their directory, so the former program is
	// compiled once per machine, not on every run (minutes on two cores).
	// The node lock already makes this test one per machine.
	program := filepath.Join(os.TempDir(), "ack-platform-former-"+formerLayout)
	require.NoError(t, os.RemoveAll(program))
	require.NoError(t, os.MkdirAll(program, 0o755))
	t.Cleanup(func() { os.RemoveAll(program) })
	archive := exec.Command("git", "-C", suite.root, "archive", formerLayout)
	var tarball, errOut bytes.Buffer
	archive.Stdout, archive.Stderr = &tarball, &errOut
	require.NoError(t, archive.Run(), "the migration rehearsal deploys the former layout, commit %s, from the repository's history "+
		"(a shallow clone lacks it: fetch with --unshallow or a depth that reaches it): %s", formerLayout, errOut.String())
	untar := exec.Command("tar", "-x", "-C", program)
	untar.Stdin = &tarball
	out, err := untar.CombinedOutput()
	require.NoError(t, err, "%s", out)

	b, err := os.ReadFile(filepath.Join(program, "Pulumi.yaml"))
	require.NoError(t, err)
	dir := writeProject(t, w, "former", b, program)
	for _, name := range []string{"dev", "prod"} {
		b, err := os.ReadFile(filepath.Join(program, "Pulumi."+name+".yaml"))
		require.NoError(t, err)
		if name == "dev" {
			// Its workloads run on the one local node; the header
			// comment, which lists the secrets, is kept.
			header, _, _ := strings.Cut(string(b), "\nconfig:")
			b = append([]byte(header+"\n"), onLocalNode(t, b)...)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+name+".yaml"), b, 0o644))
	}
	return dir
}

// formerStack initialises a former stack and sets, as canaries, the
// secrets its file's header asks the operator for. The canaries are the
// ones repoStack sets, so a secret that moves keeps its value.
func (w *world) formerStack(t *testing.T, dir, name string) *stack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi."+name+".yaml"))
	require.NoError(t, err)
	s := &stack{w: w, dir: dir, name: name}
	s.must(t, "stack", "init", name, "--non-interactive")
	keys := headerSecrets(string(b))
	require.NotEmpty(t, keys, "the former Pulumi.%s.yaml lists its secrets in its header", name)
	for _, k := range keys {
		s.must(t, "config", "set", "--stack", name, "--secret", "ack-platform:"+k, canary(k))
	}
	return s
}

// headerSecrets reads the secret keys a stack file's header comment lists
// after "(validation names any that is missing):", up to `config:`.
func headerSecrets(file string) []string {
	_, rest, ok := strings.Cut(file, "missing):")
	if !ok {
		return nil
	}
	list, _, _ := strings.Cut(rest, "\nconfig:")
	var keys []string
	for _, k := range strings.Split(strings.ReplaceAll(list, "#", ""), ",") {
		if k = strings.TrimSuffix(strings.TrimSpace(k), "."); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// accountIDs lists every resource id in the emulated account.
func accountIDs(t *testing.T, w *world) []string {
	t.Helper()
	ids := accountResources(t, w, "")
	sort.Strings(ids)
	return ids
}

// kubeObjects lists the Kubernetes objects in a stack's state as
// "type id" (their identity in the cluster: namespace/name).
func kubeObjects(c checkpoint) []string {
	var out []string
	for _, r := range c.Deployment.Resources {
		if strings.HasPrefix(r.Type, "kubernetes:") && r.ID != "" {
			out = append(out, r.Type+" "+r.ID)
		}
	}
	sort.Strings(out)
	return out
}

// logicalAccess: the creation of a stack's cluster access component or
// Kubernetes provider, or the deletion of a Kubernetes provider; neither
// is an object in the cloud or the cluster.
func logicalAccess(st step) bool {
	typ := typeOf(st.URN)
	switch st.Op {
	case "create":
		return typ == "ack-platform:platform:Access" || typ == "pulumi:providers:kubernetes"
	case "delete":
		return typ == "pulumi:providers:kubernetes"
	}
	return false
}
