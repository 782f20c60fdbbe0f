// One Deployment on the cluster of a rehearsal platform stack, read through
// a StackReference and reached with the project's access component (the
// credential invoke, a fresh kubeconfig on every run).
package main

import (
	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ack-platform/ack-platform/components/access"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "rehearsal")
		platform, err := pulumi.NewStackReference(ctx, "platform", &pulumi.StackReferenceArgs{
			Name: pulumi.String(cfg.Require("platformStack")),
		})
		if err != nil {
			return err
		}
		acc, err := access.NewAccess(ctx, "cluster", &access.AccessArgs{
			ClusterID: platform.GetStringOutput(pulumi.String("clusterId")),
		})
		if err != nil {
			return err
		}
		k8s := pulumi.Provider(acc.Provider)
		env := ctx.Stack()
		ns, err := corev1.NewNamespace(ctx, env, &corev1.NamespaceArgs{
			Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("rehearsal-" + env)},
		}, k8s)
		if err != nil {
			return err
		}
		labels := pulumi.StringMap{"app": pulumi.String("orders")}
		if _, err := appsv1.NewDeployment(ctx, "orders", &appsv1.DeploymentArgs{
			Metadata: &metav1.ObjectMetaArgs{
				Name: pulumi.String("orders"), Namespace: ns.Metadata.Name(),
				// The local control plane may have no node to run the pod.
				Annotations: pulumi.StringMap{"pulumi.com/skipAwait": pulumi.String("true")},
			},
			Spec: &appsv1.DeploymentSpecArgs{
				Replicas: pulumi.Int(1),
				Selector: &metav1.LabelSelectorArgs{MatchLabels: labels},
				Template: &corev1.PodTemplateSpecArgs{
					Metadata: &metav1.ObjectMetaArgs{Labels: labels},
					Spec: &corev1.PodSpecArgs{Containers: corev1.ContainerArray{&corev1.ContainerArgs{
						Name: pulumi.String("orders"), Image: pulumi.String("registry.local/orders:" + cfg.Require("version")),
					}}},
				},
			},
		}, k8s); err != nil {
			return err
		}
		ctx.Export("namespace", ns.Metadata.Name())
		return nil
	})
}
