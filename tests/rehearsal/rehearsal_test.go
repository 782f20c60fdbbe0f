package rehearsal_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

// testdata is a program directory under tests/rehearsal/testdata.
func testdata(name string) string {
	return filepath.Join(suite.root, "tests", "rehearsal", "testdata", name)
}

// kubectl runs kubectl as the local cluster's admin.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runKubectl(args...)
	require.NoError(t, err)
	return out
}

// The platform half of the delivery on the small test program: two
// platform stacks (non-prod unprotected, prod protected) on the emulator,
// what the engine previews and refuses, destroy.
func TestRehearsalPlatform(t *testing.T) {
	w := newWorld(t, "platform")
	platform := w.project(t, "rehearsal-platform", testdata("platform"))
	nonprod := w.newStack(t, platform, "platform-nonprod", nil)
	prod := w.newStack(t, platform, "platform-prod", map[string]string{"rehearsal:protect": "true",
		"rehearsal:vswitchCidr": "10.0.8.0/24"})

	t.Run("platform up", func(t *testing.T) {
		nonprod.up(t)
		prod.up(t)
		out := nonprod.outputs(t)
		assert.Regexp(t, `^c[0-9a-f]+$`, out["clusterId"])
		assert.Regexp(t, `^vpc-[0-9a-f]+$`, out["vpcId"])
		assert.Regexp(t, `^47\.\d+\.\d+\.\d+$`, out["egressIp"])
		assert.NotEqual(t, out["clusterId"], prod.outputs(t)["clusterId"], "two stacks, two clusters")
	})

	t.Run("no change previews as no change", func(t *testing.T) {
		// Every resource has Optional+Computed inputs the program leaves
		// unset and the emulator filled in: none may show as a diff.
		nonprod.must(t, "preview", "--stack", nonprod.name, "--expect-no-changes", "--non-interactive")
	})

	t.Run("Optional+Computed input left unset is no change", func(t *testing.T) {
		nonprod.config(t, "rehearsal:resourceGroupId", "rg-acfm2example")
		nonprod.up(t)
		nonprod.must(t, "config", "rm", "--stack", nonprod.name, "rehearsal:resourceGroupId")
		nonprod.must(t, "preview", "--stack", nonprod.name, "--expect-no-changes", "--non-interactive")
	})

	t.Run("documented refusal reaches the engine", func(t *testing.T) {
		nonprod.config(t, "rehearsal:clbBilling", "PayBySpec")
		out, errOut, err := nonprod.run("up", "--stack", nonprod.name, "--yes", "--skip-preview", "--non-interactive")
		require.Error(t, err)
		assert.Contains(t, out+errOut, "rule clb-billing-payg-only")
		nonprod.config(t, "rehearsal:clbBilling", "PayByCLCU")
		nonprod.must(t, "preview", "--stack", nonprod.name, "--expect-no-changes", "--non-interactive")
	})

	t.Run("ForceNew change previews as replace and the summary shows it", func(t *testing.T) {
		nonprod.config(t, "rehearsal:vswitchCidr", "10.0.2.0/24")
		defer nonprod.config(t, "rehearsal:vswitchCidr", "10.0.1.0/24")
		raw, errOut, err := nonprod.preview()
		require.NoError(t, err, errOut)
		got := changed(steps(t, raw))
		assert.Contains(t, got, "replace alicloud:vpc/switch:Switch nodes")
		assert.Contains(t, got, "replace alicloud:vpc/snatEntry:SnatEntry nodes", "the SNAT entry's sourceVswitchId is ForceNew")
		assert.Contains(t, got, "update alicloud:cs/nodePool:NodePool default", "a node pool's vSwitches update in place")

		digest, err := summary.Parse(bytes.NewReader(raw))
		require.NoError(t, err)
		rep := summary.Build(digest, nonprod.name)
		reasons := map[string][]string{}
		for _, r := range rep.Replacements {
			reasons[r.Type+" "+r.Name] = r.ReplaceReasons
		}
		assert.Equal(t, []string{"cidrBlock"}, reasons["alicloud:vpc/switch:Switch nodes"])
		assert.Equal(t, []string{"sourceVswitchId"}, reasons["alicloud:vpc/snatEntry:SnatEntry nodes"])
		assert.Len(t, rep.Replacements, 2)
		assert.Empty(t, rep.Protected, "nothing in non-prod is protected")
		md := rep.Markdown(0)
		assert.Contains(t, md, "cidrBlock")
	})

	var prodVswitch string
	t.Run("protect refuses a ForceNew change in prod and the summary shows it", func(t *testing.T) {
		prodVswitch = vswitchID(t, w, "platform-prod")
		prod.config(t, "rehearsal:vswitchCidr", "10.0.9.0/24")
		defer prod.config(t, "rehearsal:vswitchCidr", "10.0.8.0/24")
		raw, _, err := prod.preview()
		require.Error(t, err, "the preview of a protected replacement must fail")
		rep, protectedReplaced := protectedReplacements(t, raw, prod.name)
		assert.Contains(t, protectedReplaced, "alicloud:vpc/switch:Switch nodes")
		assert.NotEmpty(t, rep.Protected)
		assert.Contains(t, strings.Join(rep.Errors, "\n"), "marked for protection")

		out, errOut, err := prod.run("up", "--stack", prod.name, "--yes", "--skip-preview", "--non-interactive")
		require.Error(t, err, "protect must refuse the replacement")
		assert.Regexp(t, `unable to replace resource .*Switch::nodes"?\s+as it is currently marked for protection`, out+errOut)
		assert.Equal(t, prodVswitch, vswitchID(t, w, "platform-prod"), "the protected vSwitch is untouched")
	})

	t.Run("destroy", func(t *testing.T) {
		nonprod.must(t, "destroy", "--stack", nonprod.name, "--yes", "--skip-preview", "--non-interactive")
		assert.Empty(t, accountResources(t, w, "platform-nonprod"), "destroy leaves nothing of non-prod in the account")

		out, errOut, err := prod.run("destroy", "--stack", prod.name, "--yes", "--skip-preview", "--non-interactive")
		require.Error(t, err, "destroying the protected prod platform must be refused")
		assert.Contains(t, out+errOut, "cannot be deleted")
		assert.Len(t, accountResources(t, w, "platform-prod"), 9, "every prod resource is still there")
	})
}

// The workload half: two workload stacks (dev, staging) read the non-prod
// platform through a StackReference and reach the local cluster with the
// credential the emulator hands out; a release in one environment, a
// rollback, destroy.
func TestRehearsalWorkloads(t *testing.T) {
	startCluster(t)
	w := newWorld(t, "workloads")
	platform := w.project(t, "rehearsal-platform", testdata("platform"))
	nonprod := w.newStack(t, platform, "platform-nonprod", nil)
	nonprod.up(t)

	workload := w.project(t, "rehearsal-workload", testdata("workload"))
	ref := "organization/rehearsal-platform/platform-nonprod"
	dev := w.newStack(t, workload, "dev", map[string]string{"rehearsal:platformStack": ref, "rehearsal:version": "1.0.0"})
	staging := w.newStack(t, workload, "staging", map[string]string{"rehearsal:platformStack": ref, "rehearsal:version": "1.0.0"})

	t.Run("workloads up through StackReference", func(t *testing.T) {
		dev.up(t)
		staging.up(t)
		assert.Equal(t, "registry.local/orders:1.0.0", image(t, "rehearsal-dev"))
		assert.Equal(t, "registry.local/orders:1.0.0", image(t, "rehearsal-staging"))
	})

	t.Run("release previews as exactly one Deployment update though the credential changed", func(t *testing.T) {
		dev.config(t, "rehearsal:version", "1.1.0")
		raw, errOut, err := dev.preview()
		require.NoError(t, err, errOut)
		all := steps(t, raw)
		var workloads, providers []string
		for _, c := range changed(all) {
			if strings.Contains(c, " pulumi:providers:") {
				providers = append(providers, c)
			} else {
				workloads = append(workloads, c)
			}
		}
		assert.Equal(t, []string{"update kubernetes:apps/v1:Deployment orders"}, workloads)
		// The credential did change: a new token on every run, so the
		// Kubernetes provider is updated in place, never replaced.
		require.Equal(t, []string{"update pulumi:providers:kubernetes cluster-provider"}, providers)
		for _, s := range all {
			if strings.HasPrefix(typeOf(s.URN), "pulumi:providers:") {
				assert.Contains(t, s.DiffReasons, "kubeconfig")
			}
		}
		dev.up(t)
		assert.Equal(t, "registry.local/orders:1.1.0", image(t, "rehearsal-dev"))
		assert.Equal(t, "registry.local/orders:1.0.0", image(t, "rehearsal-staging"), "the other environment is untouched")
	})

	t.Run("rollback", func(t *testing.T) {
		dev.config(t, "rehearsal:version", "1.0.0")
		dev.up(t)
		assert.Equal(t, "registry.local/orders:1.0.0", image(t, "rehearsal-dev"))
	})

	t.Run("destroy", func(t *testing.T) {
		dev.must(t, "destroy", "--stack", dev.name, "--yes", "--skip-preview", "--non-interactive")
		staging.must(t, "destroy", "--stack", staging.name, "--yes", "--skip-preview", "--non-interactive")
		_, err := runKubectl("get", "deployment", "orders", "-n", "rehearsal-dev")
		assert.Error(t, err, "the Deployment is gone")
		nonprod.must(t, "destroy", "--stack", nonprod.name, "--yes", "--skip-preview", "--non-interactive")
		assert.Empty(t, accountResources(t, w, "platform-nonprod"))
	})
}

// protectedReplacements reads a preview the way the pull-request summary
// does and lists its protected replacements as "type name".
func protectedReplacements(t *testing.T, raw []byte, stack string) (summary.Report, []string) {
	t.Helper()
	digest, err := summary.Parse(bytes.NewReader(raw))
	require.NoError(t, err)
	rep := summary.Build(digest, stack)
	var out []string
	for _, r := range rep.Replacements {
		if r.Protected {
			out = append(out, r.Type+" "+r.Name)
		}
	}
	return rep, out
}

// vswitchID is the id of the nodes vSwitch of a platform stack, read from
// the emulated account.
func vswitchID(t *testing.T, w *world, stack string) string {
	t.Helper()
	for _, id := range accountResources(t, w, stack) {
		if strings.HasPrefix(id, "vsw-") {
			return id
		}
	}
	t.Fatalf("no vSwitch of %s in the emulated account", stack)
	return ""
}

// accountResources lists the ids of the resources of a stack that exist in
// the emulated account; of every stack when stack is "".
func accountResources(t *testing.T, w *world, stack string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(w.account, "resources"))
	require.NoError(t, err)
	stackRE := regexp.QuoteMeta(stack)
	if stack == "" {
		stackRE = `[^:]+`
	}
	urnRE := regexp.MustCompile(`"urn": "urn:pulumi:` + stackRE + `::`)
	idRE := regexp.MustCompile(`"id": "([^"]+)"`)
	var ids []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(w.account, "resources", e.Name()))
		require.NoError(t, err)
		if urnRE.Match(b) {
			ids = append(ids, idRE.FindStringSubmatch(string(b))[1])
		}
	}
	return ids
}

// image is the container image of the orders Deployment in a namespace.
func image(t *testing.T, namespace string) string {
	t.Helper()
	return strings.TrimSpace(kubectl(t, "get", "deployment", "orders", "-n", namespace,
		"-o", fmt.Sprintf("jsonpath=%s", "{.spec.template.spec.containers[0].image}")))
}
