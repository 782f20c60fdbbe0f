package workflows_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", name))
	require.NoError(t, err)
	return string(data)
}

var (
	fence    = regexp.MustCompile("(?ms)^\\s*```[a-z]*\\n(.*?)^\\s*```")
	indented = regexp.MustCompile(`(?m)^    \S.*$`)
)

// TestChineseDocsMatch: each delivery doc has a Chinese version with the
// same sections and the same commands and policies, byte for byte.
func TestChineseDocsMatch(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"delivery", "releases", "runners"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			en, zh := readDoc(t, name+".md"), readDoc(t, name+".zh-CN.md")
			sections := func(s string) int { return len(regexp.MustCompile(`(?m)^##+ `).FindAllString(s, -1)) }
			assert.Equal(t, sections(en), sections(zh), "same number of sections")
			blocks := fence.FindAllStringSubmatch(en, -1)
			require.NotEmpty(t, blocks)
			for _, b := range blocks {
				assert.Contains(t, strip(zh), strip(b[1]), "the Chinese version carries this block unchanged")
			}
			// Indented code blocks (four spaces, outside the fenced ones).
			for _, line := range indented.FindAllStringSubmatch(fence.ReplaceAllString(en, ""), -1) {
				assert.Contains(t, zh, line[0], "the Chinese version carries this command unchanged")
			}
			assert.Contains(t, en, "("+name+".zh-CN.md)")
			assert.Contains(t, zh, "("+name+".md)")
		})
	}
}

// strip removes the indentation, which differs between list levels.
func strip(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}

// TestDeliveryDocCoversThePipelines: the delivery doc (both languages)
// names every pipeline file and every variable and secret the pipelines read.
func TestDeliveryDocCoversThePipelines(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	docs := []string{readDoc(t, "delivery.md"), readDoc(t, "delivery.zh-CN.md")}
	var names []string
	for _, f := range workflowFiles(t, root) {
		names = append(names, filepath.Base(f))
	}
	for _, f := range flowFiles(t) {
		names = append(names, ".yunxiao/"+filepath.Base(f))
	}
	settings := regexp.MustCompile(`\b(?:vars|secrets)\.([A-Z][A-Z0-9_]+)`)
	flowSettings := regexp.MustCompile(`\$\{?([A-Z][A-Z0-9_]*(?:_ID|_SECRET|_TOKEN|_URL|_PASSPHRASE|_USERNAME|_PASSWORD))\b`)
	var wanted []string
	files := slices.Concat(workflowFiles(t, root), actionFiles(t, root), flowFiles(t))
	scripts, err := filepath.Glob(filepath.Join(root, "tools", "ci", "*.sh"))
	require.NoError(t, err)
	for _, f := range slices.Concat(files, scripts) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range settings.FindAllStringSubmatch(string(data), -1) {
			wanted = append(wanted, m[1])
		}
		if strings.HasSuffix(f, ".sh") {
			for _, m := range flowSettings.FindAllStringSubmatch(string(data), -1) {
				wanted = append(wanted, m[1])
			}
		}
	}
	slices.Sort(wanted)
	wanted = slices.Compact(wanted)
	require.Contains(t, wanted, "ALICLOUD_PREVIEW_ROLE_ARN")
	require.Contains(t, wanted, "CODEUP_GIT_PASSWORD")
	for _, doc := range docs {
		for _, n := range names {
			assert.Contains(t, doc, n, "the delivery doc names %s", n)
		}
		for _, w := range wanted {
			if w == "GITHUB_TOKEN" {
				continue
			}
			assert.True(t, documents(doc, w), "the delivery doc tells how to set %s", w)
		}
	}
}

// documents reports whether doc names the setting, or its family when the
// doc writes it as <NAME>_ID / _SECRET or NAME_… .
func documents(doc, name string) bool {
	if strings.Contains(doc, name) {
		return true
	}
	for _, suffix := range []string{"_SECRET", "_ACCESS_KEY_ID", "_ACCESS_KEY_SECRET"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && strings.Contains(doc, base+"_") {
			return true
		}
	}
	return false
}
