// Package network provides the VPC a cluster lives in: one node vSwitch and
// one Terway pod vSwitch per zone, an enhanced NAT gateway with an EIP and
// SNAT entries so nodes and pods reach the internet without public IPs.
// The nodes' security group is not here: ACK creates it with the cluster,
// with the rules the cluster needs.
package network

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/ecs"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NetworkArgs configures a Network. CIDRs are validated by stacks/config
// before a Network is created; NewNetwork checks only the shape it relies on.
type NetworkArgs struct {
	// Name is the name given to the cloud resources (VPC, vSwitches, ...).
	Name string
	// Zones, in order; NodeVswitchCidrs and PodVswitchCidrs index into it.
	Zones []string
	// VpcCidr is the VPC's block.
	VpcCidr string
	// NodeVswitchCidrs holds one node block per zone.
	NodeVswitchCidrs []string
	// PodVswitchCidrs holds one Terway pod block per zone; empty for Flannel.
	PodVswitchCidrs []string
	// NatBandwidth is the EIP bandwidth in Mbit/s.
	NatBandwidth int
	// Tags go onto every resource.
	Tags map[string]string
	// Protect marks the VPC, vSwitches, NAT gateway, EIP, its binding and
	// the SNAT entries (each vSwitch's egress) with Pulumi `protect` so no
	// plan can delete them, and turns on the
	// cloud's deletion protection of the NAT gateway and the EIP: the EIP
	// is the egress address partners allow-list, and a new one would differ.
	Protect bool
}

// Network is the component. Its outputs are what the cluster and node pools need.
type Network struct {
	pulumi.ResourceState

	// VpcID is the VPC.
	VpcID pulumi.StringOutput `pulumi:"vpcId"`
	// NodeVswitchIDs are the node vSwitches, in zone order.
	NodeVswitchIDs pulumi.StringArrayOutput `pulumi:"nodeVswitchIds"`
	// PodVswitchIDs are the Terway pod vSwitches, in zone order.
	PodVswitchIDs pulumi.StringArrayOutput `pulumi:"podVswitchIds"`
	// EgressIP is the public address nodes and pods reach the internet from;
	// third parties allow-list it.
	EgressIP pulumi.StringOutput `pulumi:"egressIp"`
}

// NewNetwork creates the VPC and everything inside it.
func NewNetwork(ctx *pulumi.Context, name string, args *NetworkArgs, opts ...pulumi.ResourceOption) (*Network, error) {
	if err := args.check(); err != nil {
		return nil, fmt.Errorf("network %s: %w", name, err)
	}
	comp := &Network{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Network", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	protect := pulumi.Protect(args.Protect)
	tags := pulumi.ToStringMap(args.Tags)

	network, err := vpc.NewNetwork(ctx, name+"-vpc", &vpc.NetworkArgs{
		VpcName:     pulumi.String(args.Name),
		CidrBlock:   pulumi.String(args.VpcCidr),
		Description: pulumi.String("ACK cluster network, managed by ack-platform"),
		Tags:        tags,
	}, parent, protect)
	if err != nil {
		return nil, err
	}

	// Each vSwitch gets a SNAT entry, named after it.
	type zoned struct {
		name string
		sw   *vpc.Switch
	}
	var all []zoned
	vswitches := func(role string, cidrs []string) ([]*vpc.Switch, error) {
		out := make([]*vpc.Switch, 0, len(cidrs))
		for i, cidr := range cidrs {
			zone := args.Zones[i]
			child := fmt.Sprintf("%s-%s-%s", name, role, zone)
			sw, err := vpc.NewSwitch(ctx, child, &vpc.SwitchArgs{
				VpcId:       network.ID(),
				CidrBlock:   pulumi.String(cidr),
				ZoneId:      pulumi.String(zone),
				VswitchName: pulumi.String(fmt.Sprintf("%s-%s-%s", args.Name, role, zone)),
				Description: pulumi.String(role + " vSwitch, managed by ack-platform"),
				Tags:        tags,
			}, parent, protect)
			if err != nil {
				return nil, err
			}
			out = append(out, sw)
			all = append(all, zoned{child, sw})
		}
		return out, nil
	}
	nodeSwitches, err := vswitches("node", args.NodeVswitchCidrs)
	if err != nil {
		return nil, err
	}
	podSwitches, err := vswitches("pod", args.PodVswitchCidrs)
	if err != nil {
		return nil, err
	}

	// One enhanced NAT gateway serves every zone: SNAT entries are per
	// vSwitch, so only the NAT's own zone is a single point of egress.
	nat, err := vpc.NewNatGateway(ctx, name+"-nat", &vpc.NatGatewayArgs{
		VpcId:              network.ID(),
		VswitchId:          nodeSwitches[0].ID(),
		NatGatewayName:     pulumi.String(args.Name),
		NatType:            pulumi.String("Enhanced"),
		NetworkType:        pulumi.String("internet"),
		PaymentType:        pulumi.String("PayAsYouGo"),
		DeletionProtection: pulumi.Bool(args.Protect),
		Description:        pulumi.String("egress for nodes and pods, managed by ack-platform"),
		Tags:               tags,
	}, parent, protect)
	if err != nil {
		return nil, err
	}
	eip, err := ecs.NewEipAddress(ctx, name+"-eip", &ecs.EipAddressArgs{
		AddressName:        pulumi.String(args.Name + "-egress"),
		Bandwidth:          pulumi.String(fmt.Sprint(args.NatBandwidth)),
		InternetChargeType: pulumi.String("PayByTraffic"),
		PaymentType:        pulumi.String("PayAsYouGo"),
		Isp:                pulumi.String("BGP"),
		DeletionProtection: pulumi.Bool(args.Protect),
		Description:        pulumi.String("NAT egress, managed by ack-platform"),
		Tags:               tags,
	}, parent, protect)
	if err != nil {
		return nil, err
	}
	assoc, err := ecs.NewEipAssociation(ctx, name+"-eip-nat", &ecs.EipAssociationArgs{
		AllocationId: eip.ID(),
		InstanceId:   nat.ID(),
		InstanceType: pulumi.String("Nat"),
	}, parent, protect)
	if err != nil {
		return nil, err
	}
	// An SNAT entry is refused until the EIP is bound to the gateway.
	afterAssoc := pulumi.DependsOn([]pulumi.Resource{assoc})
	for _, z := range all {
		if _, err := vpc.NewSnatEntry(ctx, z.name+"-snat", &vpc.SnatEntryArgs{
			SnatTableId:     nat.SnatTableIds,
			SourceVswitchId: z.sw.ID(),
			SnatIp:          eip.IpAddress,
			SnatEntryName:   pulumi.String(strings.TrimPrefix(z.name, name+"-")),
		}, parent, afterAssoc, protect); err != nil {
			return nil, err
		}
	}

	comp.VpcID = network.ID().ToStringOutput()
	comp.NodeVswitchIDs = ids(nodeSwitches)
	comp.PodVswitchIDs = ids(podSwitches)
	comp.EgressIP = eip.IpAddress
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"vpcId":          comp.VpcID,
		"nodeVswitchIds": comp.NodeVswitchIDs,
		"podVswitchIds":  comp.PodVswitchIDs,
		"egressIp":       comp.EgressIP,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func (a *NetworkArgs) check() error {
	switch {
	case a == nil:
		return errors.New("args are required")
	case len(a.Zones) == 0:
		return errors.New("at least one zone is required")
	case len(a.NodeVswitchCidrs) != len(a.Zones):
		return fmt.Errorf("%d node vSwitch CIDRs for %d zones", len(a.NodeVswitchCidrs), len(a.Zones))
	case len(a.PodVswitchCidrs) != 0 && len(a.PodVswitchCidrs) != len(a.Zones):
		return fmt.Errorf("%d pod vSwitch CIDRs for %d zones", len(a.PodVswitchCidrs), len(a.Zones))
	}
	return nil
}

func ids(switches []*vpc.Switch) pulumi.StringArrayOutput {
	arr := make(pulumi.StringArray, len(switches))
	for i, sw := range switches {
		arr[i] = sw.ID().ToStringOutput()
	}
	return arr.ToStringArrayOutput()
}
