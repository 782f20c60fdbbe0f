package stacks

import (
	"path/filepath"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// localTarget builds the Kubernetes provider of the local target, which
// creates no Alibaba Cloud resource: with the secret key
// ack-platform:kubeconfig set, workloads go to that cluster; without it,
// the provider renders every object as YAML under cfg.Local.RenderDir
// (default rendered/<stack>), for review and for linters such as kube-score.
func localTarget(ctx *pulumi.Context, cfg *config.Config) (WorkloadTarget, error) {
	args := &kubernetes.ProviderArgs{
		// Server-side apply: field ownership is tracked by the API server,
		// so another controller's fields are never clobbered.
		EnableServerSideApply: pulumi.Bool(true),
		// Never fall back to the ambient ~/.kube/config or $KUBECONFIG:
		// the local stack must not touch whatever cluster a shell points at.
		Kubeconfig: pulumi.String(`{"apiVersion":"v1","kind":"Config","clusters":[],"contexts":[],"users":[]}`),
	}
	if cfg.Local.HasKubeconfig {
		args.Kubeconfig = cfg.Local.Kubeconfig
	} else {
		dir := cfg.Local.RenderDir
		if !filepath.IsAbs(dir) {
			// Relative to the project directory, where `pulumi up` runs the program.
			dir = filepath.Join(ctx.RootDirectory(), dir)
		}
		args.RenderYamlToDirectory = pulumi.String(dir)
		// Rendering talks to no API server: server-side apply needs one.
		args.EnableServerSideApply = pulumi.Bool(false)
	}
	p, err := kubernetes.NewProvider(ctx, "local", args)
	if err != nil {
		return WorkloadTarget{}, err
	}
	return WorkloadTarget{Provider: p, RegistryEndpoint: pulumi.String(cfg.Registry.Endpoint)}, nil
}
