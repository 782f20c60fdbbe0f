package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// refresh and destroy run the program, so a workload stack fetches a fresh
// cluster credential instead of the expired one kept in its state: the make
// targets go through tools/engine.sh, run here with a stand-in pulumi that
// prints the arguments it was given.
func TestRefreshAndDestroyRunTheProgram(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	data, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	fake := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(fake, "pulumi"), []byte("#!/bin/sh\necho \"pulumi $*\"\n"), 0o755))
	for _, cmd := range []string{"refresh", "destroy"} {
		recipe := regexp.MustCompile(`(?m)^` + cmd + `:.*\n((?:\t.*\n)+)`).FindStringSubmatch(string(data))
		if assert.NotNil(t, recipe, "make %s exists", cmd) {
			assert.Regexp(t, `tools/engine.sh \$\(STACK\) `+cmd, recipe[1])
		}
		engine := exec.Command(filepath.Join(root, "tools", "engine.sh"), "dev", cmd)
		engine.Env = append(os.Environ(), "PATH="+fake+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := engine.Output()
		require.NoError(t, err, "tools/engine.sh dev %s", cmd)
		assert.Contains(t, string(out), "pulumi "+cmd+" --stack dev --run-program", "a workload stack's %s runs the program", cmd)
	}
}

// The stack guide and both READMEs name every stack of the repository.
func TestDocsNameEveryStack(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	stacks, err := stackfile.Stacks(root)
	require.NoError(t, err)
	for _, doc := range []string{"docs/stacks.md", "docs/stacks.zh-CN.md", "README.md", "README.zh-CN.md"} {
		data, err := os.ReadFile(filepath.Join(root, doc))
		require.NoError(t, err)
		for _, s := range stacks {
			assert.Contains(t, string(data), "`"+s+"`", "%s names the stack %s", doc, s)
		}
	}
}
