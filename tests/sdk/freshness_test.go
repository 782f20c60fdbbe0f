package sdk_test

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestFreshness regenerates the SDK from sdks/alicloud/schema.json with
// tools/sdkgen into a temporary directory and fails, listing the files, if
// the committed code under sdks/alicloud/go differs.
func TestFreshness(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the generator (go run); skipped with -short")
	}
	root := repoRoot(t)
	out := t.TempDir()
	cmd := exec.Command("go", "run", ".", "-schema", filepath.Join(sdkDir(t), "schema.json"), "-out", out)
	cmd.Dir = filepath.Join(root, "tools", "sdkgen")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tools/sdkgen: %v\n%s", err, b)
	}
	want := readTree(t, filepath.Join(out, "go"))
	got := readTree(t, filepath.Join(sdkDir(t), "go"))
	var diffs []string
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			diffs = append(diffs, "missing:  "+name)
		case !bytes.Equal(g, w):
			diffs = append(diffs, "differs:  "+name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, "stale:    "+name)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		t.Fatalf("sdks/alicloud/go is not what schema.json generates (run `make sdk`):\n  %s", strings.Join(diffs, "\n  "))
	}
	if len(want) == 0 {
		t.Fatal("the generator wrote no files")
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
