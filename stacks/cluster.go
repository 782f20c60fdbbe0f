package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/access"
	"github.com/ack-platform/ack-platform/stacks/config"
	stackout "github.com/ack-platform/ack-platform/stacks/outputs"
)

// clusterTarget is the cluster of a workload stack on the alicloud target:
// found through a StackReference to its platform stack, reached with a
// credential fetched fresh on every run (components/access).
func clusterTarget(ctx *pulumi.Context, cfg *config.Config) (WorkloadTarget, error) {
	ref, err := platformReference(ctx, cfg)
	if err != nil {
		return WorkloadTarget{}, err
	}
	// clusterReady, not clusterId: it resolves only once the platform's
	// node pools exist, so nothing is deployed to a cluster without nodes.
	args := &access.AccessArgs{ClusterID: required(ref, cfg, stackout.ClusterReady)}
	if cfg.ClusterEndpoint == config.EndpointPrivate {
		args.Server = required(ref, cfg, stackout.APIServerEndpoint)
	}
	acc, err := access.NewAccess(ctx, cfg.Stack+"-access", args)
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("cluster access: %w", err)
	}
	return WorkloadTarget{
		Provider:         acc.Provider,
		LoadBalancerID:   required(ref, cfg, stackout.SlbID),
		RegistryEndpoint: required(ref, cfg, stackout.RegistryVpcEndpoint),
	}, nil
}

// platformReference reads the outputs of the stack's platform stack.
func platformReference(ctx *pulumi.Context, cfg *config.Config) (*pulumi.StackReference, error) {
	ref, err := pulumi.NewStackReference(ctx, "platform", &pulumi.StackReferenceArgs{
		Name: pulumi.String(cfg.PlatformStack),
	})
	if err != nil {
		return nil, fmt.Errorf("platform stack %s (ack-platform:platformStack): %w", cfg.PlatformStack, err)
	}
	return ref, nil
}

// required is a string output of the platform stack; a missing or empty one
// fails the run naming the output and the config key that chose the stack,
// instead of deploying with an empty cluster id or registry host.
func required(ref *pulumi.StackReference, cfg *config.Config, name string) pulumi.StringOutput {
	return ref.GetOutput(pulumi.String(name)).ApplyT(func(v any) (string, error) {
		s, ok := v.(string)
		if !ok || s == "" {
			return "", fmt.Errorf("platform stack %s (ack-platform:platformStack) has no output %s: run `pulumi up` on the platform stack first", cfg.PlatformStack, name)
		}
		return s, nil
	}).(pulumi.StringOutput)
}
