// Command diagram draws the deployment and call-chain diagram of every stack
// from its config: docs/architecture.md (a Mermaid flowchart per stack) and
// docs/diagrams/<stack>.dot and .svg (Graphviz). It reads Pulumi.yaml and
// every Pulumi.<stack>.yaml; it needs no cloud account and no engine.
//
//	go run ./tools/diagram -out docs
//
// The SVG comes from Graphviz's `dot` (.tools/bin/dot, or on PATH); install
// it with `tools/install-tools.sh graphviz`.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tools/diagram/graph"
)

func main() {
	out := flag.String("out", "docs", "folder receiving architecture.md and diagrams/")
	root := flag.String("root", "", "folder holding Pulumi.yaml and the stack files (default: the one at or above the working directory)")
	dotBin := flag.String("dot", "", "Graphviz dot binary (default: .tools/bin/dot under the root, then dot on PATH)")
	flag.Parse()
	if err := run(*root, *out, *dotBin); err != nil {
		fmt.Fprintln(os.Stderr, "diagram:", err)
		os.Exit(1)
	}
}

func run(root, out, dotBin string) error {
	if root == "" {
		var err error
		if root, err = stackfile.WorkingRoot(); err != nil {
			return err
		}
	}
	// Find dot before writing anything, so a missing Graphviz leaves the
	// previous files untouched.
	dot, err := findDot(root, dotBin)
	if err != nil {
		return err
	}
	stacks, err := graph.LoadStacks(root)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, "diagrams")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	graphs := make([]*graph.Graph, 0, len(stacks))
	keep := map[string]bool{}
	for _, s := range stacks {
		graphs = append(graphs, s.Graph)
		src := []byte(graph.DOT(s.Graph))
		svg, err := render(dot, src)
		if err != nil {
			return fmt.Errorf("stack %s: %w", s.Name, err)
		}
		for name, data := range map[string][]byte{s.Name + ".dot": src, s.Name + ".svg": svg} {
			if err := writeFile(filepath.Join(dir, name), data); err != nil {
				return err
			}
			keep[name] = true
		}
	}
	if err := writeFile(filepath.Join(out, "architecture.md"), []byte(graph.Markdown(graphs))); err != nil {
		return err
	}
	// A stack whose file was removed must not leave its diagram behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if (ext == ".dot" || ext == ".svg") && !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(os.Stderr, "diagram: wrote %s and %d stack diagram(s) in %s\n", filepath.Join(out, "architecture.md"), len(stacks), dir)
	return nil
}

// findDot returns the Graphviz binary to use, or an error that says how to
// install it.
func findDot(root, explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if p := filepath.Join(root, ".tools", "bin", "dot"); isExecutable(p) {
		return p, nil
	}
	if p, err := exec.LookPath("dot"); err == nil {
		return p, nil
	}
	return "", errors.New("Graphviz `dot` not found in .tools/bin or on PATH: run `tools/install-tools.sh graphviz` (installs Debian's graphviz and links .tools/bin/dot)")
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// render runs `dot -Tsvg` on a DOT source.
func render(dot string, src []byte) ([]byte, error) {
	cmd := exec.Command(dot, "-Tsvg")
	cmd.Stdin = bytes.NewReader(src)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s -Tsvg: %w: %s", dot, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// writeFile replaces path atomically, so an interrupted run never leaves a
// half-written file for the freshness test to trip on.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
