// Package nodepool provides an ACK managed node pool spread over the
// cluster's zones.
package nodepool

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NodePoolArgs configures a NodePool. Values are validated by the caller.
type NodePoolArgs struct {
	// ClusterID is the cluster the pool joins.
	ClusterID pulumi.StringInput
	// VswitchIDs are the node vSwitches, one per zone; the pool balances
	// nodes across them.
	VswitchIDs pulumi.StringArrayInput
	// SecurityGroupID is the cluster's security group (the one ACK created).
	SecurityGroupID pulumi.StringInput
	// Name is the pool name in ACK.
	Name string
	// InstanceTypes is a fallback list: ACK takes the first with stock.
	InstanceTypes []string
	// SystemDiskCategories is a fallback list; SystemDiskSize is in GiB.
	SystemDiskCategories []string
	SystemDiskSize       int
	// Autoscaling bounds the pool; nil for a fixed DesiredSize.
	Autoscaling *Autoscaling
	DesiredSize int
	// Labels and Taints go onto every node of the pool.
	Labels map[string]string
	Taints []Taint
	// Spot runs the pool on preemptible instances.
	Spot bool
	// UpgradeParallelism is how many nodes an upgrade replaces at once;
	// MaxUnavailable how many an upgrade or repair may take down.
	UpgradeParallelism int
	MaxUnavailable     int
	// Tags go onto the pool's instances.
	Tags map[string]string
	// Protect marks the pool with Pulumi `protect`: deleting it drains and
	// releases every node.
	Protect bool
}

// Autoscaling bounds a pool that the cluster autoscaler sizes.
type Autoscaling struct{ Min, Max int }

// Taint is a node taint.
type Taint struct{ Key, Value, Effect string }

// NodePool is the component.
type NodePool struct {
	pulumi.ResourceState

	// NodePoolID is ACK's node pool id; it resolves once the pool exists.
	NodePoolID pulumi.StringOutput `pulumi:"nodePoolId"`
}

// NewNodePool creates one managed node pool.
func NewNodePool(ctx *pulumi.Context, name string, args *NodePoolArgs, opts ...pulumi.ResourceOption) (*NodePool, error) {
	if args == nil || args.ClusterID == nil || args.VswitchIDs == nil || args.SecurityGroupID == nil || args.Name == "" {
		return nil, fmt.Errorf("node pool %s: %w", name, errors.New("Name, ClusterID, VswitchIDs and SecurityGroupID are required"))
	}
	comp := &NodePool{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:NodePool", name, comp, opts...); err != nil {
		return nil, err
	}

	np := &cs.NodePoolArgs{
		ClusterId:            args.ClusterID,
		NodePoolName:         pulumi.String(args.Name),
		VswitchIds:           args.VswitchIDs,
		SecurityGroupIds:     pulumi.StringArray{args.SecurityGroupID},
		InstanceTypes:        pulumi.ToStringArray(args.InstanceTypes),
		SystemDiskCategories: pulumi.ToStringArray(args.SystemDiskCategories),
		SystemDiskSize:       pulumi.Int(args.SystemDiskSize),
		// Spread nodes evenly over the zones instead of filling the cheapest.
		MultiAzPolicy:       pulumi.String("BALANCE"),
		ImageType:           pulumi.String("AliyunLinux3"),
		InstanceChargeType:  pulumi.String("PostPaid"),
		InstallCloudMonitor: pulumi.Bool(true),
		// Managed mode: ACK repairs broken nodes, patches CVEs and upgrades
		// kubelet inside the maintenance window. management.surge is
		// deprecated; the batch size is the rolling policy's.
		Management: cs.NodePoolManagementArgs{
			Enable:         pulumi.Bool(true),
			AutoRepair:     pulumi.Bool(true),
			AutoUpgrade:    pulumi.Bool(true),
			AutoVulFix:     pulumi.Bool(true),
			MaxUnavailable: pulumi.Int(args.MaxUnavailable),
		},
		RollingPolicy: cs.NodePoolRollingPolicyArgs{MaxParallelism: pulumi.Int(args.UpgradeParallelism)},
		Labels:        labels(args.Labels),
		Taints:        taints(args.Taints),
		Tags:          pulumi.ToStringMap(args.Tags),
	}
	if args.Spot {
		// Bid at the market price. Spot remedy (a replacement before a
		// reclaimed instance goes) applies only with the COST_OPTIMIZED
		// multi-zone policy, which also falls back to pay-as-you-go when no
		// spot stock is left.
		np.SpotStrategy = pulumi.String("SpotAsPriceGo")
		np.MultiAzPolicy = pulumi.String("COST_OPTIMIZED")
		np.SpotInstanceRemedy = pulumi.Bool(true)
		np.CompensateWithOnDemand = pulumi.Bool(true)
	}
	childOpts := []pulumi.ResourceOption{pulumi.Parent(comp), pulumi.Protect(args.Protect)}
	if a := args.Autoscaling; a != nil {
		np.ScalingConfig = cs.NodePoolScalingConfigArgs{
			Enable:  pulumi.Bool(true),
			MinSize: pulumi.Int(a.Min),
			MaxSize: pulumi.Int(a.Max),
		}
		// The autoscaler owns the node count; a desired size read back from
		// the cloud must not show up as drift.
		childOpts = append(childOpts, pulumi.IgnoreChanges([]string{"desiredSize"}))
	} else {
		// The provider models the size as a string.
		np.DesiredSize = pulumi.String(strconv.Itoa(args.DesiredSize))
	}

	pool, err := cs.NewNodePool(ctx, name, np, childOpts...)
	if err != nil {
		return nil, err
	}
	comp.NodePoolID = pool.NodePoolId
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"nodePoolId": comp.NodePoolID}); err != nil {
		return nil, err
	}
	return comp, nil
}

func labels(m map[string]string) cs.NodePoolLabelArray {
	var out cs.NodePoolLabelArray
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, cs.NodePoolLabelArgs{Key: pulumi.String(k), Value: pulumi.String(m[k])})
	}
	return out
}

func taints(ts []Taint) cs.NodePoolTaintArray {
	var out cs.NodePoolTaintArray
	for _, t := range ts {
		out = append(out, cs.NodePoolTaintArgs{Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(t.Effect)})
	}
	return out
}
