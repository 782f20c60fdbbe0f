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
	"go.yaml.in/yaml/v3"
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
	// Server, when set, replaces the API server address of the returned
	// kubeconfig. The provider's getClusterCredential asks
	// DescribeClusterUserKubeconfig with PrivateIpAddress=false, the
	// credential "for connecting over the Internet"; a runner inside the
	// VPC reaches the cluster's private endpoint instead (docs/stacks.md).
	Server pulumi.StringInput
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
	kubeconfig := cred.KubeConfig()
	if args.Server != nil {
		kubeconfig = pulumi.All(kubeconfig, args.Server).ApplyT(func(v []any) (string, error) {
			return withServer(v[0].(string), v[1].(string))
		}).(pulumi.StringOutput)
	}
	comp.Kubeconfig = pulumi.ToSecret(kubeconfig).(pulumi.StringOutput)

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

// withServer points every cluster of a kubeconfig at server, keeping its
// CA and user credentials.
func withServer(kubeconfig, server string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(kubeconfig), &doc); err != nil {
		// The parser's message may quote the document: never echo a credential.
		return "", errors.New("the cluster credential is not a kubeconfig")
	}
	clusters, _ := doc["clusters"].([]any)
	if len(clusters) == 0 {
		return "", errors.New("the cluster credential names no cluster")
	}
	for _, c := range clusters {
		entry, _ := c.(map[string]any)
		cluster, _ := entry["cluster"].(map[string]any)
		if cluster == nil {
			return "", errors.New("the cluster credential has a cluster entry without settings")
		}
		cluster["server"] = server
	}
	out, err := yaml.Marshal(doc)
	return string(out), err
}
