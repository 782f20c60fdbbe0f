package platform_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

// The workloads of the cloud stacks pass the same reliability checklist as
// the local stack's, and every Kubernetes object goes through the cluster's
// provider built from the ACK credential.
func TestCloudStackWorkloads(t *testing.T) {
	t.Parallel()
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			res := harness.MustRun(t, stack, nil)
			var objs []kubecheck.Object
			for _, r := range res.Resources {
				if !strings.HasPrefix(r.Type, "kubernetes:") {
					continue
				}
				objs = append(objs, kubecheck.Object{Type: r.Type, Name: r.Name, Inputs: r.Inputs})
				assert.Contains(t, r.Provider, "pulumi:providers:kubernetes::"+stack+"-access-provider", "%s %s uses the cluster's provider", r.Type, r.Name)
			}
			require.NotEmpty(t, kubecheck.Workloads(objs))
			kubecheck.AssertWorkloadReliability(t, objs, stack == "prod")

			// The ingress controller's Service binds the program's CLB.
			var bound bool
			for _, o := range kubecheck.OfKind(objs, "Service") {
				ann := kubecheck.StrMap(kubecheck.Plain(o.Inputs), "metadata.annotations")
				if id, ok := ann["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id"]; ok {
					bound = true
					assert.Equal(t, "lb-"+stack+"-ingress-lb", id)
					assert.Equal(t, "true", ann["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-force-override-listeners"])
				}
			}
			assert.True(t, bound, "ingress-nginx Service names the SLB id")
		})
	}
}
