package graph_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/diagram/graph"
)

// allGraphs is every graph the tests render: the real stacks, the crafted
// ones, and one whose IDs and labels need every escape.
func allGraphs(t *testing.T) map[string]*graph.Graph {
	t.Helper()
	out := map[string]*graph.Graph{"nasty": nastyGraph()}
	for _, s := range realStacks(t) {
		out["real "+s.Name] = s.Graph
	}
	for name, s := range fixtureStacks(t) {
		out["fixture "+name] = s.Graph
	}
	return out
}

// nastyGraph has IDs that collide once sanitized or spell Mermaid keywords,
// and labels with quotes, '#', '<', '|' and backslashes.
func nastyGraph() *graph.Graph {
	return &graph.Graph{
		Stack: "nasty", Summary: `target "x"`,
		Groups: []graph.Group{{ID: "end", Label: `say "hi" #1 <b>`}, {ID: "end:inner", Label: "inner", Parent: "end"}},
		Nodes: []graph.Node{
			{ID: "a-b", Kind: graph.KindDNS, Lines: []string{`quote " and # and <tag> and \n`}},
			{ID: "a_b", Kind: graph.KindService, Lines: []string{"pipe | bar", "x"}, Group: "end"},
			{ID: "end", Kind: graph.KindPods, Lines: []string{"end"}, Group: "end:inner"},
			{ID: "subgraph", Kind: graph.KindNacos, Lines: []string{"nacos"}},
		},
		Edges: []graph.Edge{
			{From: "a-b", To: "a_b", Kind: graph.EdgeRoute, Label: `a "b" #c`},
			{From: "a_b", To: "end", Kind: graph.EdgeSelects},
			{From: "end", To: "subgraph", Kind: graph.EdgeRegisters, Label: "registers"},
			{From: "a_b", To: "end", Kind: graph.EdgeCalls, Label: "calls"},
		},
	}
}

var (
	mmdNode     = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*)(\(\[|\[\[|\[\(|\{\{|\[|\()"([^"]*)"(\]\)|\]\]|\)\]|\}\}|\]|\))$`)
	mmdSubgraph = regexp.MustCompile(`^subgraph ([A-Za-z][A-Za-z0-9_]*) \["([^"]*)"\]$`)
	mmdEdge     = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*) (-->|-\.->|==>)(?:\|"([^"]*)"\|)? ([A-Za-z][A-Za-z0-9_]*)$`)
	mmdClassDef = regexp.MustCompile(`^classDef [a-z]+ [a-z:#0-9,]+$`)
	mmdClass    = regexp.MustCompile(`^class ([A-Za-z0-9_,]+) [a-z]+$`)
)

var mmdShapes = map[string]string{"([": "])", "[[": "]]", "[(": ")]", "{{": "}}", "[": "]", "(": ")"}

// The Mermaid output is a flowchart a parser accepts: a minimal grammar of
// the statements the renderer writes, balanced subgraphs, unique IDs that
// are not keywords, and edges only between declared nodes.
func TestMermaidParsesAsFlowchart(t *testing.T) {
	t.Parallel()
	for name, g := range allGraphs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lines := strings.Split(strings.TrimSuffix(graph.Mermaid(g), "\n"), "\n")
			require.Equal(t, "flowchart LR", lines[0])
			nodes, ids := map[string]bool{}, map[string]bool{}
			depth, edges := 0, 0
			var classed []string
			declare := func(id string) {
				assert.False(t, ids[id], "ID %s declared twice", id)
				assert.NotContains(t, []string{"end", "subgraph", "graph", "flowchart", "class", "classDef", "style", "click", "default"}, id)
				ids[id] = true
			}
			for i, raw := range lines[1:] {
				line := strings.TrimSpace(raw)
				switch m := []string(nil); {
				case strings.HasPrefix(line, "%%"):
				case mmdSubgraph.MatchString(line):
					declare(mmdSubgraph.FindStringSubmatch(line)[1])
					depth++
				case line == "end":
					depth--
					require.GreaterOrEqual(t, depth, 0, "line %d: end without subgraph", i+2)
				case func() bool { m = mmdNode.FindStringSubmatch(line); return m != nil }():
					assert.Equal(t, mmdShapes[m[2]], m[4], "line %d: shape closed by its own bracket", i+2)
					declare(m[1])
					nodes[m[1]] = true
				case func() bool { m = mmdEdge.FindStringSubmatch(line); return m != nil }():
					assert.True(t, nodes[m[1]], "line %d: edge from undeclared node %s", i+2, m[1])
					assert.True(t, nodes[m[4]], "line %d: edge to undeclared node %s", i+2, m[4])
					edges++
				case mmdClassDef.MatchString(line):
				case mmdClass.MatchString(line):
					classed = append(classed, strings.Split(mmdClass.FindStringSubmatch(line)[1], ",")...)
				default:
					t.Errorf("line %d is no flowchart statement: %q", i+2, raw)
				}
			}
			assert.Zero(t, depth, "every subgraph ends")
			assert.Len(t, nodes, len(g.Nodes), "one declaration per node")
			assert.Equal(t, len(g.Edges), edges, "one line per edge")
			assert.Len(t, classed, len(g.Nodes), "every node is styled once")
			for _, c := range classed {
				assert.True(t, nodes[c], "class on undeclared node %s", c)
			}
		})
	}
}

var (
	dotNode = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*) \[label=`)
	dotEdge = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9_]*) -> ([A-Za-z][A-Za-z0-9_]*)( \[.*\])?;$`)
)

// The DOT output has balanced braces outside strings, one statement per
// node and edge, and edges only between declared nodes; when Graphviz is
// installed it must also accept it.
func TestDOTIsWellFormed(t *testing.T) {
	t.Parallel()
	dot := filepath.Join(repoRoot(t), ".tools", "bin", "dot")
	if _, err := os.Stat(dot); err != nil {
		dot, _ = exec.LookPath("dot")
	}
	for name, g := range allGraphs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := graph.DOT(g)
			depth, inString, escaped := 0, false, false
			for _, r := range src {
				switch {
				case escaped:
					escaped = false
				case inString && r == '\\':
					escaped = true
				case r == '"':
					inString = !inString
				case !inString && r == '{':
					depth++
				case !inString && r == '}':
					depth--
					require.GreaterOrEqual(t, depth, 0, "closing brace without opening")
				}
			}
			assert.False(t, inString, "unterminated string")
			assert.Zero(t, depth, "balanced braces")

			nodes := map[string]bool{}
			edges := 0
			for _, line := range strings.Split(src, "\n") {
				line = strings.TrimSpace(line)
				if m := dotNode.FindStringSubmatch(line); m != nil {
					assert.False(t, nodes[m[1]], "node %s declared twice", m[1])
					nodes[m[1]] = true
				}
				if m := dotEdge.FindStringSubmatch(line); m != nil {
					assert.True(t, nodes[m[1]] && nodes[m[2]], "edge %s -> %s between declared nodes", m[1], m[2])
					edges++
				}
			}
			assert.Len(t, nodes, len(g.Nodes))
			assert.Equal(t, len(g.Edges), edges)

			if dot == "" {
				t.Log("Graphviz dot not on PATH: syntax not checked by dot itself")
				return
			}
			cmd := exec.Command(dot, "-Tcanon")
			cmd.Stdin = strings.NewReader(src)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Run(), "dot rejects the source: %s", stderr.String())
			assert.Empty(t, stderr.String(), "dot warns")
		})
	}
}

func TestIDsStayDistinctAfterSanitizing(t *testing.T) {
	t.Parallel()
	out := graph.Mermaid(nastyGraph())
	assert.Contains(t, out, "n_a_b([")
	assert.Contains(t, out, "n_a_b_2(")
	assert.Contains(t, out, "subgraph g_end [")
	assert.Contains(t, out, "n_end[[")
	assert.Contains(t, out, `#quot;b#quot; #35;c`, "quotes and # in edge labels are entity codes")
	assert.NotContains(t, out, "<tag>", "HTML in labels is escaped")
	assert.Contains(t, out, "pipe #124; bar", "a pipe cannot end an edge label early")
}
