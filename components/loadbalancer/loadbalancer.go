// Package loadbalancer provides the internet-facing CLB in front of
// ingress-nginx. The program owns it (not the cloud controller manager), so
// its address survives re-installing the controller or rebuilding the
// cluster, and DNS records never change.
package loadbalancer

import (
	"fmt"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/slb"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Billing of a new CLB: pay-as-you-go by capacity unit, internet traffic
// by volume. Pay-by-specification (and pay-by-bandwidth, which exists only
// with it) can no longer be bought: from June 2025 on the international
// site, from January 2026 in China.
const (
	InstanceChargeType = "PayByCLCU"
	InternetChargeType = "PayByTraffic"
)

// LoadBalancerArgs configures a LoadBalancer.
type LoadBalancerArgs struct {
	// Name is the CLB's name.
	Name string
	// Production turns on deletion protection and console modification
	// protection (the cloud controller manager still manages listeners
	// through the API).
	Production bool
	// Tags go onto the CLB.
	Tags map[string]string
	// Protect marks the CLB with Pulumi `protect`.
	Protect bool
}

// LoadBalancer is the component.
type LoadBalancer struct {
	pulumi.ResourceState

	// LoadBalancerID is what ingress-nginx's Service names in its
	// service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id annotation.
	LoadBalancerID pulumi.StringOutput `pulumi:"loadBalancerId"`
	// Address is the public IP DNS records point at.
	Address pulumi.StringOutput `pulumi:"address"`
}

// NewLoadBalancer creates the CLB.
func NewLoadBalancer(ctx *pulumi.Context, name string, args *LoadBalancerArgs, opts ...pulumi.ResourceOption) (*LoadBalancer, error) {
	if args == nil || args.Name == "" {
		return nil, fmt.Errorf("load balancer %s: Name is required", name)
	}
	comp := &LoadBalancer{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:LoadBalancer", name, comp, opts...); err != nil {
		return nil, err
	}
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	lbArgs := &slb.ApplicationLoadBalancerArgs{
		LoadBalancerName:   pulumi.String(args.Name),
		AddressType:        pulumi.String("internet"),
		AddressIpVersion:   pulumi.String("ipv4"),
		PaymentType:        pulumi.String("PayAsYouGo"),
		InstanceChargeType: pulumi.String(InstanceChargeType),
		InternetChargeType: pulumi.String(InternetChargeType),
		// No spec and no bandwidth: a pay-by-CLCU instance has neither.
		DeleteProtection: pulumi.String(onOff(args.Production)),
		Tags:             pulumi.ToStringMap(args.Tags),
	}
	if args.Production {
		lbArgs.ModificationProtectionStatus = pulumi.String("ConsoleProtection")
		lbArgs.ModificationProtectionReason = pulumi.String("managed by ack-platform")
	}
	lb, err := slb.NewApplicationLoadBalancer(ctx, name, lbArgs, pulumi.Parent(comp), pulumi.Protect(args.Protect))
	if err != nil {
		return nil, err
	}
	comp.LoadBalancerID = lb.ID().ToStringOutput()
	comp.Address = lb.Address
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"loadBalancerId": comp.LoadBalancerID,
		"address":        comp.Address,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
