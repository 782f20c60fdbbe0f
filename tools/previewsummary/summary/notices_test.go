package summary_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

func build(t *testing.T, fixture string) summary.Report {
	t.Helper()
	d, err := summary.Parse(strings.NewReader(readFile(t, filepath.Join("testdata", fixture))))
	require.NoError(t, err)
	return summary.Build(d, "")
}

// A Kubernetes provider whose only changed input is its kubeconfig is a
// credential refresh: not an update, not in the change table, and on its
// own it leaves the preview with nothing to review.
func TestCredentialRefresh(t *testing.T) {
	t.Parallel()
	rep := build(t, "crafted-credential-refresh.json")
	assert.Equal(t, 1, rep.Counts[summary.OpUpdate], "only the Deployment is an update")
	assert.Equal(t, 1, rep.Counts[summary.OpCredentialRefresh])
	require.Len(t, rep.CredentialRefreshes, 1)
	assert.Equal(t, "dev-cluster", rep.CredentialRefreshes[0].Name)
	require.Len(t, rep.Resources, 1)
	assert.Equal(t, "kubernetes:apps/v1:Deployment", rep.Resources[0].Type)
	md := rep.Markdown(0)
	assert.Contains(t, md, "**Credential refresh**: `pulumi:providers:kubernetes` `dev-cluster`")
	assert.NotContains(t, md, "| update | `pulumi:providers:kubernetes`")

	only := build(t, "crafted-credential-only.json")
	assert.False(t, only.HasChanges(), "a credential refresh alone is no change")
	assert.Contains(t, only.Markdown(0), "No changes.")
	assert.Contains(t, only.Markdown(0), "**Credential refresh**")
}

// A provider change beyond the credential (here: another cluster) is a
// change to judge, and so is a provider replacement.
func TestProviderChangeIsNotACredentialRefresh(t *testing.T) {
	t.Parallel()
	rep := build(t, "crafted-provider-change.json")
	assert.Empty(t, rep.CredentialRefreshes)
	assert.Equal(t, 2, rep.Counts[summary.OpUpdate])
	assert.Contains(t, rep.Markdown(0), "| update | `pulumi:providers:kubernetes` | `dev-cluster` | `cluster`, `kubeconfig` |")

	doc := `{"steps": [{"op": "replace", "urn": "urn:pulumi:dev::ack-platform::pulumi:providers:kubernetes::dev-cluster",
		"diffReasons": ["kubeconfig"], "replaceReasons": ["kubeconfig"], "detailedDiff": {"kubeconfig": {"kind": "update-replace"}}}]}`
	d, err := summary.Parse(strings.NewReader(doc))
	require.NoError(t, err)
	replaced := summary.Build(d, "dev")
	assert.Empty(t, replaced.CredentialRefreshes)
	assert.Contains(t, replaced.Markdown(0), "- **REPLACE** `pulumi:providers:kubernetes` `dev-cluster` — forced by `kubeconfig`")
}

// The engine's warnings appear once each, with the resource they are about.
func TestWarningsAreShown(t *testing.T) {
	t.Parallel()
	rep := build(t, "local-release-change.json")
	require.Len(t, rep.Warnings, 6, "seven warning events, one printed twice")
	md := rep.Markdown(0)
	assert.Contains(t, md, "#### Warnings (6)")
	assert.Contains(t, md, "- using pulumi-resource-kubernetes from $PATH at /work/main/.tools/bin/pulumi-resource-kubernetes (×2)")
	assert.Contains(t, md, "- `kubernetes:core/v1:Secret` `dev-tls`: rendered YAML will contain a secret value in plaintext")
	assert.NotContains(t, md, "warning: ", "the engine's prefix is dropped")
	assert.Less(t, strings.Index(md, "#### Warnings"), strings.Index(md, "#### Image changes"), "warnings come before the tables")

	var diags []string
	for i := range 15 {
		diags = append(diags, `{"message": "warning: w`+strings.Repeat("x", i)+`\n", "severity": "warning"}`)
	}
	d, err := summary.Parse(strings.NewReader(`{"diagnostics": [` + strings.Join(diags, ",") + `]}`))
	require.NoError(t, err)
	assert.Contains(t, summary.Build(d, "dev").Markdown(0), "- ... 5 more warnings in the workflow log")
}

// The fingerprint changes with the plan, not with a credential refresh.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	refresh := build(t, "crafted-credential-refresh.json").Fingerprint()
	recorded := build(t, "local-release-change.json")
	assert.Len(t, refresh, 64)
	assert.NotEqual(t, refresh, build(t, "crafted-provider-change.json").Fingerprint())
	assert.NotEqual(t, refresh, build(t, "crafted-no-changes.json").Fingerprint())
	// Same plan on the dev stack, with or without the credential refresh.
	d, err := summary.Parse(strings.NewReader(strings.ReplaceAll(readFile(t, "testdata/local-release-change.json"), "urn:pulumi:local::", "urn:pulumi:dev::")))
	require.NoError(t, err)
	assert.Equal(t, refresh, summary.Build(d, "").Fingerprint())
	assert.NotEqual(t, refresh, recorded.Fingerprint(), "the URN names the stack")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}
