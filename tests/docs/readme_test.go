package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// commandLine matches a command a reader types: make targets, pulumi and
// go invocations, and the project's scripts.
var commandLine = regexp.MustCompile("(?m)(make [a-z-]+|pulumi [a-z]+(?: [a-z-]+)?|GOPROXY=\\S+ make [a-z]+|tools/[a-z-]+\\.sh)")

func commands(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(stackconfig.Root(t), name))
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, m := range commandLine.FindAllString(string(data), -1) {
		seen[m] = true
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// The English and Chinese READMEs describe the same commands, so neither
// audience follows stale instructions.
func TestReadmesDescribeTheSameCommands(t *testing.T) {
	t.Parallel()
	en, zh := commands(t, "README.md"), commands(t, "README.zh-CN.md")
	require.NotEmpty(t, en)
	assert.Equal(t, en, zh)
}

// Every make target the README names exists in the Makefile.
func TestReadmeTargetsExist(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(stackconfig.Root(t), "Makefile"))
	require.NoError(t, err)
	for _, c := range commands(t, "README.md") {
		if target, ok := strings.CutPrefix(c, "make "); ok {
			assert.Regexp(t, "(?m)^"+regexp.QuoteMeta(target)+":", string(data), "README names `make %s`", target)
		}
	}
}
