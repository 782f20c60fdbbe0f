package docs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
	"github.com/ack-platform/ack-platform/tools/configdoc/reference"
)

// The configuration reference is generated from the config types; this
// fails when someone changes a type or its doc comment without `make docs`.
func TestConfigReferenceIsFresh(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	want, err := reference.Generate(filepath.Join(root, "stacks", "config"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, "docs", "config.md"))
	require.NoError(t, err, "docs/config.md is missing: run `make docs`")
	assert.Equal(t, string(want), string(got), "docs/config.md is stale: run `make docs`")
}
