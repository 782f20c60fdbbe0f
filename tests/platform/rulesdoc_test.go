package platform_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

var (
	ruleID   = regexp.MustCompile("^`([a-z0-9]+(?:-[a-z0-9]+)+)`$")
	ruleLink = regexp.MustCompile(`\[[^\]]+\]\(https?://[^)\s]+\)`)
	ruleTest = regexp.MustCompile("`(?:(tests/[a-z]+):)?(Test[A-Za-z0-9_]+)(?:/([^`]+))?`")
)

// TestRulesDoc reads docs/alicloud-rules.md and checks every row: a unique
// kebab-case id, a rule, a linked source, where it is honoured, and tests
// that exist (go test -list) — a table case must appear in its package's
// test sources.
func TestRulesDoc(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	raw, err := os.ReadFile(filepath.Join(root, "docs", "alicloud-rules.md"))
	require.NoError(t, err)

	listed := map[string]map[string]bool{} // package -> top-level tests
	sources := map[string]string{}         // package -> its test sources
	load := func(pkg string) {
		if listed[pkg] != nil {
			return
		}
		cmd := exec.Command("go", "test", "-list", ".", "./"+pkg)
		cmd.Dir = root
		out, err := cmd.Output()
		require.NoError(t, err, "go test -list ./%s", pkg)
		listed[pkg] = map[string]bool{}
		for _, l := range strings.Fields(string(out)) {
			listed[pkg][l] = true
		}
		files, _ := filepath.Glob(filepath.Join(root, pkg, "*_test.go"))
		var b strings.Builder
		for _, f := range files {
			src, err := os.ReadFile(f)
			require.NoError(t, err)
			b.Write(src)
		}
		sources[pkg] = b.String()
	}

	ids := map[string]bool{}
	rows := 0
	var table bool
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "| id |") {
			table = true
			continue
		}
		if !table || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			if rows > 0 {
				break // end of the rules table
			}
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		require.Len(t, cells, 5, "row %q: want id, rule, source, honoured in, test", line)
		m := ruleID.FindStringSubmatch(strings.TrimSpace(cells[0]))
		if !assert.NotNil(t, m, "row %q: the id is not kebab-case in backticks", cells[0]) {
			continue
		}
		id := m[1]
		rows++
		assert.False(t, ids[id], "id %s appears twice", id)
		ids[id] = true
		assert.Greater(t, len(strings.TrimSpace(cells[1])), 20, "%s: the rule needs a sentence", id)
		assert.Regexp(t, ruleLink, cells[2], "%s: the source needs a titled link", id)
		assert.NotEmpty(t, strings.TrimSpace(cells[3]), "%s: say where the program honours it", id)
		tests := ruleTest.FindAllStringSubmatch(cells[4], -1)
		if !assert.NotEmpty(t, tests, "%s: name the test that pins it", id) {
			continue
		}
		for _, tm := range tests {
			pkg := tm[1]
			if pkg == "" {
				pkg = "tests/platform"
			}
			load(pkg)
			assert.True(t, listed[pkg][tm[2]], "%s: %s is not a test in %s", id, tm[2], pkg)
			if tm[3] != "" {
				assert.Contains(t, sources[pkg], `"`+tm[3]+`"`, "%s: %s has no case %q", id, tm[2], tm[3])
			}
		}
	}
	assert.GreaterOrEqual(t, rows, 20, "the rules table has too few rows")
	for _, want := range []string{
		"sg-ack-managed", "clb-billing-payg-only", "acr-vpc-link-every-cluster", "acr-credential-helper-config",
		"autoscaler-cluster-level", "addon-set", "prod-protect", "kubeconfig-private-endpoint",
		"snat-one-entry-per-vswitch", "terway-pod-vswitch-per-zone", "ack-deletion-protection",
		"maintenance-window", "logs-and-audit", "rrsa-issuer-exported", "kms-disable-encryption-false",
	} {
		assert.True(t, ids[want], "no row for %s", want)
	}
}
