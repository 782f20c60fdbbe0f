package workloads_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

const fakeKubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: https://127.0.0.1:6443\n"

// On a local cluster without kubelet nothing becomes ready, so every object
// carries pulumi.com/skipAwait unless the stack asks to await readiness.
func TestLocalClusterSkipsAwaitUnlessAsked(t *testing.T) {
	t.Parallel()
	annotated := func(res []Resource) (with, without int) {
		for _, r := range res {
			if !strings.HasPrefix(r.Type, "kubernetes:") || r.Type == "pulumi:providers:kubernetes" {
				continue
			}
			ann := kubecheck.StrMap(kubecheck.Plain(r.Inputs), "metadata.annotations")
			if ann["pulumi.com/skipAwait"] == "true" {
				with++
			} else {
				without++
			}
		}
		return with, without
	}

	res, _ := mustRun(t, "local", map[string]string{"secret:ack-platform:kubeconfig": fakeKubeconfig})
	with, without := annotated(res)
	require.NotZero(t, with)
	assert.Zero(t, without, "every object skips the readiness wait")

	res, _ = mustRun(t, "local", map[string]string{
		"secret:ack-platform:kubeconfig": fakeKubeconfig,
		"ack-platform:local":             `{"awaitReadiness": true}`,
	})
	with, _ = annotated(res)
	assert.Zero(t, with, "awaitReadiness keeps the provider's readiness checks")

	res, _ = mustRun(t, "local", nil)
	with, _ = annotated(res)
	assert.Zero(t, with, "rendered manifests carry no Pulumi annotation")
}
