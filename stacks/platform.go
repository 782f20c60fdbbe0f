package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/access"
	"github.com/ack-platform/ack-platform/components/cluster"
	"github.com/ack-platform/ack-platform/components/loadbalancer"
	"github.com/ack-platform/ack-platform/components/network"
	"github.com/ack-platform/ack-platform/components/nodepool"
	"github.com/ack-platform/ack-platform/components/registry"
	"github.com/ack-platform/ack-platform/stacks/config"
)

// deployPlatform builds the Alibaba Cloud layer and cluster access, adds to
// outputs what operators and other stacks need, and hands the workload layer
// its provider, load balancer and registry.
func deployPlatform(ctx *pulumi.Context, cfg *config.Config, outputs pulumi.Map) (WorkloadTarget, error) {
	p := cfg.Platform
	prod := cfg.Tier == config.TierProd
	// Cloud names carry project and stack so two stacks in one account
	// never collide; logical names only need the stack.
	cloudName := cfg.Project + "-" + cfg.Stack
	name := cfg.Stack
	tags := map[string]string{"project": cfg.Project, "stack": cfg.Stack, "managed-by": "pulumi"}
	for k, v := range p.Tags {
		tags[k] = v
	}

	net, err := network.NewNetwork(ctx, name+"-network", &network.NetworkArgs{
		Name:             cloudName,
		Zones:            p.Zones,
		VpcCidr:          p.Network.VpcCidr,
		NodeVswitchCidrs: p.Network.NodeVswitchCidrs,
		PodVswitchCidrs:  podVswitchCidrs(p),
		NatBandwidth:     p.Network.NatBandwidth,
		Tags:             tags,
		Protect:          prod,
	})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("network: %w", err)
	}

	k8s, err := cluster.NewCluster(ctx, name+"-cluster", &cluster.ClusterArgs{
		Name:            cloudName,
		Config:          p.Cluster,
		VswitchIDs:      net.NodeVswitchIDs,
		PodVswitchIDs:   net.PodVswitchIDs,
		SecurityGroupID: net.SecurityGroupID,
		Tags:            tags,
		Protect:         prod,
	})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("cluster: %w", err)
	}

	for _, pool := range p.NodePools {
		if _, err := nodepool.NewNodePool(ctx, name+"-pool-"+pool.Name, &nodepool.NodePoolArgs{
			ClusterID:       k8s.ClusterID,
			VswitchIDs:      net.NodeVswitchIDs,
			SecurityGroupID: net.SecurityGroupID,
			Pool:            pool,
			Tags:            tags,
		}, pulumi.DependsOn([]pulumi.Resource{k8s})); err != nil {
			return WorkloadTarget{}, fmt.Errorf("node pool %s: %w", pool.Name, err)
		}
	}

	reg, err := registry.NewRegistry(ctx, name+"-registry", &registry.RegistryArgs{
		Config:   cfg.Registry,
		Region:   cfg.Region,
		Services: cfg.Workloads.ImageNames(),
		Protect:  prod,
	})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("registry: %w", err)
	}

	lb, err := loadbalancer.NewLoadBalancer(ctx, name+"-ingress-lb", &loadbalancer.LoadBalancerArgs{
		Name:       cloudName + "-ingress",
		Config:     p.LoadBalancer,
		Production: prod,
		Tags:       tags,
		Protect:    prod,
	})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("load balancer: %w", err)
	}

	acc, err := access.NewAccess(ctx, name+"-access", &access.AccessArgs{ClusterID: k8s.ClusterID})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("cluster access: %w", err)
	}

	outputs["clusterId"] = k8s.ClusterID
	outputs["apiServerEndpoint"] = k8s.APIServerEndpoint
	outputs["kubeconfig"] = acc.Kubeconfig
	outputs["vpcId"] = net.VpcID
	outputs["egressIp"] = net.EgressIP
	outputs["slbId"] = lb.LoadBalancerID
	outputs["slbAddress"] = lb.Address
	outputs[registry.OutputEndpoint] = reg.Endpoint
	outputs[registry.OutputVpcEndpoint] = reg.VpcEndpoint
	outputs[registry.OutputRepositories] = reg.Repositories

	return WorkloadTarget{
		Provider:         acc.Provider,
		LoadBalancerID:   lb.LoadBalancerID,
		RegistryEndpoint: reg.VpcEndpoint,
	}, nil
}

// podVswitchCidrs: Flannel takes pod IPs from its own overlay block, so it
// gets no pod vSwitches.
func podVswitchCidrs(p *config.Platform) []string {
	if p.Cluster.Cni == config.CniFlannel {
		return nil
	}
	return p.Network.PodVswitchCidrs
}
