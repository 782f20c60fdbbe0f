package rehearsal_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

// The delivery rehearsed on the project itself: the repository's program,
// Pulumi.yaml and stack files (platform-prod, platform-nonprod, dev, test),
// run through tools/engine.sh as `make up` runs them, on one emulated
// account and one local API server. Only the operator secrets are set here
// (canaries), as an operator sets them once per stack.
func TestRehearsalProjectStacks(t *testing.T) {
	startCluster(t)
	w := newWorld(t, "project")
	dir := w.repoProject(t)
	prod := w.repoStack(t, dir, "platform-prod")
	nonprod := w.repoStack(t, dir, "platform-nonprod")
	dev := w.repoStack(t, dir, "dev")
	test := w.repoStack(t, dir, "test")

	t.Run("platform stacks up", func(t *testing.T) {
		// platform-nonprod reads the registry of platform-prod: prod first.
		prod.engine(t, "up", "--yes", "--skip-preview")
		nonprod.engine(t, "up", "--yes", "--skip-preview")
		out := nonprod.outputs(t)
		assert.Regexp(t, `^c[0-9a-f]+$`, out["clusterId"])
		assert.Equal(t, out["clusterId"], out["clusterReady"], "clusterReady resolves to the cluster once its pools, add-ons and registry link exist")
		assert.Equal(t, prod.outputs(t)["registryEndpoint"], out["registryEndpoint"], "non-prod pulls from the prod registry")
		assert.NotEqual(t, prod.outputs(t)["clusterId"], out["clusterId"])
	})

	t.Run("no change previews as no change", func(t *testing.T) {
		// The emulator fills in every Optional+Computed input the program
		// leaves unset; a second preview must not see them as diffs.
		for _, s := range []*stack{prod, nonprod} {
			s.engine(t, "preview", "--expect-no-changes")
		}
	})

	// A new VPC CIDR: the VPC updates in place, every vSwitch is replaced
	// (cidrBlock is ForceNew), and what hangs off a vSwitch by a ForceNew
	// reference with it.
	const cidrKey = "ack-platform:platform.network.vpcCidr"
	t.Run("ForceNew change previews as replace in non-prod", func(t *testing.T) {
		nonprod.configPath(t, cidrKey, "10.30.0.0/16")
		defer nonprod.configPath(t, cidrKey, "10.10.0.0/16")
		raw, errOut, err := nonprod.enginePreviewJSON()
		require.NoError(t, err, errOut)
		got := changed(steps(t, raw))
		assert.Contains(t, got, "update alicloud:vpc/network:Network dev-network-vpc")
		assert.Contains(t, got, "replace alicloud:vpc/switch:Switch dev-network-node-cn-hangzhou-i")
		assert.Contains(t, got, "replace alicloud:vpc/snatEntry:SnatEntry dev-network-node-cn-hangzhou-i-snat")
		// The cluster takes its new vSwitches in place (the provider marks
		// neither vswitchIds nor podVswitchIds ForceNew).
		assert.Contains(t, got, "update alicloud:cs/managedKubernetes:ManagedKubernetes dev-cluster")
		assert.NotContains(t, got, "replace alicloud:cs/managedKubernetes:ManagedKubernetes dev-cluster")
		rep := summary.Build(parseSummary(t, raw), nonprod.name)
		reasons := map[string][]string{}
		for _, r := range rep.Replacements {
			reasons[r.Type+" "+r.Name] = r.ReplaceReasons
		}
		assert.Equal(t, []string{"cidrBlock"}, reasons["alicloud:vpc/switch:Switch dev-network-pod-cn-hangzhou-j"])
		assert.Equal(t, []string{"sourceVswitchId"}, reasons["alicloud:vpc/snatEntry:SnatEntry dev-network-pod-cn-hangzhou-j-snat"])
		assert.Empty(t, rep.Protected, "nothing in non-prod is protected")
	})

	t.Run("protect refuses the same change in prod", func(t *testing.T) {
		before := accountResources(t, w, "platform-prod")
		prod.configPath(t, cidrKey, "10.40.0.0/16")
		defer prod.configPath(t, cidrKey, "10.20.0.0/16")
		raw, _, err := prod.enginePreviewJSON()
		require.Error(t, err, "the preview of a protected replacement fails")
		rep, protectedReplaced := protectedReplacements(t, raw, prod.name)
		assert.Contains(t, protectedReplaced, "alicloud:vpc/switch:Switch prod-network-node-cn-hangzhou-h")
		assert.Contains(t, protectedReplaced, "alicloud:cr/vpcEndpointLinkedVpc:VpcEndpointLinkedVpc prod-registry-vpc-link")
		assert.Contains(t, strings.Join(rep.Errors, "\n"), "marked for protection")

		out, err := prod.engineRun("up", "--yes", "--skip-preview")
		require.Error(t, err, "protect refuses the replacement")
		assert.Contains(t, out, "as it is currently marked for protection")
		assert.ElementsMatch(t, before, accountResources(t, w, "platform-prod"), "nothing of prod was created or deleted")
	})

	t.Run("workload stacks up through StackReference", func(t *testing.T) {
		// dev runs the cluster's ingress controller, which test shares.
		dev.engine(t, "up", "--yes", "--skip-preview")
		test.engine(t, "up", "--yes", "--skip-preview")
		assert.Equal(t, "ack-platform-prod-registry-vpc.cn-hangzhou.cr.aliyuncs.com/acme-iot/gateway:1.8.2", deploymentImage(t, "test", "gateway"),
			"images come from the prod registry's VPC endpoint")
	})

	const release = "ack-platform:environments.test.releases.gateway"
	t.Run("release previews as one Deployment update though the credential changed", func(t *testing.T) {
		test.configPath(t, release, "1.8.3")
		raw, errOut, err := test.enginePreviewJSON()
		require.NoError(t, err, errOut)
		workloads, providers := splitProviders(changed(steps(t, raw)))
		assert.Equal(t, []string{"update kubernetes:apps/v1:Deployment test-gateway-deployment"}, workloads)
		assertCredentialOnly(t, raw, providers)

		raw, errOut, err = dev.enginePreviewJSON()
		require.NoError(t, err, errOut)
		workloads, providers = splitProviders(changed(steps(t, raw)))
		assert.Empty(t, workloads, "a release to test changes nothing in dev")
		assertCredentialOnly(t, raw, providers)

		test.engine(t, "up", "--yes", "--skip-preview")
		assert.Equal(t, "ack-platform-prod-registry-vpc.cn-hangzhou.cr.aliyuncs.com/acme-iot/gateway:1.8.3", deploymentImage(t, "test", "gateway"))
		assert.Equal(t, "ack-platform-prod-registry-vpc.cn-hangzhou.cr.aliyuncs.com/acme-iot/gateway:1.8.2", deploymentImage(t, "dev", "gateway"))
	})

	t.Run("rollback", func(t *testing.T) {
		test.configPath(t, release, "1.8.2")
		test.engine(t, "up", "--yes", "--skip-preview")
		assert.Equal(t, "ack-platform-prod-registry-vpc.cn-hangzhou.cr.aliyuncs.com/acme-iot/gateway:1.8.2", deploymentImage(t, "test", "gateway"))
	})

	t.Run("destroy", func(t *testing.T) {
		// Workload stacks first, dev (the ingress controller) last; then
		// their platform. The credential in their state is a spent token:
		// engine.sh runs the program for a fresh one.
		test.engine(t, "destroy", "--yes", "--skip-preview")
		dev.engine(t, "destroy", "--yes", "--skip-preview")
		for _, ns := range []string{"dev", "test"} {
			out, err := runKubectl("get", "namespace", ns, "--ignore-not-found", "-o", "name")
			require.NoError(t, err)
			assert.Empty(t, strings.TrimSpace(out), "namespace %s is gone", ns)
		}
		nonprod.engine(t, "destroy", "--yes", "--skip-preview")
		assert.Empty(t, accountResources(t, w, "platform-nonprod"), "destroy leaves nothing of non-prod in the account")

		before := accountResources(t, w, "platform-prod")
		out, err := prod.engineRun("destroy", "--yes", "--skip-preview")
		require.Error(t, err, "destroying the protected prod platform is refused")
		assert.Contains(t, out, "cannot be deleted")
		assert.ElementsMatch(t, before, accountResources(t, w, "platform-prod"), "every prod resource is still there")
	})
}

// repoProject writes a project directory for the repository's own program:
// its Pulumi.yaml with `main` pointing back at the repository.
func (w *world) repoProject(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi.yaml"))
	require.NoError(t, err)
	return writeProject(t, w, "ack-platform", b, suite.root)
}

// repoStack initialises a stack from the repository's Pulumi.<name>.yaml,
// copied as it is, and sets the secrets its file asks the operator for.
func (w *world) repoStack(t *testing.T, dir, name string) *stack {
	t.Helper()
	return w.repoStackFile(t, dir, name, "")
}

// repoStackFile writes the repository's Pulumi.<name>.yaml into dir and
// sets the operator secrets. With salt "" it initialises a new stack;
// otherwise the stack exists in the backend (a stack that takes its new
// file) and salt is its passphrase salt, the `encryptionsalt:` line of its
// former file, without which its state's secrets cannot be read.
func (w *world) repoStackFile(t *testing.T, dir, name, salt string) *stack {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi."+name+".yaml"))
	require.NoError(t, err)
	require.NotContains(t, string(b), "secure:", "a committed stack file holds no ciphertext of another passphrase")
	if _, workload := stackconfig.OperatorSecrets[name]; workload {
		b = onLocalNode(t, b)
	}
	if salt != "" {
		b = append([]byte(salt+"\n"), b...)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Pulumi."+name+".yaml"), b, 0o644))
	s := &stack{w: w, dir: dir, name: name}
	if salt == "" {
		s.must(t, "stack", "init", name, "--non-interactive")
	}
	for _, k := range stackconfig.OperatorSecrets[name] {
		s.must(t, "config", "set", "--stack", name, "--secret", "ack-platform:"+k, canary(k))
	}
	return s
}

// nodeCPU is the CPU request of every workload on the local node: the
// environments ask for several cores each, the machine has two.
const nodeCPU = "20m"

// onLocalNode adapts a workload stack file to what the one local node
// offers, and only that: every container's CPU request (through the
// program's own per-service overrides, so quotas follow), and the storage
// class of the Nacos disks (the node has local volumes of class ack-local
// where ACK has alicloud-disk-topology-alltype). Everything else is the
// file as committed.
func onLocalNode(t *testing.T, file []byte) []byte {
	t.Helper()
	var doc map[string]any
	require.NoError(t, yaml.Unmarshal(file, &doc))
	cfg := doc["config"].(map[string]any)
	cpu := map[string]any{"requests": map[string]any{"cpu": nodeCPU}}
	sub := func(m map[string]any, k string) map[string]any {
		v, _ := m[k].(map[string]any)
		if v == nil {
			v = map[string]any{}
			m[k] = v
		}
		return v
	}
	nacos := sub(cfg, "ack-platform:nacos")
	nacos["resources"], nacos["storageClass"] = cpu, "ack-local"
	// Only the stack that runs the controller (dev) may size it.
	if ingress := sub(cfg, "ack-platform:ingress"); ingress["controller"] == "nginx" {
		sub(ingress, "nginx")["resources"] = cpu
	}
	var project struct {
		Config map[string]struct {
			Value struct {
				Services map[string]any `yaml:"services"`
			} `yaml:"value"`
		} `yaml:"config"`
	}
	b, err := os.ReadFile(filepath.Join(suite.root, "Pulumi.yaml"))
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &project))
	services := project.Config["ack-platform:catalog"].Value.Services
	require.NotEmpty(t, services)
	for _, env := range cfg["ack-platform:environments"].(map[string]any) {
		overrides := sub(env.(map[string]any), "overrides")
		for svc := range services {
			sub(overrides, svc)["resources"] = cpu
		}
	}
	out, err := yaml.Marshal(doc)
	require.NoError(t, err)
	return out
}

func (s *stack) configPath(t *testing.T, key, value string) {
	t.Helper()
	s.must(t, "config", "set", "--stack", s.name, "--path", key, value)
}

// engineRun runs tools/engine.sh on the stack, as `make up|preview|destroy
// STACK=...` does, in the world's environment; stdout and stderr together.
func (s *stack) engineRun(op string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(suite.root, "tools", "engine.sh"), s.name, op, "--non-interactive"}, args...)...)
	cmd.Env = append(s.w.env(), "ACK_PROJECT_DIR="+s.dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("engine.sh %s %s: %w", s.name, op, err)
	}
	return out.String(), err
}

func (s *stack) engine(t *testing.T, op string, args ...string) string {
	t.Helper()
	began := time.Now()
	out, err := s.engineRun(op, args...)
	require.NoError(t, err, out)
	t.Logf("engine.sh %s %s: %s", s.name, op, time.Since(began).Round(100*time.Millisecond))
	return out
}

// enginePreviewJSON is engine.sh's preview (with the refresh a workload
// stack gets) as JSON; stdout only, so the JSON parses.
func (s *stack) enginePreviewJSON() ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(suite.root, "tools", "engine.sh"), s.name, "preview", "--non-interactive", "--json", "--diff")
	cmd.Env = append(s.w.env(), "ACK_PROJECT_DIR="+s.dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.Bytes(), stderr.String(), err
}

func parseSummary(t *testing.T, raw []byte) *summary.Digest {
	t.Helper()
	d, err := summary.Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	return d
}

// splitProviders separates provider steps from the others.
func splitProviders(all []string) (others, providers []string) {
	for _, c := range all {
		if strings.Contains(c, " pulumi:providers:") {
			providers = append(providers, c)
		} else {
			others = append(others, c)
		}
	}
	return others, providers
}

// assertCredentialOnly: the only provider change is the Kubernetes
// provider's credential (a new token each run), updated in place.
func assertCredentialOnly(t *testing.T, raw []byte, providers []string) {
	t.Helper()
	for _, p := range providers {
		assert.True(t, strings.HasPrefix(p, "update pulumi:providers:kubernetes "), "a provider is only ever updated in place: %s", p)
	}
	for _, s := range steps(t, raw) {
		if strings.HasPrefix(typeOf(s.URN), "pulumi:providers:kubernetes") && s.Op == "update" {
			assert.Equal(t, []string{"kubeconfig"}, s.DiffReasons, "only the credential changes: %s", s.URN)
		}
	}
}

// deploymentImage is the image of a service's Deployment in a namespace.
func deploymentImage(t *testing.T, namespace, svc string) string {
	t.Helper()
	return strings.TrimSpace(kubectl(t, "get", "deployment", svc, "-n", namespace,
		"-o", "jsonpath={.spec.template.spec.containers[0].image}"))
}
