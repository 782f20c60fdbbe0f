// Package toolbin checks, before an end-to-end test package starts, that the
// tools it runs are there: the binaries `make tools` installs into the
// repository's .tools/bin and the host commands the scripts call. A package
// that lacks one fails with "run make tools"; it never skips.
package toolbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Engine are the tools every test of the real engine against a local
// cluster runs, from .tools/bin.
var Engine = []string{
	"pulumi", "pulumi-language-go", "pulumi-resource-kubernetes",
	"kubectl", "etcd", "kube-apiserver", "kube-controller-manager",
}

// Host are the commands tools/cluster.sh and the engine need on PATH.
var Host = []string{"go", "bash", "curl", "openssl"}

// Check returns the .tools/bin directory of the repository at root, or an
// error naming every tool missing from it (tools) or from PATH (Host).
func Check(root string, tools []string) (string, error) {
	bin := filepath.Join(root, ".tools", "bin")
	var missing []string
	for _, name := range tools {
		if fi, err := os.Stat(filepath.Join(bin, name)); err != nil || fi.Mode()&0o111 == 0 {
			missing = append(missing, name)
		}
	}
	for _, name := range Host {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name+" (on PATH)")
		}
	}
	if len(missing) > 0 {
		return bin, fmt.Errorf("missing %s in %s: run `make tools` (tools/install-tools.sh)", strings.Join(missing, ", "), bin)
	}
	return bin, nil
}
