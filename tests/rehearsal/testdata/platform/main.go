// A small platform on the alicloud SDK subset for rehearsals on the emulated
// provider: network, egress (NAT, EIP, SNAT), ingress CLB, a managed cluster
// and a node pool, all protected when rehearsal:protect is true (as prod is).
package main

import (
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/ecs"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/slb"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/vpc"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "rehearsal")
		protect := cfg.GetBool("protect")
		cidr := cfg.Get("vswitchCidr")
		if cidr == "" {
			cidr = "10.0.1.0/24"
		}
		billing := cfg.Get("clbBilling")
		if billing == "" {
			billing = "PayByCLCU"
		}
		zone := "cn-hangzhou-h"
		opts := []pulumi.ResourceOption{pulumi.Protect(protect)}
		name := ctx.Stack()

		vpcArgs := &vpc.NetworkArgs{VpcName: pulumi.String(name), CidrBlock: pulumi.String("10.0.0.0/16")}
		// Optional+Computed: the cloud picks the default resource group
		// when it is left unset.
		if rg := cfg.Get("resourceGroupId"); rg != "" {
			vpcArgs.ResourceGroupId = pulumi.String(rg)
		}
		network, err := vpc.NewNetwork(ctx, "vpc", vpcArgs, opts...)
		if err != nil {
			return err
		}
		vsw, err := vpc.NewSwitch(ctx, "nodes", &vpc.SwitchArgs{
			VpcId: network.ID(), CidrBlock: pulumi.String(cidr), ZoneId: pulumi.String(zone),
			VswitchName: pulumi.String(name + "-nodes"),
		}, opts...)
		if err != nil {
			return err
		}
		nat, err := vpc.NewNatGateway(ctx, "nat", &vpc.NatGatewayArgs{
			VpcId: network.ID(), VswitchId: vsw.ID(), NatType: pulumi.String("Enhanced"),
			NatGatewayName: pulumi.String(name), PaymentType: pulumi.String("PayAsYouGo"),
			DeletionProtection: pulumi.Bool(protect),
		}, opts...)
		if err != nil {
			return err
		}
		eip, err := ecs.NewEipAddress(ctx, "egress", &ecs.EipAddressArgs{
			AddressName: pulumi.String(name + "-egress"), Bandwidth: pulumi.String("100"),
			InternetChargeType: pulumi.String("PayByTraffic"), PaymentType: pulumi.String("PayAsYouGo"),
			DeletionProtection: pulumi.Bool(protect),
		}, opts...)
		if err != nil {
			return err
		}
		if _, err := ecs.NewEipAssociation(ctx, "egress", &ecs.EipAssociationArgs{
			AllocationId: eip.ID(), InstanceId: nat.ID(), InstanceType: pulumi.String("Nat"),
		}, opts...); err != nil {
			return err
		}
		if _, err := vpc.NewSnatEntry(ctx, "nodes", &vpc.SnatEntryArgs{
			SnatTableId: nat.SnatTableIds, SourceVswitchId: vsw.ID(), SnatIp: eip.IpAddress,
		}, opts...); err != nil {
			return err
		}
		clb, err := slb.NewApplicationLoadBalancer(ctx, "ingress", &slb.ApplicationLoadBalancerArgs{
			LoadBalancerName: pulumi.String(name + "-ingress"), AddressType: pulumi.String("internet"),
			PaymentType: pulumi.String("PayAsYouGo"), InstanceChargeType: pulumi.String(billing),
		}, opts...)
		if err != nil {
			return err
		}
		cluster, err := cs.NewManagedKubernetes(ctx, "ack", &cs.ManagedKubernetesArgs{
			Name: pulumi.String(name), ClusterSpec: pulumi.String("ack.pro.small"),
			VswitchIds: pulumi.StringArray{vsw.ID()}, PodVswitchIds: pulumi.StringArray{vsw.ID()},
			NewNatGateway: pulumi.Bool(false), ServiceCidr: pulumi.String("172.16.0.0/16"),
			DeletionProtection: pulumi.Bool(protect), EnableRrsa: pulumi.Bool(true),
		}, opts...)
		if err != nil {
			return err
		}
		if _, err := cs.NewNodePool(ctx, "default", &cs.NodePoolArgs{
			ClusterId: cluster.ID(), NodePoolName: pulumi.String("default"),
			VswitchIds: pulumi.StringArray{vsw.ID()}, InstanceTypes: pulumi.StringArray{pulumi.String("ecs.g7.xlarge")},
			DesiredSize: pulumi.String("2"), SystemDiskCategory: pulumi.String("cloud_essd"),
		}, opts...); err != nil {
			return err
		}
		ctx.Export("clusterId", cluster.ID())
		ctx.Export("vpcId", network.ID())
		ctx.Export("egressIp", eip.IpAddress)
		ctx.Export("slbId", clb.ID())
		ctx.Export("region", pulumi.String("cn-hangzhou"))
		return nil
	})
}
