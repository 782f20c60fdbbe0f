package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// Run is the program: validated config, then the platform (or the local
// target), then the workloads. Nothing is registered when the config is
// invalid.
func Run(ctx *pulumi.Context) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	var target WorkloadTarget
	switch cfg.Target {
	case config.TargetAlicloud:
		target, err = deployPlatform(ctx, cfg)
	case config.TargetLocal:
		target, err = localTarget(ctx, cfg)
	}
	if err != nil {
		return err
	}
	return deployWorkloads(ctx, cfg, target)
}
