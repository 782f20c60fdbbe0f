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

	"github.com/ack-platform/ack-platform/stacks/config"
)

// NodePoolArgs configures a NodePool.
type NodePoolArgs struct {
	// ClusterID is the cluster the pool joins.
	ClusterID pulumi.StringInput
	// VswitchIDs are the node vSwitches, one per zone; the pool balances
	// nodes across them.
	VswitchIDs pulumi.StringArrayInput
	// SecurityGroupID is the nodes' security group.
	SecurityGroupID pulumi.StringInput
	// Pool is the validated node pool section of the stack config.
	Pool config.NodePool
	// Tags go onto the pool's instances.
	Tags map[string]string
}

// NodePool is the component.
type NodePool struct {
	pulumi.ResourceState

	// NodePoolID is ACK's node pool id.
	NodePoolID pulumi.StringOutput `pulumi:"nodePoolId"`
}

// NewNodePool creates one managed node pool.
func NewNodePool(ctx *pulumi.Context, name string, args *NodePoolArgs, opts ...pulumi.ResourceOption) (*NodePool, error) {
	if args == nil || args.ClusterID == nil || args.VswitchIDs == nil {
		return nil, fmt.Errorf("node pool %s: %w", name, errors.New("ClusterID and VswitchIDs are required"))
	}
	comp := &NodePool{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:NodePool", name, comp, opts...); err != nil {
		return nil, err
	}
	p := args.Pool

	np := &cs.NodePoolArgs{
		ClusterId:            args.ClusterID,
		NodePoolName:         pulumi.String(p.Name),
		VswitchIds:           args.VswitchIDs,
		SecurityGroupIds:     pulumi.StringArray{args.SecurityGroupID},
		InstanceTypes:        pulumi.ToStringArray(p.InstanceTypes),
		SystemDiskCategories: pulumi.ToStringArray(p.SystemDiskCategories),
		SystemDiskSize:       pulumi.Int(p.SystemDiskSize),
		// Spread nodes evenly over the zones instead of filling the cheapest.
		MultiAzPolicy:       pulumi.String("BALANCE"),
		ImageType:           pulumi.String("AliyunLinux3"),
		InstanceChargeType:  pulumi.String("PostPaid"),
		InstallCloudMonitor: pulumi.Bool(true),
		// Managed mode: ACK repairs broken nodes, patches CVEs and upgrades
		// kubelet in bounded batches inside the maintenance window.
		Management: cs.NodePoolManagementArgs{
			Enable:         pulumi.Bool(true),
			AutoRepair:     pulumi.Bool(true),
			AutoUpgrade:    pulumi.Bool(true),
			AutoVulFix:     pulumi.Bool(true),
			Surge:          pulumi.Int(p.Surge),
			MaxUnavailable: pulumi.Int(p.MaxUnavailable),
		},
		Labels: labels(p.Labels),
		Taints: taints(p.Taints),
		Tags:   pulumi.ToStringMap(args.Tags),
	}
	if p.Spot {
		// Bid at the market price; ACK replaces reclaimed instances.
		np.SpotStrategy = pulumi.String("SpotAsPriceGo")
	}
	childOpts := []pulumi.ResourceOption{pulumi.Parent(comp)}
	if a := p.Autoscaling; a != nil {
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
		np.DesiredSize = pulumi.String(strconv.Itoa(*p.DesiredSize))
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

func taints(ts []config.Taint) cs.NodePoolTaintArray {
	var out cs.NodePoolTaintArray
	for _, t := range ts {
		out = append(out, cs.NodePoolTaintArgs{Key: pulumi.String(t.Key), Value: pulumi.String(t.Value), Effect: pulumi.String(t.Effect)})
	}
	return out
}
