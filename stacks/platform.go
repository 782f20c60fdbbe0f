package stacks

import (
	"fmt"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/access"
	"github.com/ack-platform/ack-platform/components/cluster"
	"github.com/ack-platform/ack-platform/components/loadbalancer"
	"github.com/ack-platform/ack-platform/components/network"
	"github.com/ack-platform/ack-platform/components/nodepool"
	"github.com/ack-platform/ack-platform/components/registry"
	"github.com/ack-platform/ack-platform/stacks/config"
)

// PlatformOutputs is what the platform layer gives operators and the
// workload stacks, under the agreed output names (see Map).
type PlatformOutputs struct {
	ClusterID pulumi.StringOutput
	// ClusterReady is the cluster id, resolved only once the node pools,
	// the registry's VPC link and the CNI, CSI and credential-helper
	// add-ons exist: what pods need before anything is applied.
	ClusterReady        pulumi.StringOutput
	APIServerEndpoint   pulumi.StringOutput
	VpcID               pulumi.StringOutput
	EgressIP            pulumi.StringOutput
	SlbID               pulumi.StringOutput
	SlbAddress          pulumi.StringOutput
	RegistryEndpoint    pulumi.StringOutput
	RegistryVpcEndpoint pulumi.StringOutput
	RegistryInstanceID  pulumi.StringOutput
	ImageRepositories   pulumi.StringMapOutput
	RrsaIssuer          pulumi.StringOutput
	RrsaProviderArn     pulumi.StringOutput
	Region              string
}

// Map returns the outputs under their stack output names.
func (o *PlatformOutputs) Map() pulumi.Map {
	return pulumi.Map{
		"clusterId":                 o.ClusterID,
		"clusterReady":              o.ClusterReady,
		"apiServerEndpoint":         o.APIServerEndpoint,
		"vpcId":                     o.VpcID,
		"egressIp":                  o.EgressIP,
		"slbId":                     o.SlbID,
		"slbAddress":                o.SlbAddress,
		registry.OutputEndpoint:     o.RegistryEndpoint,
		registry.OutputVpcEndpoint:  o.RegistryVpcEndpoint,
		registry.OutputInstanceID:   o.RegistryInstanceID,
		registry.OutputRepositories: o.ImageRepositories,
		"rrsaIssuer":                o.RrsaIssuer,
		"rrsaProviderArn":           o.RrsaProviderArn,
		"region":                    pulumi.String(o.Region),
	}
}

// deployPlatform builds the Alibaba Cloud layer and cluster access, adds to
// outputs what operators and other stacks need, and hands the workload layer
// its provider, load balancer and registry.
func deployPlatform(ctx *pulumi.Context, cfg *config.Config, outputs pulumi.Map) (WorkloadTarget, error) {
	out, err := buildPlatform(ctx, cfg)
	if err != nil {
		return WorkloadTarget{}, err
	}
	// The Kubernetes provider, and so every workload, waits for what pods
	// need, not merely for the cluster id.
	acc, err := access.NewAccess(ctx, cfg.Stack+"-access", &access.AccessArgs{ClusterID: out.ClusterReady})
	if err != nil {
		return WorkloadTarget{}, fmt.Errorf("cluster access: %w", err)
	}
	maps.Copy(outputs, out.Map())
	outputs["kubeconfig"] = acc.Kubeconfig
	return WorkloadTarget{
		Provider:         acc.Provider,
		LoadBalancerID:   out.SlbID,
		RegistryEndpoint: out.RegistryVpcEndpoint,
	}, nil
}

// buildPlatform registers the platform layer: network, registry, cluster
// with its add-ons and autoscaler, node pools and the ingress CLB.
func buildPlatform(ctx *pulumi.Context, cfg *config.Config) (*PlatformOutputs, error) {
	p := cfg.Platform
	prod := cfg.Tier == config.TierProd
	// Cloud names carry project and stack so two stacks in one account
	// never collide; logical names only need the stack.
	cloudName := cfg.Project + "-" + cfg.Stack
	name := cfg.Stack
	tags := map[string]string{"project": cfg.Project, "stack": cfg.Stack, "managed-by": "pulumi"}
	maps.Copy(tags, p.Tags)

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
		return nil, fmt.Errorf("network: %w", err)
	}

	reg, err := registry.NewRegistry(ctx, name+"-registry", &registry.RegistryArgs{
		Edition:      cfg.Registry.Edition,
		Region:       cfg.Region,
		Namespace:    cfg.Registry.Namespace,
		InstanceName: cfg.Registry.InstanceName,
		InstanceType: cfg.Registry.InstanceType,
		OwnerStack:   cfg.Registry.Stack,
		Services:     cfg.Workloads.ImageNames(),
		VpcID:        net.VpcID,
		VswitchID:    net.NodeVswitchIDs.Index(pulumi.Int(0)),
		CiPushCidrs:  p.RegistryAccess.CiPushCidrs,
		Protect:      prod,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}

	c := p.Cluster
	addons := make([]cluster.Addon, 0, len(c.Addons))
	for _, a := range c.Addons {
		addon := cluster.Addon{Name: a.Name, Version: a.Version}
		switch {
		case registry.IsCredentialHelper(a.Name):
			addon.Config = registry.HelperConfig(registry.HelperArgs{
				InstanceID:      reg.InstanceID,
				Region:          cfg.Region,
				Namespaces:      cfg.HelperNamespaces(),
				ServiceAccounts: p.RegistryAccess.ServiceAccounts,
			})
		case a.Config != "":
			addon.Config = pulumi.String(a.Config)
		}
		addons = append(addons, addon)
	}
	autoscaling := slices.ContainsFunc(p.NodePools, func(np config.NodePool) bool { return np.Autoscaling != nil })
	k8s, err := cluster.NewCluster(ctx, name+"-cluster", &cluster.ClusterArgs{
		Name:               cloudName,
		Spec:               c.Spec,
		Version:            c.Version,
		Cni:                c.Cni,
		ServiceCidr:        c.ServiceCidr,
		PodCidr:            c.PodCidr,
		NodeCidrMask:       c.NodeCidrMask,
		ProxyMode:          c.ProxyMode,
		DeletionProtection: *c.DeletionProtection,
		Rrsa:               *c.Rrsa,
		MaintenanceWindow: cluster.MaintenanceWindow{
			WeeklyPeriod: c.MaintenanceWindow.WeeklyPeriod,
			StartTime:    c.MaintenanceWindow.StartTime,
			Duration:     c.MaintenanceWindow.Duration,
		},
		ControlPlaneLogs: c.ControlPlaneLogs,
		LogRetentionDays: c.LogRetentionDays,
		AuditLog:         *c.AuditLog,
		KmsKeyID:         c.KmsKeyID,
		Addons:           addons,
		Autoscaling:      autoscaling,
		VswitchIDs:       net.NodeVswitchIDs,
		PodVswitchIDs:    net.PodVswitchIDs,
		Tags:             tags,
		Protect:          prod,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}

	// Everything pods need: the add-ons (the CNI comes with the cluster
	// itself), the registry link, then every node pool.
	ready := []any{k8s.ClusterID, reg.Ready}
	for _, n := range slices.Sorted(maps.Keys(k8s.AddonIDs)) {
		ready = append(ready, k8s.AddonIDs[n])
	}
	poolDeps := []pulumi.Resource{k8s}
	if k8s.Autoscaler != nil {
		poolDeps = append(poolDeps, k8s.Autoscaler)
	}
	for _, pool := range p.NodePools {
		np, err := nodepool.NewNodePool(ctx, name+"-pool-"+pool.Name, nodePoolArgs(pool, k8s, net, tags, prod), pulumi.DependsOn(poolDeps))
		if err != nil {
			return nil, fmt.Errorf("node pool %s: %w", pool.Name, err)
		}
		ready = append(ready, np.NodePoolID)
	}

	lb, err := loadbalancer.NewLoadBalancer(ctx, name+"-ingress-lb", &loadbalancer.LoadBalancerArgs{
		Name:       cloudName + "-ingress",
		Production: prod,
		Tags:       tags,
		Protect:    prod,
	})
	if err != nil {
		return nil, fmt.Errorf("load balancer: %w", err)
	}

	return &PlatformOutputs{
		ClusterID: k8s.ClusterID,
		ClusterReady: pulumi.All(ready...).ApplyT(func(vs []any) string {
			return vs[0].(string)
		}).(pulumi.StringOutput),
		APIServerEndpoint:   k8s.APIServerEndpoint,
		VpcID:               net.VpcID,
		EgressIP:            net.EgressIP,
		SlbID:               lb.LoadBalancerID,
		SlbAddress:          lb.Address,
		RegistryEndpoint:    reg.Endpoint,
		RegistryVpcEndpoint: reg.VpcEndpoint,
		RegistryInstanceID:  reg.InstanceID,
		ImageRepositories:   reg.Repositories,
		RrsaIssuer:          k8s.RrsaOIDCIssuer,
		RrsaProviderArn:     k8s.RrsaProviderArn,
		Region:              cfg.Region,
	}, nil
}

func nodePoolArgs(pool config.NodePool, k8s *cluster.Cluster, net *network.Network, tags map[string]string, prod bool) *nodepool.NodePoolArgs {
	args := &nodepool.NodePoolArgs{
		ClusterID:            k8s.ClusterID,
		VswitchIDs:           net.NodeVswitchIDs,
		SecurityGroupID:      k8s.SecurityGroupID,
		Name:                 pool.Name,
		InstanceTypes:        pool.InstanceTypes,
		SystemDiskCategories: pool.SystemDiskCategories,
		SystemDiskSize:       pool.SystemDiskSize,
		Labels:               pool.Labels,
		Spot:                 pool.Spot,
		UpgradeParallelism:   pool.UpgradeParallelism,
		MaxUnavailable:       pool.MaxUnavailable,
		Tags:                 tags,
		Protect:              prod,
	}
	if a := pool.Autoscaling; a != nil {
		args.Autoscaling = &nodepool.Autoscaling{Min: a.Min, Max: a.Max}
	} else {
		args.DesiredSize = *pool.DesiredSize
	}
	for _, t := range pool.Taints {
		args.Taints = append(args.Taints, nodepool.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}
	return args
}

// podVswitchCidrs: Flannel takes pod IPs from its own overlay block, so it
// gets no pod vSwitches.
func podVswitchCidrs(p *config.Platform) []string {
	if p.Cluster.Cni == config.CniFlannel {
		return nil
	}
	return p.Network.PodVswitchCidrs
}
