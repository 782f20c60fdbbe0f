// Package cluster provides the ACK managed cluster, the add-ons that may
// change after creation, and the cluster-level autoscaler configuration
// that node pool autoscaling needs.
package cluster

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// CNI plugins ACK offers at creation.
const (
	CniTerway  = "terway-eniip"
	CniFlannel = "flannel"
)

// ClusterArgs configures a Cluster. Values are validated by the caller;
// NewCluster checks only what it relies on.
type ClusterArgs struct {
	// Name is the cluster's name in ACK.
	Name string
	// Spec is the control-plane edition, ack.pro.small or ack.standard.
	Spec string
	// Version is the pinned ACK version, e.g. 1.33.1-aliyun.1.
	Version string
	// Cni is CniTerway or CniFlannel; chosen at creation, never changed.
	Cni string
	// ServiceCidr holds Service cluster IPs.
	ServiceCidr string
	// PodCidr and NodeCidrMask are Flannel's pod block and per-node size.
	PodCidr      string
	NodeCidrMask int
	// ProxyMode is ipvs or iptables.
	ProxyMode string
	// DeletionProtection refuses deletion in the console and API.
	DeletionProtection bool
	// Rrsa turns on RAM Roles for Service Accounts.
	Rrsa bool
	// MaintenanceWindow is when ACK may upgrade managed components.
	MaintenanceWindow MaintenanceWindow
	// ControlPlaneLogs go to SLS for LogRetentionDays days.
	ControlPlaneLogs []string
	LogRetentionDays int
	// AuditLog sends API audit logs to SLS.
	AuditLog bool
	// KmsKeyID encrypts Secrets at rest with this KMS key; empty: off.
	KmsKeyID string
	// Addons are installed after creation, each a cs.KubernetesAddon.
	Addons []Addon
	// Autoscaling turns on node autoscaling at cluster level; node pool
	// scaling configs take effect only then.
	Autoscaling bool
	// VswitchIDs are the node vSwitches; the control plane's ENIs go there too.
	VswitchIDs pulumi.StringArrayInput
	// PodVswitchIDs are Terway's pod vSwitches (ignored for Flannel).
	PodVswitchIDs pulumi.StringArrayInput
	// Tags go onto the cluster.
	Tags map[string]string
	// Protect marks the cluster, its add-ons and its autoscaler config
	// with Pulumi `protect`: a destroy deletes what is unprotected before
	// it meets a protected resource, and a cluster without its CSI plugin
	// or credential helper loses its disks and image pulls.
	Protect bool
}

// MaintenanceWindow is ACK's weekly window for managed upgrades.
type MaintenanceWindow struct {
	WeeklyPeriod string
	StartTime    string
	Duration     string
}

// Addon is one ACK component managed as cs.KubernetesAddon.
type Addon struct {
	Name    string
	Version string
	// Config is the add-on's JSON configuration; nil for the default.
	Config pulumi.StringInput
}

// Cluster is the component.
type Cluster struct {
	pulumi.ResourceState

	// ClusterID is the ACK cluster id.
	ClusterID pulumi.StringOutput `pulumi:"clusterId"`
	// APIServerEndpoint is the API server address reachable from the VPC.
	APIServerEndpoint pulumi.StringOutput `pulumi:"apiServerEndpoint"`
	// SecurityGroupID is the security group ACK created for the cluster,
	// with the rules it needs; node pools join it.
	SecurityGroupID pulumi.StringOutput `pulumi:"securityGroupId"`
	// RrsaOIDCIssuer is the OIDC issuer of RRSA, for RAM role trust policies.
	RrsaOIDCIssuer pulumi.StringOutput `pulumi:"rrsaOidcIssuer"`
	// RrsaProviderArn is the RAM OIDC provider RAM roles trust.
	RrsaProviderArn pulumi.StringOutput `pulumi:"rrsaProviderArn"`
	// AddonIDs are the installed add-ons by name; waiting on them waits
	// for the add-ons.
	AddonIDs map[string]pulumi.IDOutput
	// Autoscaler is the cluster-level autoscaler config, nil when off.
	// Autoscaling node pools are created after it.
	Autoscaler pulumi.Resource
}

// deleteOptions keep, when the cluster is deleted, what outlives it: the
// ingress CLB belongs to this program, not to the cluster, and the logs are
// evidence.
var deleteOptions = cs.ManagedKubernetesDeleteOptionArray{
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLB"), DeleteMode: pulumi.String("retain")},
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLS_Data"), DeleteMode: pulumi.String("retain")},
	cs.ManagedKubernetesDeleteOptionArgs{ResourceType: pulumi.String("SLS_ControlPlane"), DeleteMode: pulumi.String("retain")},
}

// NewCluster creates the managed cluster, its add-ons and, when asked, the
// cluster autoscaler configuration.
func NewCluster(ctx *pulumi.Context, name string, args *ClusterArgs, opts ...pulumi.ResourceOption) (*Cluster, error) {
	if args == nil || args.Name == "" || args.VswitchIDs == nil {
		return nil, fmt.Errorf("cluster %s: %w", name, errors.New("Name and VswitchIDs are required"))
	}
	if args.Cni != CniTerway && args.Cni != CniFlannel {
		return nil, fmt.Errorf("cluster %s: CNI %q is not %s or %s", name, args.Cni, CniTerway, CniFlannel)
	}
	comp := &Cluster{AddonIDs: map[string]pulumi.IDOutput{}}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Cluster", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	mk := &cs.ManagedKubernetesArgs{
		Name:        pulumi.String(args.Name),
		ClusterSpec: pulumi.String(args.Spec),
		Version:     pulumi.String(args.Version),
		VswitchIds:  args.VswitchIDs,
		ServiceCidr: pulumi.String(args.ServiceCidr),
		ProxyMode:   pulumi.String(args.ProxyMode),
		// The network component already provides NAT egress.
		NewNatGateway: pulumi.Bool(false),
		// No securityGroupId: ACK then creates the cluster's security group
		// with the rules nodes, pods, the control plane and load balancers
		// need. A group passed in gets no rules at all.
		//
		// The API server stays private: CI and people reach it from inside
		// the VPC (a runner there, VPN, or Cloud Shell).
		SlbInternetEnabled: pulumi.Bool(false),
		DeletionProtection: pulumi.Bool(args.DeletionProtection),
		EnableRrsa:         pulumi.Bool(args.Rrsa),
		Timezone:           pulumi.String("Asia/Shanghai"),
		// The CNI is chosen at creation and never changes, so it belongs in
		// the create-only addons block; everything else is a KubernetesAddon.
		Addons: cs.ManagedKubernetesAddonArray{cs.ManagedKubernetesAddonArgs{Name: pulumi.String(args.Cni)}},
		MaintenanceWindow: cs.ManagedKubernetesMaintenanceWindowArgs{
			Enable:          pulumi.Bool(true),
			WeeklyPeriod:    pulumi.String(args.MaintenanceWindow.WeeklyPeriod),
			MaintenanceTime: pulumi.String(args.MaintenanceWindow.StartTime),
			Duration:        pulumi.String(args.MaintenanceWindow.Duration),
		},
		ControlPlaneLogComponents: pulumi.ToStringArray(args.ControlPlaneLogs),
		ControlPlaneLogTtl:        pulumi.String(fmt.Sprint(args.LogRetentionDays)),
		AuditLogConfig:            cs.ManagedKubernetesAuditLogConfigArgs{Enabled: pulumi.Bool(args.AuditLog)},
		DeleteOptions:             deleteOptions,
		Tags:                      pulumi.ToStringMap(args.Tags),
	}
	switch args.Cni {
	case CniTerway:
		mk.PodVswitchIds = args.PodVswitchIDs
	case CniFlannel:
		mk.PodCidr = pulumi.String(args.PodCidr)
		mk.NodeCidrMask = pulumi.Int(args.NodeCidrMask)
	}
	if args.KmsKeyID != "" {
		// The provider ignores the key unless encryption is explicitly on.
		mk.EncryptionProviderKey = pulumi.String(args.KmsKeyID)
		mk.DisableEncryption = pulumi.Bool(false)
	}
	protect := pulumi.Protect(args.Protect)
	cluster, err := cs.NewManagedKubernetes(ctx, name, mk, parent, protect)
	if err != nil {
		return nil, err
	}

	for _, a := range args.Addons {
		addon := &cs.KubernetesAddonArgs{ClusterId: cluster.ID(), Name: pulumi.String(a.Name)}
		if a.Version != "" {
			addon.Version = pulumi.String(a.Version)
		}
		if a.Config != nil {
			addon.Config = a.Config
		}
		res, err := cs.NewKubernetesAddon(ctx, name+"-"+a.Name, addon, parent, protect)
		if err != nil {
			return nil, err
		}
		comp.AddonIDs[a.Name] = res.ID()
	}

	if args.Autoscaling {
		// Pool scaling configs do nothing until the cluster runs an
		// autoscaler. scaleUpFromZero lets a min-0 pool get its first node.
		as, err := cs.NewAutoscalingConfig(ctx, name+"-autoscaler", &cs.AutoscalingConfigArgs{
			ClusterId:        cluster.ID(),
			ScalerType:       pulumi.String("cluster-autoscaler"),
			Expander:         pulumi.String("least-waste"),
			ScaleUpFromZero:  pulumi.Bool(true),
			ScaleDownEnabled: pulumi.Bool(true),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		comp.Autoscaler = as
	}

	comp.ClusterID = cluster.ID().ToStringOutput()
	comp.APIServerEndpoint = cluster.Connections.ApiServerIntranet().Elem()
	comp.SecurityGroupID = cluster.SecurityGroupId
	comp.RrsaOIDCIssuer = cluster.RrsaMetadata.RrsaOidcIssuerUrl().Elem()
	comp.RrsaProviderArn = cluster.RrsaMetadata.RamOidcProviderArn().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"clusterId":         comp.ClusterID,
		"apiServerEndpoint": comp.APIServerEndpoint,
		"securityGroupId":   comp.SecurityGroupID,
		"rrsaOidcIssuer":    comp.RrsaOIDCIssuer,
		"rrsaProviderArn":   comp.RrsaProviderArn,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
