package workloads_test

import (
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

func objects(res []Resource) []kubecheck.Object {
	var out []kubecheck.Object
	for _, r := range res {
		out = append(out, kubecheck.Object{Type: r.Type, Name: r.Name, Inputs: r.Inputs})
	}
	return out
}

// Every workload of the local stack passes RELIABILITY.md's workload list.
func TestLocalWorkloadReliability(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	kubecheck.AssertWorkloadReliability(t, objects(res), false)
}

// The same program with the prod tier (cluster-mode Nacos, ≥2 replicas
// everywhere) passes the production rules too.
func TestProdTierWorkloadReliability(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", merge(prodNacos(true), map[string]string{"ack-platform:tier": "prod"}))
	objs := objects(res)
	kubecheck.AssertWorkloadReliability(t, objs, true)
	for _, s := range kubecheck.OfKind(objs, "StatefulSet") {
		if n := kubecheck.Num(kubecheck.Plain(s.Inputs), "spec.replicas"); n != 3 {
			t.Errorf("%s: prod Nacos runs %v members, want 3 (cluster mode)", s.Name, n)
		}
	}
}
