package stacks

import (
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
	stackout "github.com/ack-platform/ack-platform/stacks/outputs"
)

// RenderDirEnv names the environment variable that redirects rendering to
// another folder without editing the stack file: tools/render.sh renders into
// a staging folder and swaps it in whole only once the engine succeeded.
const RenderDirEnv = "ACK_RENDER_DIR"

// localTarget builds the Kubernetes provider of the local target, which
// creates no Alibaba Cloud resource. Workloads go to the cluster of a
// kubeconfig: the secret key ack-platform:kubeconfig, or the kubeconfig
// output of the platform stand-in named by ack-platform:platformStack.
// Without either, the provider renders every object as YAML under
// cfg.Local.RenderDir (default rendered/<stack>), for review and for
// linters such as kube-score.
func localTarget(ctx *pulumi.Context, cfg *config.Config) (WorkloadTarget, error) {
	args := &kubernetes.ProviderArgs{
		// Server-side apply: field ownership is tracked by the API server,
		// so another controller's fields are never clobbered.
		EnableServerSideApply: pulumi.Bool(true),
	}
	target := WorkloadTarget{RegistryEndpoint: pulumi.String(cfg.Registry.Endpoint)}
	kubeconfig, applying := cfg.Local.Kubeconfig, cfg.Local.HasKubeconfig
	if cfg.PlatformStack != "" {
		ref, err := platformReference(ctx, cfg)
		if err != nil {
			return WorkloadTarget{}, err
		}
		kubeconfig = pulumi.ToSecret(required(ref, cfg, stackout.Kubeconfig)).(pulumi.StringOutput)
		target.RegistryEndpoint = required(ref, cfg, stackout.RegistryVpcEndpoint)
		applying = true
	}
	if applying {
		args.Kubeconfig = kubeconfig
		args.ClusterIdentifier = clusterIdentifier(cfg, kubeconfig, cfg.PlatformStack != "")
		if !cfg.Local.AwaitReadiness {
			if err := ctx.RegisterStackTransformation(skipAwait); err != nil {
				return WorkloadTarget{}, err
			}
		}
	} else {
		// The provider refuses a kubeconfig together with
		// renderYamlToDirectory; rendering never contacts a cluster, so the
		// ambient ~/.kube/config is not read either.
		dir := cfg.Local.RenderDir
		if staging := os.Getenv(RenderDirEnv); staging != "" {
			dir = staging
		}
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
	target.Provider = p
	return target, nil
}

// clusterIdentifier tells the Kubernetes provider which cluster a kubeconfig
// reaches, so that a renewed credential (new token or certificate, same
// cluster) updates the provider in place instead of replacing it with
// every object it manages: ack-platform:local.clusterIdentifier, else the
// kubeconfig's server URL (not a secret, so it is unwrapped for the diff).
func clusterIdentifier(cfg *config.Config, kubeconfig pulumi.StringOutput, referenced bool) pulumi.StringInput {
	switch {
	case cfg.Local.ClusterIdentifier != "":
		return pulumi.String(cfg.Local.ClusterIdentifier)
	case referenced:
		return pulumi.Unsecret(kubeconfig.ApplyT(config.KubeconfigServer)).(pulumi.StringOutput)
	default:
		return pulumi.String(cfg.Local.Server)
	}
}

// localPlatform is a platform stack on the local target: it creates
// nothing and stands in for a platform stack, so workload stacks on the
// local target find their cluster through a StackReference exactly as the
// cloud ones do. It exports the kubeconfig of ack-platform:kubeconfig (a
// secret), its server as the API endpoint and cluster id, and the
// registry; it exports no VPC, load balancer or RRSA ids, which a local
// cluster does not have.
func localPlatform(ctx *pulumi.Context, cfg *config.Config, outputs pulumi.Map) error {
	kubeconfig := cfg.Local.Kubeconfig
	server := pulumi.String(cfg.Local.Server)
	id := pulumi.StringInput(server)
	if cfg.Local.ClusterIdentifier != "" {
		id = pulumi.String(cfg.Local.ClusterIdentifier)
	}
	outputs[stackout.Kubeconfig] = pulumi.ToSecret(kubeconfig)
	outputs[stackout.ClusterID] = id
	outputs[stackout.ClusterReady] = id
	outputs[stackout.APIServerEndpoint] = server
	outputs[stackout.Region] = pulumi.String("local")
	outputs[stackout.RegistryEndpoint] = pulumi.String(cfg.Registry.Endpoint)
	outputs[stackout.RegistryVpcEndpoint] = pulumi.String(cfg.Registry.Endpoint)
	return nil
}

// skipAwait annotates every Kubernetes object with pulumi.com/skipAwait, so
// the provider stores it without waiting for readiness that a cluster
// without kubelet never reports. Every Kubernetes Args type has a Metadata
// field, reached by reflection so no kind is forgotten.
func skipAwait(args *pulumi.ResourceTransformationArgs) *pulumi.ResourceTransformationResult {
	if !strings.HasPrefix(args.Type, "kubernetes:") || args.Props == nil {
		return nil
	}
	v := reflect.ValueOf(args.Props)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	field := v.Elem().FieldByName("Metadata")
	if !field.IsValid() || !field.CanSet() {
		return nil
	}
	meta, _ := field.Interface().(*metav1.ObjectMetaArgs)
	if meta == nil {
		meta = &metav1.ObjectMetaArgs{}
	}
	annotated := *meta
	switch a := meta.Annotations.(type) {
	case nil:
		annotated.Annotations = pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")}
	case pulumi.StringMap:
		m := maps.Clone(a)
		m["pulumi.com/skipAwait"] = pulumi.String("true")
		annotated.Annotations = m
	default:
		annotated.Annotations = a.ToStringMapOutput().ApplyT(func(m map[string]string) map[string]string {
			m = maps.Clone(m)
			if m == nil {
				m = map[string]string{}
			}
			m["pulumi.com/skipAwait"] = "true"
			return m
		}).(pulumi.StringMapOutput)
	}
	field.Set(reflect.ValueOf(&annotated))
	return &pulumi.ResourceTransformationResult{Props: args.Props, Opts: args.Opts}
}
