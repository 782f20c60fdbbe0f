package workloads_test

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

type mapReader struct {
	cfg     map[string]string
	secrets []string
}

func (r mapReader) Get(k string) string  { return r.cfg[config.Namespace+":"+k] }
func (r mapReader) Secret(k string) bool { return slices.Contains(r.secrets, config.Namespace+":"+k) }

// The dev and prod workload config validates, given the secrets the stack
// files name.
func TestCloudStackWorkloadConfig(t *testing.T) {
	t.Parallel()
	for stack := range stackconfig.OperatorSecrets {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			cfg, keys := stackconfig.Load(t, stack, stackconfig.WithOperatorSecrets(stack, nil))
			c, err := config.Parse("ack-platform", stack, cfg["alicloud:region"], mapReader{cfg, keys})
			require.NoError(t, err)
			if stack == "prod" {
				require.Equal(t, 3, c.Workloads.Nacos.Replicas)
				for _, s := range c.Workloads.Environments["prod"].Services {
					require.GreaterOrEqual(t, s.MinReplicas(), 2, s.Name)
				}
			}
		})
	}
}
