package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// Run is the program: it builds the stack and exports its outputs.
func Run(ctx *pulumi.Context) error {
	outputs, err := Build(ctx)
	if err != nil {
		return err
	}
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return nil
}

// Build registers every resource of the stack: validated config, then
// either the platform layer (a platform stack) or the cluster access and
// the workloads (a workload stack). It returns the stack outputs instead of
// exporting them so tests can inspect them. Nothing is registered when the
// config is invalid.
func Build(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	if cfg.Layer == config.LayerPlatform {
		switch cfg.Target {
		case config.TargetAlicloud:
			err = deployPlatform(ctx, cfg, outputs)
		case config.TargetLocal:
			err = localPlatform(ctx, cfg, outputs)
		}
		return outputs, err
	}
	var target WorkloadTarget
	switch cfg.Target {
	case config.TargetAlicloud:
		target, err = clusterTarget(ctx, cfg)
	case config.TargetLocal:
		target, err = localTarget(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := deployWorkloads(ctx, cfg, target, outputs); err != nil {
		return nil, err
	}
	return outputs, nil
}
