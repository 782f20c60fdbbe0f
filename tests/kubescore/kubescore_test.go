// Package kubescore renders the local stack with the real Pulumi engine
// (tools/render.sh: `pulumi up --stack local` on a file backend, the
// Kubernetes provider rendering YAML) and requires kube-score v1.20.0 to
// report no CRITICAL on the manifests. Missing tools fail the test: run
// `tools/install-tools.sh` (make tools) first.
package kubescore

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

func TestKubeScoreNoCritical(t *testing.T) {
	root := stackconfig.Root(t)
	bin := filepath.Join(root, ".tools", "bin")
	for _, tool := range []string{"pulumi", "pulumi-language-go", "pulumi-resource-kubernetes", "kube-score"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			t.Fatalf("%s is not installed in .tools/bin: run tools/install-tools.sh (%v)", tool, err)
		}
	}
	rendered := filepath.Join(root, "rendered", "local")
	if err := os.RemoveAll(rendered); err != nil {
		t.Fatal(err)
	}
	render := exec.Command(filepath.Join(root, "tools", "render.sh"), t.TempDir())
	render.Dir = root
	if out, err := render.CombinedOutput(); err != nil {
		t.Fatalf("tools/render.sh: %v\n%s", err, out)
	}

	var files []string
	_ = filepath.WalkDir(rendered, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 50 {
		t.Fatalf("only %d manifests rendered under %s", len(files), rendered)
	}

	args := []string{"score", "--output-format", "ci"}
	for _, check := range ignored(t, filepath.Join(root, ".kube-score-ignore")) {
		args = append(args, "--ignore-test", check)
	}
	out, _ := exec.Command(filepath.Join(bin, "kube-score"), append(args, files...)...).CombinedOutput()
	critical := 0
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "[CRITICAL]") {
			critical++
			t.Error(line)
		}
	}
	if critical == 0 && !strings.Contains(string(out), "[OK]") {
		t.Fatalf("kube-score printed no result:\n%s", out)
	}
}

// ignored reads the check names of .kube-score-ignore: one a line, each
// followed by `# reason`; a line without a reason is an error.
func ignored(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		check, reason, _ := strings.Cut(line, "#")
		if strings.TrimSpace(reason) == "" {
			t.Fatalf("%s: %q has no reason", path, line)
		}
		out = append(out, strings.TrimSpace(check))
	}
	return out
}
