package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/cluster"
	"github.com/ack-platform/ack-platform/components/loadbalancer"
	"github.com/ack-platform/ack-platform/components/network"
	"github.com/ack-platform/ack-platform/components/nodepool"
	"github.com/ack-platform/ack-platform/components/registry"
	"github.com/ack-platform/ack-platform/stacks/config"
	stackout "github.com/ack-platform/ack-platform/stacks/outputs"
)

// deployPlatform builds the Alibaba Cloud layer of a platform stack and
// adds to outputs what operators and the workload stacks need (names in
// stacks/outputs). It holds no cluster credential: each workload stack
// fetches its own.
func deployPlatform(ctx *pulumi.Context, cfg *config.Config, outputs pulumi.Map) error {
	p := cfg.Platform
	prod := cfg.Tier == config.TierProd
	// Cloud names carry project and stack so two stacks in one account
	// never collide; logical names only need the stack.
	cloudName := cfg.Project + "-" + cfg.Name
	name := cfg.Name
	tags := map[string]string{"project": cfg.Project, "stack": cfg.Name, "managed-by": "pulumi"}
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
		return fmt.Errorf("network: %w", err)
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
		return fmt.Errorf("cluster: %w", err)
	}

	var poolIDs []any
	for _, pool := range p.NodePools {
		np, err := nodepool.NewNodePool(ctx, name+"-pool-"+pool.Name, &nodepool.NodePoolArgs{
			ClusterID:       k8s.ClusterID,
			VswitchIDs:      net.NodeVswitchIDs,
			SecurityGroupID: net.SecurityGroupID,
			Pool:            pool,
			Tags:            tags,
		}, pulumi.DependsOn([]pulumi.Resource{k8s}))
		if err != nil {
			return fmt.Errorf("node pool %s: %w", pool.Name, err)
		}
		poolIDs = append(poolIDs, np.NodePoolID)
	}

	reg, err := registry.NewRegistry(ctx, name+"-registry", &registry.RegistryArgs{
		Config:   cfg.Registry,
		Region:   cfg.Region,
		Services: cfg.Workloads.ImageNames(),
		Protect:  prod,
	})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}

	lb, err := loadbalancer.NewLoadBalancer(ctx, name+"-ingress-lb", &loadbalancer.LoadBalancerArgs{
		Name:       cloudName + "-ingress",
		Config:     p.LoadBalancer,
		Production: prod,
		Tags:       tags,
		Protect:    prod,
	})
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}

	// clusterReady is the cluster id, known only once every node pool is:
	// workload stacks fetch their credential from it.
	ready := pulumi.All(append([]any{k8s.ClusterID}, poolIDs...)...).ApplyT(func(v []any) string {
		return v[0].(string)
	}).(pulumi.StringOutput)

	outputs[stackout.ClusterID] = k8s.ClusterID
	outputs[stackout.ClusterReady] = ready
	outputs[stackout.APIServerEndpoint] = k8s.APIServerEndpoint
	outputs[stackout.RrsaIssuer] = k8s.RrsaOIDCIssuer
	outputs[stackout.Region] = pulumi.String(cfg.Region)
	outputs[stackout.VpcID] = net.VpcID
	outputs[stackout.EgressIP] = net.EgressIP
	outputs[stackout.SlbID] = lb.LoadBalancerID
	outputs[stackout.SlbAddress] = lb.Address
	outputs[stackout.RegistryEndpoint] = reg.Endpoint
	outputs[stackout.RegistryVpcEndpoint] = reg.VpcEndpoint
	outputs[stackout.ImageRepositories] = reg.Repositories
	return nil
}

// podVswitchCidrs: Flannel takes pod IPs from its own overlay block, so it
// gets no pod vSwitches.
func podVswitchCidrs(p *config.Platform) []string {
	if p.Cluster.Cni == config.CniFlannel {
		return nil
	}
	return p.Network.PodVswitchCidrs
}
