package summary_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

// update rewrites the golden files: go test ./tools/previewsummary/summary -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden.md from the current output")

// TestGolden renders every recorded or crafted preview in testdata/*.json and
// compares it with the golden file beside it (NAME.json -> NAME.golden.md).
// Adding a recorded preview is one file pair: drop in the JSON and run with -update.
func TestGolden(t *testing.T) {
	t.Parallel()
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, fixtures)
	for _, fixture := range fixtures {
		name := strings.TrimSuffix(filepath.Base(fixture), ".json")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := render(t, fixture, "")
			assert.Less(t, len(got), summary.DefaultLimit+1)

			golden := strings.TrimSuffix(fixture, ".json") + ".golden.md"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "missing golden file; create it with: go test ./tools/previewsummary/summary -update")
			assert.Equal(t, string(want), got, "output differs from %s; if intended, rerun with -update", golden)
		})
	}
}

// TestFixtures asserts what each crafted case must show, independent of layout.
func TestFixtures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture   string
		stack     string
		contains  []string
		excludes  []string
		flaggedOK bool // whether a "Needs attention" section is expected
	}{
		{
			fixture:  "crafted-no-changes.json",
			stack:    "dev",
			contains: []string{"### Pulumi preview for `dev`: 0 create · 0 update · 0 replace · 0 delete · 58 same", "No changes."},
			excludes: []string{"Needs attention", "Image changes", "<details>"},
		},
		{
			fixture: "crafted-image-update.json",
			stack:   "dev",
			contains: []string{
				"0 create · 1 update · 0 replace · 0 delete · 57 same",
				"| test | gateway | `1.4.2` | `1.4.3` |",
				"| update | `kubernetes:apps/v1:Deployment` | `test-gateway` | `spec` |",
			},
			excludes: []string{"Needs attention", "No changes."},
		},
		{
			fixture: "crafted-replace.json",
			stack:   "dev",
			contains: []string{
				"0 create · 0 update · 2 replace · 0 delete · 56 same",
				"- **REPLACE** `alicloud:vpc/switch:Switch` `dev-network-vswitch-b` — forced by `cidrBlock`",
				"- **REPLACE** `kubernetes:apps/v1:Deployment` `dev-order-service` — forced by `spec.selector.matchLabels`",
			},
			excludes:  []string{"Image changes"}, // the image stays the same
			flaggedOK: true,
		},
		{
			fixture: "crafted-delete.json",
			stack:   "dev",
			contains: []string{
				"0 create · 0 update · 0 replace · 2 delete · 55 same",
				"- **DELETE** `kubernetes:apps/v1:Deployment` `staging-legacy-report`",
				"- **DELETE** `kubernetes:core/v1:Service` `staging-legacy-report`",
				"| staging | legacy-report | `0.9.7` | — |",
			},
			flaggedOK: true,
		},
		{
			fixture: "crafted-protected.json",
			stack:   "prod",
			contains: []string{
				"### Pulumi preview for `prod`: 0 create · 1 update · 1 replace · 0 delete · 41 same",
				"- **PROTECTED** `alicloud:cs/managedKubernetes:ManagedKubernetes` `prod-cluster` is touched (update)",
				"- **PROTECTED** `alicloud:slb/loadBalancer:LoadBalancer` `prod-ingress-slb` is touched (replace): a protected resource cannot be deleted",
				"- **PROTECTED** `alicloud:vpc/network:Network` `prod-network-vpc`: protection is turned on",
				"- **REPLACE** `alicloud:slb/loadBalancer:LoadBalancer` `prod-ingress-slb` — forced by `addressType`",
				"| update (protected) | `alicloud:cs/managedKubernetes:ManagedKubernetes` | `prod-cluster` | `tags` |",
				"| replace (protected) | `alicloud:slb/loadBalancer:LoadBalancer` | `prod-ingress-slb` | `addressType`, `vswitchId` |",
			},
			flaggedOK: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			// The stack name comes from the URNs when -stack is not given.
			got := render(t, filepath.Join("testdata", tc.fixture), "")
			assert.Equal(t, got, render(t, filepath.Join("testdata", tc.fixture), tc.stack))
			for _, s := range tc.contains {
				assert.Contains(t, got, s)
			}
			for _, s := range tc.excludes {
				assert.NotContains(t, got, s)
			}
			assert.Equal(t, tc.flaggedOK, strings.Contains(got, "Needs attention"))
			if tc.flaggedOK {
				assert.Less(t, strings.Index(got, "Needs attention"), strings.Index(got+"<details>", "<details>"),
					"flagged items come before the details")
			}
		})
	}
}

// TestHugePreview checks the size budget: thousands of changes fold into
// "not shown" lines while the counts and every flagged item stay.
func TestHugePreview(t *testing.T) {
	t.Parallel()
	const n = 3000
	var steps []string
	for i := range n {
		env := []string{"dev", "test", "staging"}[i%3]
		svc := fmt.Sprintf("service-%04d", i)
		steps = append(steps, deploymentStep("update", env, svc, "1.0."+fmt.Sprint(i), "1.1."+fmt.Sprint(i), false))
	}
	// Flagged items at the end, where a naive truncation would drop them.
	steps = append(steps,
		deploymentStep("delete", "staging", "legacy-a", "0.1.0", "", false),
		deploymentStep("replace", "dev", "gateway", "2.0.0", "2.0.1", false),
		deploymentStep("update", "dev", "nacos", "2.3.2", "2.4.0", true),
	)
	doc := `{"steps": [` + strings.Join(steps, ",") + `], "changeSummary": {"update": 3001, "replace": 1, "delete": 1, "same": 12}}`

	cases := []struct {
		name  string
		limit int
	}{
		{"default budget", 0},
		{"github limit", 65536},
		{"tight budget", 4000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := summary.Parse(strings.NewReader(doc))
			require.NoError(t, err)
			got := summary.Build(d, "dev").Markdown(tc.limit)

			limit := tc.limit
			if limit == 0 {
				limit = summary.DefaultLimit
			}
			assert.LessOrEqual(t, len(got), limit)
			assert.Contains(t, got, "0 create · 3001 update · 1 replace · 1 delete · 12 same")
			assert.Contains(t, got, "- **DELETE** `kubernetes:apps/v1:Deployment` `staging-legacy-a`")
			assert.Contains(t, got, "- **REPLACE** `kubernetes:apps/v1:Deployment` `dev-gateway`")
			assert.Contains(t, got, "- **PROTECTED** `kubernetes:apps/v1:Deployment` `dev-nacos` is touched (update)")
			assert.Regexp(t, `\.\.\. \d+ more resources not shown`, got)
		})
	}
}

// TestReplacementSteps: with --show-replacement-steps one URN has three
// steps, which count as one replacement.
func TestReplacementSteps(t *testing.T) {
	t.Parallel()
	doc := `{"steps": [` + strings.Join([]string{
		deploymentStep("create-replacement", "dev", "gateway", "1.0.0", "1.0.1", false),
		deploymentStep("replace", "dev", "gateway", "1.0.0", "1.0.1", false),
		deploymentStep("delete-replaced", "dev", "gateway", "1.0.0", "1.0.1", false),
	}, ",") + `]}`
	d, err := summary.Parse(strings.NewReader(doc))
	require.NoError(t, err)
	rep := summary.Build(d, "")
	assert.Equal(t, "dev", rep.Stack)
	assert.Equal(t, 1, rep.Counts[summary.OpReplace])
	require.Len(t, rep.Replacements, 1)
	require.Len(t, rep.Images, 1)
	assert.Equal(t, "1.0.0", rep.Images[0].Old)
	assert.Equal(t, "1.0.1", rep.Images[0].New)
}

func TestErrorsAreFlagged(t *testing.T) {
	t.Parallel()
	doc := `{"diagnostics": [
		{"message": "error: ack-platform:environments.dev.replicas: must be at least 1\n", "severity": "error"},
		{"message": "warning: deprecated\n", "severity": "warning"}
	]}`
	d, err := summary.Parse(strings.NewReader("some wrapper output\n" + doc))
	require.NoError(t, err)
	got := summary.Build(d, "dev").Markdown(0)
	assert.Contains(t, got, "**ERRORS**: the preview reported 1 error(s)")
	assert.Contains(t, got, "must be at least 1")
	assert.NotContains(t, got, "No changes.")
}

func TestParseRejectsNonJSON(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "error: no stack selected\n", `{"steps": [`} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			_, err := summary.Parse(strings.NewReader(in))
			assert.Error(t, err)
		})
	}
}

func render(t *testing.T, path, stack string) string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	d, err := summary.Parse(f)
	require.NoError(t, err)
	return summary.Build(d, stack).Markdown(summary.DefaultLimit)
}

// deploymentStep writes one step in the engine's JSON shape for a Deployment
// named env-svc whose image goes from oldTag to newTag ("" for none).
func deploymentStep(op, env, svc, oldTag, newTag string, protect bool) string {
	urn := fmt.Sprintf("urn:pulumi:dev::ack-platform::ack:workloads:Microservice$kubernetes:apps/v1:Deployment::%s-%s", env, svc)
	state := func(tag string) string {
		return fmt.Sprintf(`{"urn": %q, "custom": true, "type": "kubernetes:apps/v1:Deployment", "inputs": {
			"metadata": {"name": %q, "namespace": %q, "labels": {"app.kubernetes.io/name": %q}},
			"spec": {"template": {"spec": {"containers": [{"name": %q, "image": "registry-vpc.cn-hangzhou.aliyuncs.com/ack-platform/%s:%s"}]}}}
		}, "protect": %t}`, urn, svc, env, svc, svc, svc, tag, protect)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{"op": %q, "urn": %q`, op, urn)
	if oldTag != "" {
		fmt.Fprintf(&b, `, "oldState": %s`, state(oldTag))
	}
	if newTag != "" && op != "delete" {
		fmt.Fprintf(&b, `, "newState": %s`, state(newTag))
	}
	if op == "delete" {
		b.WriteString(`, "detailedDiff": null}`)
	} else {
		b.WriteString(`, "detailedDiff": {"spec.template.spec.containers[0].image": {"kind": "update", "inputDiff": false}}}`)
	}
	return b.String()
}
