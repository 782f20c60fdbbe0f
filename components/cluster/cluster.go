// Package cluster provides the ACK managed cluster and the add-ons that may
// change after creation.
package cluster

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// ClusterArgs configures a Cluster.
type ClusterArgs struct {
	// Name is the cluster's name in ACK.
	Name string
	// Config is the validated cluster section of the stack config.
	Config config.Cluster
	// VswitchIDs are the node vSwitches; the control plane's ENIs go there too.
	VswitchIDs pulumi.StringArrayInput
	// PodVswitchIDs are Terway's pod vSwitches (ignored for Flannel).
	PodVswitchIDs pulumi.StringArrayInput
	// SecurityGroupID is the nodes' security group.
	SecurityGroupID pulumi.StringInput
	// Tags go onto the cluster.
	Tags map[string]string
	// Protect marks the cluster with Pulumi `protect`.
	Protect bool
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState

	// ClusterID is the ACK cluster id.
	ClusterID pulumi.StringOutput `pulumi:"clusterId"`
	// APIServerEndpoint is the API server address reachable from the VPC.
	APIServerEndpoint pulumi.StringOutput `pulumi:"apiServerEndpoint"`
	// RrsaOIDCIssuer is the OIDC issuer of RRSA, for RAM role trust policies.
	RrsaOIDCIssuer pulumi.StringOutput `pulumi:"rrsaOidcIssuer"`
}

// deleteOptions keep, when the cluster is deleted, what outlives it: the
// ingress CLB belongs to this program, not to the cluster, and the logs are
// evidence.
var deleteOptions = cs.ManagedKubernetesDeleteOptionArray{
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLB"), DeleteMode: pulumi.String("retain")},
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLS_Data"), DeleteMode: pulumi.String("retain")},
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLS_ControlPlane"), DeleteMode: pulumi.String("retain")},
}

// NewCluster creates the managed cluster and its managed add-ons.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil || args.Name == "" || args.VswitchIDs == nil || args.SecurityGroupID == nil {
		return nil, fmt.Errorf("cluster %s: %w", name, errors.New("Name, VswitchIDs and SecurityGroupID are required"))
	}
	comp := &Cluster{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Cluster", name, comp, opts...); err != nil {
		return nil, err
	}
	c := args.Config

	mk := &cs.ManagedKubernetesArgs{
		Name:        pulumi.String(args.Name),
		ClusterSpec: pulumi.String(c.Spec),
		Version:     pulumi.String(c.Version),
		VswitchIds:  args.VswitchIDs,
		ServiceCidr: pulumi.String(c.ServiceCidr),
		ProxyMode:   pulumi.String(c.ProxyMode),
		// The network component already provides NAT egress.
		NewNatGateway:   pulumi.Bool(false),
		SecurityGroupId: args.SecurityGroupID,
		// The API server stays private: CI and people reach it from inside
		// the VPC (a runner there, VPN, or Cloud Shell).
		SlbInternetEnabled: pulumi.Bool(false),
		DeletionProtection: pulumi.Bool(*c.DeletionProtection),
		EnableRrsa:         pulumi.Bool(*c.Rrsa),
		Timezone:           pulumi.String("Asia/Shanghai"),
		// The CNI is chosen at creation and never changes, so it belongs in
		// the create-only addons block; everything else is a KubernetesAddon.
		Addons: cs.ManagedKubernetesAddonArray{cs.ManagedKubernetesAddonArgs{Name: pulumi.String(c.Cni)}},
		MaintenanceWindow: cs.ManagedKubernetesMaintenanceWindowArgs{
			Enable:          pulumi.Bool(true),
			WeeklyPeriod:    pulumi.String(c.MaintenanceWindow.WeeklyPeriod),
			MaintenanceTime: pulumi.String(c.MaintenanceWindow.StartTime),
			Duration:        pulumi.String(c.MaintenanceWindow.Duration),
		},
		ControlPlaneLogComponents: pulumi.ToStringArray(c.ControlPlaneLogs),
		ControlPlaneLogTtl:        pulumi.String(fmt.Sprint(c.LogRetentionDays)),
		AuditLogConfig:            cs.ManagedKubernetesAuditLogConfigArgs{Enabled: pulumi.Bool(*c.AuditLog)},
		DeleteOptions:             deleteOptions,
		Tags:                      pulumi.ToStringMap(args.Tags),
	}
	switch c.Cni {
	case config.CniTerway:
		mk.PodVswitchIds = args.PodVswitchIDs
	case config.CniFlannel:
		mk.PodCidr = pulumi.String(c.PodCidr)
		mk.NodeCidrMask = pulumi.Int(c.NodeCidrMask)
	}
	if c.KmsKeyID != "" {
		mk.EncryptionProviderKey = pulumi.String(c.KmsKeyID)
	}
	cluster, err := cs.NewManagedKubernetes(ctx, name, mk, pulumi.Parent(comp), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}

	for _, a := range c.Addons {
		addon := &cs.KubernetesAddonArgs{ClusterId: cluster.ID(), Name: pulumi.String(a.Name)}
		if a.Version != "" {
			addon.Version = pulumi.String(a.Version)
		}
		if a.Config != "" {
			addon.Config = pulumi.String(a.Config)
		}
		if _, err := cs.NewKubernetesAddon(ctx, name+"-"+a.Name, addon, pulumi.Parent(comp)); err != nil {
			return nil, err
		}
	}

	comp.ClusterID = cluster.ID().ToStringOutput()
	comp.APIServerEndpoint = cluster.Connections.ApiServerIntranet().Elem()
	comp.RrsaOIDCIssuer = cluster.RrsaMetadata.RrsaOidcIssuerUrl().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterId":         comp.ClusterID,
		"apiServerEndpoint": comp.APIServerEndpoint,
		"rrsaOidcIssuer":    comp.RrsaOIDCIssuer,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
