package graph_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/diagram/graph"
)

// The committed diagrams are what the config draws today: this fails when
// someone edits a stack file or the catalog without `make diagram`.
func TestDocsAreFresh(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	stacks := realStacks(t)
	const hint = "run `make diagram`"

	graphs := make([]*graph.Graph, 0, len(stacks))
	var names []string
	for _, s := range stacks {
		graphs = append(graphs, s.Graph)
		names = append(names, s.Name)
	}
	md, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	require.NoError(t, err, "docs/architecture.md is missing: %s", hint)
	assertSame(t, graph.Markdown(graphs), string(md), "docs/architecture.md is stale: "+hint)

	dir := filepath.Join(root, "docs", "diagrams")
	for _, s := range stacks {
		dot, err := os.ReadFile(filepath.Join(dir, s.Name+".dot"))
		if assert.NoError(t, err, "docs/diagrams/%s.dot is missing: %s", s.Name, hint) {
			assertSame(t, graph.DOT(s.Graph), string(dot), "docs/diagrams/"+s.Name+".dot is stale: "+hint)
		}
		// Graphviz output varies with its version: only its presence and
		// kind are checked, the DOT above pins the content.
		svg, err := os.ReadFile(filepath.Join(dir, s.Name+".svg"))
		if assert.NoError(t, err, "docs/diagrams/%s.svg is missing: %s", s.Name, hint) {
			head := bytes.TrimSpace(svg)
			assert.True(t, bytes.HasPrefix(head, []byte("<svg")) || bytes.HasPrefix(head, []byte("<?xml")),
				"docs/diagrams/%s.svg is not an SVG document: %s", s.Name, hint)
		}
	}
	for _, ext := range []string{".dot", ".svg"} {
		files, err := filepath.Glob(filepath.Join(dir, "*"+ext))
		require.NoError(t, err)
		var have []string
		for _, f := range files {
			have = append(have, strings.TrimSuffix(filepath.Base(f), ext))
		}
		slices.Sort(have)
		assert.Equal(t, names, have, "docs/diagrams/*%s: one per stack, none for a removed stack: %s", ext, hint)
	}
}

// assertSame compares a generated file with the committed one and reports
// the first line that differs, not two whole documents.
func assertSame(t *testing.T, want, got, msg string) {
	t.Helper()
	if want == got {
		return
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			t.Errorf("%s\nfirst difference at line %d:\n  generated: %q\n  committed: %q", msg, i+1, wl, gl)
			return
		}
	}
}
