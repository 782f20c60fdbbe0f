package platform_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

// The workloads of the cloud workload stacks pass the same reliability checklist as
// the local stack's, and every Kubernetes object goes through the cluster's
// provider built from the ACK credential.
func TestCloudStackWorkloads(t *testing.T) {
	t.Parallel()
	// The CLB is named after the platform's resource name (ack-platform:name).
	platformOf := map[string]string{"dev": "dev", "test": "dev", "staging": "dev", "prod": "prod"}
	for stack, platform := range platformOf {
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
					assert.Equal(t, "lb-"+platform+"-ingress-lb", id, "the platform stack's slbId output")
					assert.Equal(t, "true", ann["service.beta.kubernetes.io/alibaba-cloud-loadbalancer-force-override-listeners"])
				}
			}
			// One workload stack per cluster runs the ingress controller
			// (dev, prod); the others only create Ingress objects.
			assert.Equal(t, stack == "dev" || stack == "prod", bound, "ingress-nginx Service names the SLB id")
		})
	}
}
