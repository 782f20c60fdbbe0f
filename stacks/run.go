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

// Build registers every resource of the stack: validated config, then the
// platform (or the local target), then the workloads. It returns the stack
// outputs instead of exporting them so tests can inspect them. Nothing is
// registered when the config is invalid.
func Build(ctx *pulumi.Context) (pulumi.Map, error) {
	cfg, err := config.Load(ctx)
	if err != nil {
		return nil, err
	}
	outputs := pulumi.Map{}
	var target WorkloadTarget
	switch cfg.Target {
	case config.TargetAlicloud:
		target, err = deployPlatform(ctx, cfg, outputs)
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
