package kubescore

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// TestRenderAfterRemoval runs the README's main command the way a newcomer
// does: render, remove the folder (or `git clean`), render again. The second
// render must write the same files with the same content, and a stale file
// left in the folder must be gone: the folder always holds exactly the
// current config's manifests. Rendering once kept its state between runs, so
// a removed folder stayed missing ("161 unchanged").
func TestRenderAfterRemoval(t *testing.T) {
	root := stackconfig.Root(t)
	rendered := filepath.Join(root, "rendered", "local")
	state := t.TempDir() // one backend for both runs, as .pulumi-state is for make render

	render(t, root, state)
	first := digest(t, rendered)
	if len(first) < 50 {
		t.Fatalf("first render wrote only %d files", len(first))
	}

	if err := os.RemoveAll(rendered); err != nil {
		t.Fatal(err)
	}
	render(t, root, state)
	second := digest(t, rendered)
	compare(t, "after removal", first, second)

	stale := filepath.Join(rendered, "stale.yaml")
	if err := os.WriteFile(stale, []byte("kind: Stale\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	render(t, root, state)
	compare(t, "after a stale file", first, digest(t, rendered))
}

func render(t *testing.T, root, state string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(root, "tools", "render.sh"), state)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tools/render.sh: %v\n%s", err, out)
	}
}

// digest maps every file under dir (relative path) to its SHA-256.
func digest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	return out
}

func compare(t *testing.T, when string, want, got map[string]string) {
	t.Helper()
	for f, h := range want {
		switch g, ok := got[f]; {
		case !ok:
			t.Errorf("%s: %s missing", when, f)
		case g != h:
			t.Errorf("%s: %s differs", when, f)
		}
	}
	for f := range got {
		if _, ok := want[f]; !ok {
			t.Errorf("%s: unexpected %s", when, f)
		}
	}
}
