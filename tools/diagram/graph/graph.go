// Package graph derives the deployment and call-chain diagram of a stack from
// its typed config, so the picture a lead asks for ("画一下k8s部署接口调用链路图")
// is regenerated from the same values `pulumi up` deploys and cannot drift.
//
// A Graph is renderer-neutral: nodes carry the environment and service they
// stand for and edges carry the route they draw, so tests compare the graph
// with the config as data, and the Mermaid and Graphviz renderers only lay it
// out. Every map of the config is walked in sorted key order, so the output
// is byte-for-byte stable; lists keep their config order, which is meaningful
// (zone i owns vSwitch block i, instance types are a fallback list).
package graph

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// Kind is what a node stands for; renderers pick its shape and colour.
type Kind string

// Node kinds.
const (
	KindDNS          Kind = "dns"          // a public host name
	KindLoadBalancer Kind = "loadbalancer" // the SLB (or the local cluster's entry)
	KindIngress      Kind = "ingress"      // the ingress controller
	KindService      Kind = "service"      // a Kubernetes Service with public routes
	KindPods         Kind = "pods"         // the pods of one catalog service
	KindNacos        Kind = "nacos"        // an environment's Nacos
	KindCluster      Kind = "cluster"      // the ACK cluster (or the local cluster)
	KindNodePool     Kind = "nodepool"     // an ACK node pool
	KindVSwitch      Kind = "vswitch"      // a vSwitch of one zone
	KindNAT          Kind = "nat"          // the NAT gateway for egress
	KindRegistry     Kind = "registry"     // where images are pulled from
)

// EdgeKind is what an edge means.
type EdgeKind string

// Edge kinds.
const (
	EdgeResolves  EdgeKind = "resolves"  // DNS name → SLB public IP
	EdgeForwards  EdgeKind = "forwards"  // SLB listeners → ingress controller
	EdgeRoute     EdgeKind = "route"     // ingress rule host+path → Service
	EdgeSelects   EdgeKind = "selects"   // Service → its pods
	EdgeDiscovers EdgeKind = "discovers" // gateway pods look backends up in Nacos
	EdgeRegisters EdgeKind = "registers" // backend pods register in Nacos
	EdgeCalls     EdgeKind = "calls"     // gateway pods → backend pods (Ribbon over Nacos instances)
	EdgeRuns      EdgeKind = "runs"      // cluster → node pool
	EdgePlaced    EdgeKind = "placed"    // node pool → the node vSwitch of a zone
	EdgePulls     EdgeKind = "pulls"     // registry → cluster (image pulls)
)

// Node is one box of the diagram.
type Node struct {
	// ID is unique in the graph and stable across runs; renderers sanitize it.
	ID   string
	Kind Kind
	// Lines are the label: a title, then details.
	Lines []string
	// Group is the ID of the enclosing group, "" at top level.
	Group string
	// Env and Service name the environment and catalog service a node
	// belongs to, when it does.
	Env     string
	Service string
}

// Edge is one arrow.
type Edge struct {
	From, To string
	Kind     EdgeKind
	// Label is what the renderers print on the arrow.
	Label string
	// Host and Path are set on EdgeRoute: the ingress rule it draws.
	Host, Path string
}

// Group is a subgraph: an environment, the platform, a VPC, a zone.
type Group struct {
	ID, Label string
	// Parent is the enclosing group, "" at top level.
	Parent string
}

// Graph is the diagram of one stack.
type Graph struct {
	Stack string
	// Summary describes the stack in one line (target, region, tier).
	Summary string
	Groups  []Group
	Nodes   []Node
	Edges   []Edge
}

// Node returns the node with the given ID.
func (g *Graph) Node(id string) (Node, bool) {
	for _, n := range g.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Fixed node and group IDs.
const (
	IDLoadBalancer = "slb"
	IDIngress      = "ingress"
	IDCluster      = "cluster"
	IDRegistry     = "registry"
	GroupDNS       = "dns"
	GroupPlatform  = "platform"
	GroupVPC       = "vpc"
	GroupLocal     = "local"
)

// EnvGroup is the group ID of an environment.
func EnvGroup(env string) string { return "env:" + env }

// ServiceID is the node ID of a service's Kubernetes Service in an environment.
func ServiceID(env, svc string) string { return "env:" + env + ":svc:" + svc }

// PodsID is the node ID of a service's pods in an environment.
func PodsID(env, svc string) string { return "env:" + env + ":pods:" + svc }

// NacosID is the node ID of an environment's Nacos.
func NacosID(env string) string { return "env:" + env + ":nacos" }

// DNSID is the node ID of a public host name.
func DNSID(host string) string { return "dns:" + host }

// builder collects nodes and edges and remembers the first inconsistency,
// so Build reports a broken graph instead of rendering one.
type builder struct {
	g     *Graph
	nodes map[string]bool
	edges map[Edge]bool
	err   error
}

func (b *builder) failf(format string, args ...any) {
	if b.err == nil {
		b.err = fmt.Errorf(format, args...)
	}
}

func (b *builder) group(id, label, parent string) {
	b.g.Groups = append(b.g.Groups, Group{ID: id, Label: label, Parent: parent})
}

func (b *builder) node(n Node) {
	if b.nodes[n.ID] {
		b.failf("node %q is added twice", n.ID)
		return
	}
	b.nodes[n.ID] = true
	b.g.Nodes = append(b.g.Nodes, n)
}

func (b *builder) edge(e Edge) {
	if !b.nodes[e.From] || !b.nodes[e.To] {
		b.failf("edge %s → %s (%s) references a node that does not exist", e.From, e.To, e.Kind)
		return
	}
	if b.edges[e] {
		return
	}
	b.edges[e] = true
	b.g.Edges = append(b.g.Edges, e)
}

// Build derives the graph of a stack from its validated config: for every
// environment the call chain DNS → SLB → ingress → Service → Pods, the API
// chain gateway → Nacos → backends, and for the alicloud target the platform
// (VPC, zones, vSwitches, node pools, cluster, registry).
func Build(cfg *config.Config) (*Graph, error) {
	if cfg == nil {
		return nil, fmt.Errorf("diagram: nil config")
	}
	if cfg.Target == config.TargetAlicloud && cfg.Platform == nil {
		return nil, fmt.Errorf("diagram: stack %s: the alicloud target has no platform config", cfg.Stack)
	}
	b := &builder{g: &Graph{Stack: cfg.Stack, Summary: summary(cfg)}, nodes: map[string]bool{}, edges: map[Edge]bool{}}

	b.node(Node{ID: IDLoadBalancer, Kind: KindLoadBalancer, Lines: loadBalancerLines(cfg)})
	b.node(Node{ID: IDIngress, Kind: KindIngress, Lines: ingressLines(cfg.Workloads.Ingress)})
	b.group(GroupDNS, "DNS", "")
	envs := slices.Sorted(maps.Keys(cfg.Workloads.Environments))
	for _, host := range hosts(cfg, envs) {
		b.node(Node{ID: DNSID(host), Kind: KindDNS, Lines: []string{host}, Group: GroupDNS})
		b.edge(Edge{From: DNSID(host), To: IDLoadBalancer, Kind: EdgeResolves})
	}
	b.edge(Edge{From: IDLoadBalancer, To: IDIngress, Kind: EdgeForwards, Label: "80, 443"})
	for _, env := range envs {
		b.environment(cfg, env)
	}
	if cfg.Target == config.TargetAlicloud {
		b.platform(cfg)
	} else {
		b.local(cfg)
	}
	if b.err != nil {
		return nil, fmt.Errorf("diagram: stack %s: %w", cfg.Stack, b.err)
	}
	return b.g, nil
}

func summary(cfg *config.Config) string {
	parts := []string{"target " + string(cfg.Target)}
	if cfg.Region != "" && cfg.Target == config.TargetAlicloud {
		parts = append(parts, "region "+cfg.Region)
	}
	parts = append(parts, "tier "+string(cfg.Tier))
	return strings.Join(parts, " · ")
}

// hosts returns every routed host name of the stack, sorted and unique.
func hosts(cfg *config.Config, envs []string) []string {
	seen := map[string]bool{}
	for _, env := range envs {
		for _, s := range cfg.Workloads.Environments[env].Services {
			for _, r := range s.Routes {
				if r.Host != "" {
					seen[r.Host] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func loadBalancerLines(cfg *config.Config) []string {
	if cfg.Target != config.TargetAlicloud {
		return []string{"local cluster ingress", "ports 80, 443"}
	}
	lb := cfg.Platform.LoadBalancer
	return []string{"SLB (CLB " + lb.InstanceChargeType + ")", "listeners 80, 443", lb.InternetChargeType}
}

func ingressLines(in config.Ingress) []string {
	if in.Controller == config.IngressExisting {
		return []string{"ingress controller (existing)", "class " + in.Class + " · namespace " + in.Namespace}
	}
	return []string{
		"ingress-nginx " + in.Version,
		"class " + in.Class + " · namespace " + in.Namespace,
		fmt.Sprintf("%d replicas", in.Replicas),
	}
}

// environment adds one namespace: Services with their routes, pods, Nacos.
func (b *builder) environment(cfg *config.Config, env string) {
	e := cfg.Workloads.Environments[env]
	group := EnvGroup(env)
	b.group(group, "environment "+env+" · namespace "+e.Namespace, "")
	b.node(Node{ID: NacosID(env), Kind: KindNacos, Lines: nacosLines(cfg.Workloads.Nacos, env), Group: group, Env: env})

	names := slices.Sorted(maps.Keys(e.Services))
	var gateways, backends []string
	for _, name := range names {
		s := e.Services[name]
		switch s.Kind {
		case config.KindGateway:
			gateways = append(gateways, name)
		case config.KindBackend:
			backends = append(backends, name)
		}
		pods := PodsID(env, name)
		if len(s.Routes) == 0 {
			// Backends are reached through Nacos, pod to pod: no ingress
			// rule and no Service in the request path.
			b.node(Node{ID: pods, Kind: KindPods, Lines: podsLines(s), Group: group, Env: env, Service: name})
			continue
		}
		svc := ServiceID(env, name)
		b.node(Node{ID: svc, Kind: KindService, Lines: []string{"Service " + name, fmt.Sprintf("%s · port %d", s.Kind, s.Port)}, Group: group, Env: env, Service: name})
		b.node(Node{ID: pods, Kind: KindPods, Lines: podsLines(s), Group: group, Env: env, Service: name})
		b.edge(Edge{From: svc, To: pods, Kind: EdgeSelects})
		for _, r := range sortedRoutes(s.Routes) {
			if r.Host == "" {
				b.failf("environment %s: service %s has a route to %s without a host", env, name, r.Path)
				continue
			}
			b.edge(Edge{From: IDIngress, To: svc, Kind: EdgeRoute, Label: r.Host + r.Path, Host: r.Host, Path: r.Path})
		}
	}
	for _, gw := range gateways {
		b.edge(Edge{From: PodsID(env, gw), To: NacosID(env), Kind: EdgeDiscovers, Label: "discovers"})
		for _, be := range backends {
			b.edge(Edge{From: PodsID(env, gw), To: PodsID(env, be), Kind: EdgeCalls, Label: "calls (Ribbon)"})
		}
	}
	for _, be := range backends {
		b.edge(Edge{From: PodsID(env, be), To: NacosID(env), Kind: EdgeRegisters, Label: "registers"})
	}
}

func sortedRoutes(rs []config.HostRoute) []config.HostRoute {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(a, b config.HostRoute) int {
		return strings.Compare(a.Host+" "+a.Path, b.Host+" "+b.Path)
	})
	return out
}

func podsLines(s config.ServiceSpec) []string {
	title := "Pods " + s.Name
	if s.Kind == config.KindBackend {
		title = "Pods " + s.Name + " (backend)"
	}
	scale := fmt.Sprintf("replicas %d", s.Replicas)
	if a := s.Autoscaling; a != nil {
		scale = fmt.Sprintf("HPA %d–%d (CPU %d%%)", a.Min, a.Max, a.CPUUtilization)
	}
	return []string{title, scale, "image " + imageTag(s)}
}

// imageTag is the tag the pods run: the release tag, or the tag (or digest)
// of an override's full image reference.
func imageTag(s config.ServiceSpec) string {
	if s.Image == "" {
		return s.Tag
	}
	ref := s.Image[strings.LastIndex(s.Image, "/")+1:]
	if at := strings.Index(ref, "@"); at >= 0 {
		return ref[at+1:]
	}
	if colon := strings.LastIndex(ref, ":"); colon >= 0 {
		return ref[colon+1:]
	}
	return s.Image
}

func nacosLines(n config.Nacos, env string) []string {
	if n.Mode == config.NacosExternal {
		return []string{"Nacos (external)", n.External[env].Address}
	}
	mode := "standalone"
	if n.Replicas > 1 {
		mode = "cluster mode"
	}
	return []string{"Nacos", fmt.Sprintf("%d × %s", n.Replicas, mode), "image " + n.Repository + ":" + n.Version}
}

// platform adds the Alibaba Cloud layer: VPC, zones with their vSwitches,
// NAT, the cluster, its node pools and the registry.
func (b *builder) platform(cfg *config.Config) {
	p := cfg.Platform
	b.group(GroupPlatform, "Alibaba Cloud "+cfg.Region, "")
	b.group(GroupVPC, "VPC "+p.Network.VpcCidr, GroupPlatform)

	c := p.Cluster
	b.node(Node{ID: IDCluster, Kind: KindCluster, Group: GroupPlatform, Lines: []string{
		"ACK cluster " + c.Spec, c.Version, c.Cni + " · " + c.ProxyMode + " · services " + c.ServiceCidr,
	}})
	b.node(Node{ID: IDRegistry, Kind: KindRegistry, Group: GroupPlatform, Lines: registryLines(cfg)})
	b.edge(Edge{From: IDRegistry, To: IDCluster, Kind: EdgePulls, Label: "image pulls"})
	b.node(Node{ID: "nat", Kind: KindNAT, Group: GroupVPC, Lines: []string{"NAT gateway + EIP", fmt.Sprintf("egress %d Mbit/s", p.Network.NatBandwidth)}})

	for i, zone := range p.Zones {
		zg := "zone:" + zone
		b.group(zg, "zone "+zone, GroupVPC)
		b.node(Node{ID: vswitchID("nodes", zone), Kind: KindVSwitch, Group: zg, Lines: []string{"vSwitch nodes", at(p.Network.NodeVswitchCidrs, i)}})
		if c.Cni == config.CniTerway {
			b.node(Node{ID: vswitchID("pods", zone), Kind: KindVSwitch, Group: zg, Lines: []string{"vSwitch pods (Terway)", at(p.Network.PodVswitchCidrs, i)}})
		}
	}
	for _, np := range p.NodePools {
		id := "pool:" + np.Name
		b.node(Node{ID: id, Kind: KindNodePool, Group: GroupPlatform, Lines: nodePoolLines(np)})
		b.edge(Edge{From: IDCluster, To: id, Kind: EdgeRuns})
		for _, zone := range p.Zones {
			b.edge(Edge{From: id, To: vswitchID("nodes", zone), Kind: EdgePlaced})
		}
	}
}

func vswitchID(role, zone string) string { return "vsw:" + role + ":" + zone }

func at(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return "?"
}

func nodePoolLines(np config.NodePool) []string {
	lines := []string{"node pool " + np.Name, strings.Join(np.InstanceTypes, " | ")}
	switch {
	case np.Autoscaling != nil:
		lines = append(lines, fmt.Sprintf("autoscaling %d–%d nodes", np.Autoscaling.Min, np.Autoscaling.Max))
	case np.DesiredSize != nil:
		lines = append(lines, fmt.Sprintf("%d nodes", *np.DesiredSize))
	}
	if np.Spot {
		lines = append(lines, "spot instances")
	}
	for _, k := range slices.Sorted(maps.Keys(np.Labels)) {
		lines = append(lines, "label "+k+"="+np.Labels[k])
	}
	for _, t := range np.Taints {
		taint := t.Key
		if t.Value != "" {
			taint += "=" + t.Value
		}
		lines = append(lines, "taint "+taint+":"+t.Effect)
	}
	return lines
}

func registryLines(cfg *config.Config) []string {
	r := cfg.Registry
	ns := "namespace " + r.Namespace
	switch r.Edition {
	case config.EditionEnterprise:
		return []string{"ACR Enterprise (" + r.InstanceType + ")", r.Endpoint, ns}
	case config.EditionPersonal:
		return []string{"ACR Personal", r.Endpoint, ns}
	case config.EditionStack:
		// The endpoint is an output of the owning stack, unknown here.
		return []string{"registry of stack " + r.Stack, ns}
	default:
		return []string{"registry (" + r.Edition + ")", r.Endpoint, ns}
	}
}

// local adds what stands for the platform on the local target: an existing
// cluster (or rendered YAML) and the external registry.
func (b *builder) local(cfg *config.Config) {
	b.group(GroupLocal, "local target", "")
	b.node(Node{ID: IDCluster, Kind: KindCluster, Group: GroupLocal, Lines: []string{
		"existing cluster", "kubeconfig " + config.Namespace + ":kubeconfig", "or YAML in " + cfg.Local.RenderDir,
	}})
	b.node(Node{ID: IDRegistry, Kind: KindRegistry, Group: GroupLocal, Lines: registryLines(cfg)})
	b.edge(Edge{From: IDRegistry, To: IDCluster, Kind: EdgePulls, Label: "image pulls"})
}
