// Package toolchain checks the tool installer the way a newcomer meets it:
// `make render` then `make test` run it twice, each time with .tools/bin
// first on PATH (the Makefile exports it).
package toolchain

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// TestInstallTwiceLinksResolve runs tools/install-tools.sh twice into a
// scratch bin folder placed first on PATH, as make does, and requires every
// link to resolve to an executable file outside that folder. A second run
// once turned the etcd and dot links into links to themselves, because
// `command -v` found the first run's link.
func TestInstallTwiceLinksResolve(t *testing.T) {
	root := stackconfig.Root(t)
	bin := t.TempDir()
	for run := 1; run <= 2; run++ {
		cmd := exec.Command(filepath.Join(root, "tools", "install-tools.sh"))
		cmd.Dir = root
		cmd.Env = append(os.Environ(),
			"ACK_TOOLS_BIN="+bin,
			"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("run %d of tools/install-tools.sh: %v\n%s", run, err, out)
		}
	}
	entries, err := os.ReadDir(bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 8 {
		t.Fatalf("only %d tools linked in %s", len(entries), bin)
	}
	for _, e := range entries {
		link := filepath.Join(bin, e.Name())
		target, err := filepath.EvalSymlinks(link)
		if err != nil {
			t.Errorf("%s: does not resolve: %v", e.Name(), err)
			continue
		}
		if strings.HasPrefix(target, bin+string(os.PathSeparator)) {
			t.Errorf("%s resolves inside the bin folder itself: %s", e.Name(), target)
			continue
		}
		info, err := os.Stat(target)
		if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
			t.Errorf("%s -> %s is not an executable file", e.Name(), target)
		}
	}
}
