package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// refresh and destroy run the program, so a workload stack fetches a fresh
// cluster credential instead of the expired one kept in its state.
func TestRefreshAndDestroyRunTheProgram(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(stackconfig.Root(t), "Makefile"))
	require.NoError(t, err)
	for _, cmd := range []string{"refresh", "destroy"} {
		recipe := regexp.MustCompile(`(?m)^` + cmd + `:.*\n((?:\t.*\n)+)`).FindStringSubmatch(string(data))
		if assert.NotNil(t, recipe, "make %s exists", cmd) {
			assert.Regexp(t, `pulumi `+cmd+` --run-program`, recipe[1])
		}
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
