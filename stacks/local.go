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
)

// RenderDirEnv names the environment variable that redirects rendering to
// another folder without editing the stack file: tools/render.sh renders into
// a staging folder and swaps it in whole only once the engine succeeded.
const RenderDirEnv = "ACK_RENDER_DIR"

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
	}
	if cfg.Local.HasKubeconfig {
		args.Kubeconfig = cfg.Local.Kubeconfig
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
	return WorkloadTarget{Provider: p, RegistryEndpoint: pulumi.String(cfg.Registry.Endpoint)}, nil
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
