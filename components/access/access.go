// Package access turns a cluster id into what the workload layer talks to the
// cluster with: a short-lived kubeconfig, kept secret, and a Kubernetes
// provider built from it.
package access

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// DefaultCredentialMinutes bounds the kubeconfig's lifetime: long enough for
// the slowest `pulumi up` (node pools take ~10 minutes), short enough that a
// leaked state snapshot is soon useless.
const DefaultCredentialMinutes = 120

// AccessArgs configures an Access.
type AccessArgs struct {
	// ClusterID is the ACK cluster.
	ClusterID pulumi.StringInput
	// CredentialMinutes is the kubeconfig lifetime, 15-4320 (ACK's bounds).
	// Default DefaultCredentialMinutes.
	CredentialMinutes int
}

// Access is the component.
type Access struct {
	pulumi.ResourceState

	// Kubeconfig is a temporary admin kubeconfig, always a secret.
	Kubeconfig pulumi.StringOutput `pulumi:"kubeconfig"`
	// Provider talks to the cluster with that kubeconfig.
	Provider *kubernetes.Provider
}

// NewAccess fetches the kubeconfig and builds the provider.
func NewAccess(ctx *pulumi.Context, name string, args *AccessArgs, opts ...pulumi.ResourceOption) (*Access, error) {
	if args == nil || args.ClusterID == nil {
		return nil, fmt.Errorf("access %s: %w", name, errors.New("ClusterID is required"))
	}
	minutes := args.CredentialMinutes
	if minutes == 0 {
		minutes = DefaultCredentialMinutes
	}
	if minutes < 15 || minutes > 4320 {
		return nil, fmt.Errorf("access %s: credential lifetime %d minutes is outside ACK's 15-4320", name, minutes)
	}
	comp := &Access{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Access", name, comp, opts...); err != nil {
		return nil, err
	}

	// The output form of the invoke waits for the cluster id, so preview
	// works before the cluster exists and the credential is fetched fresh on
	// every run instead of living in state past its expiry.
	cred := cs.GetClusterCredentialOutput(ctx, cs.GetClusterCredentialOutputArgs{
		ClusterId:                args.ClusterID,
		TemporaryDurationMinutes: pulumi.Int(minutes),
	}, pulumi.Parent(comp))
	comp.Kubeconfig = pulumi.ToSecret(cred.KubeConfig()).(pulumi.StringOutput)

	// A fresh credential changes the provider's kubeconfig on every run.
	// Pinning clusterIdentifier to the ACK cluster id tells the Kubernetes
	// provider that it is still the same cluster, so it is updated in place
	// rather than replaced together with every resource it manages.
	provider, err := kubernetes.NewProvider(ctx, name+"-provider", &kubernetes.ProviderArgs{
		Kubeconfig:        comp.Kubeconfig,
		ClusterIdentifier: args.ClusterID.ToStringOutput(),
		// Server-side apply lets controllers (HPA, ACK add-ons) own their
		// fields without fighting the program.
		EnableServerSideApply: pulumi.Bool(true),
	}, pulumi.Parent(comp))
	if err != nil {
		return nil, err
	}
	comp.Provider = provider

	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"kubeconfig": comp.Kubeconfig}); err != nil {
		return nil, err
	}
	return comp, nil
}
