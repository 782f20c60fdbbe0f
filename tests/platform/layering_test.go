package platform_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// Dependencies point one way, stacks -> components -> SDKs: a component
// takes its own argument struct and never reads the stack configuration,
// so each is reusable on its own.
func TestComponentsDoNotImportStacks(t *testing.T) {
	t.Parallel()
	root := stackconfig.Root(t)
	goList := func(args ...string) []string {
		cmd := exec.Command("go", append([]string{"list"}, args...)...)
		cmd.Dir = root
		out, err := cmd.Output()
		require.NoError(t, err, "go list %v", args)
		return strings.Fields(string(out))
	}
	pkgs := goList("./components/...")
	require.NotEmpty(t, pkgs)
	// One listing per component, so a failure names the importer.
	for _, pkg := range pkgs {
		for _, dep := range goList("-deps", "-f", "{{.ImportPath}}", pkg) {
			if strings.HasPrefix(dep, "github.com/ack-platform/ack-platform/stacks") {
				t.Errorf("%s depends on %s: components take their own args", pkg, dep)
			}
		}
	}
}
