package environment

import (
	"maps"
	"slices"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// Workload is one Deployment of the environment as the NetworkPolicies see
// it: its pods, whether the edge reaches it, and what it calls.
type Workload struct {
	// Name of the service; its policies are <name>-ingress and <name>-egress.
	Name string
	// Selector selects its pods.
	Selector map[string]string
	// Public workloads (gateways, frontends) are reached by the edge.
	Public bool
	// Nacos clients (Java services) reach Nacos.
	Nacos bool
	// Calls are the names of the workloads it calls, on their "http" port.
	Calls []string
	// Endpoints are the external endpoints it reaches.
	Endpoints []Endpoint
}

// Endpoint is an external destination: address blocks and ports.
type Endpoint struct {
	Name  string
	Cidrs []string
	Ports []EndpointPort
}

// EndpointPort is a port and its protocol (TCP or UDP).
type EndpointPort struct {
	Port     int
	Protocol string
}

// networkPolicies denies every pod of the namespace all traffic, then
// allows exactly the declared graph:
//
//	edge → public workloads (port "http")
//	caller → callee, for every declared call: at the caller's egress and
//	         at the callee's ingress (port "http")
//	workload → its declared external endpoints (CIDRs and ports)
//	Java workloads → Nacos (8848 HTTP, 9848 gRPC)
//	every pod → cluster DNS in kube-system (53 UDP/TCP)
//
// An undeclared call matches no rule and is dropped. Image pulls need no
// rule: the kubelet pulls on the node, outside the pod's network
// namespace. Kubelet probes come from the node, which Terway and Calico
// let through to the node's own pods. Nacos' side (who may reach it, and
// its peers) is the Nacos component's policy.
func networkPolicies(ctx *pulumi.Context, name string, a EnvironmentArgs, meta func(string) *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) error {
	tcp := pulumi.String("TCP")
	http := networkingv1.NetworkPolicyPortArray{networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.String("http")}}
	pods := func(sel map[string]string) networkingv1.NetworkPolicyPeerArgs {
		return networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(sel)}}
	}
	byName := map[string]Workload{}
	callers := map[string][]string{}
	for _, w := range a.Workloads {
		byName[w.Name] = w
		for _, callee := range w.Calls {
			callers[callee] = append(callers[callee], w.Name)
		}
	}

	var edge networkingv1.NetworkPolicyPeerArray
	if len(a.EdgeCidrs) > 0 {
		for _, c := range a.EdgeCidrs {
			edge = append(edge, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
		}
	} else {
		peer := networkingv1.NetworkPolicyPeerArgs{
			NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(a.IngressNamespace)}},
		}
		if a.IngressPodLabels != nil {
			peer.PodSelector = &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(a.IngressPodLabels)}
		}
		edge = networkingv1.NetworkPolicyPeerArray{peer}
	}

	nacosPorts := a.NacosPorts
	if nacosPorts == nil {
		nacosPorts = NacosPorts
	}
	var nacosPortArgs networkingv1.NetworkPolicyPortArray
	for _, p := range nacosPorts {
		nacosPortArgs = append(nacosPortArgs, networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.Int(p)})
	}
	nacosPeer := networkingv1.NetworkPolicyPeerArgs{PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{kube.LabelComponent: pulumi.String(ComponentNacos)}}}
	if a.NacosCidr != "" {
		nacosPeer = networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(a.NacosCidr)}}
	}

	type policy struct {
		suffix string
		spec   networkingv1.NetworkPolicySpecArgs
	}
	all := &metav1.LabelSelectorArgs{}
	policies := []policy{
		{"default-deny", networkingv1.NetworkPolicySpecArgs{
			PodSelector: all,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
		}},
		{"allow-dns", networkingv1.NetworkPolicySpecArgs{
			PodSelector: all,
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
			Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
					NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String("kube-system")}},
					PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"k8s-app": pulumi.String("kube-dns")}},
				}},
				Ports: networkingv1.NetworkPolicyPortArray{
					networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("UDP"), Port: pulumi.Int(53)},
					networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.Int(53)},
				},
			}},
		}},
	}
	for _, wName := range slices.Sorted(maps.Keys(byName)) {
		w := byName[wName]
		sel := &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(w.Selector)}
		var from networkingv1.NetworkPolicyPeerArray
		if w.Public {
			from = append(from, edge...)
		}
		for _, c := range slices.Sorted(slices.Values(callers[wName])) {
			from = append(from, pods(byName[c].Selector))
		}
		if len(from) > 0 {
			policies = append(policies, policy{wName + "-ingress", networkingv1.NetworkPolicySpecArgs{
				PodSelector: sel,
				PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
				Ingress:     networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{From: from, Ports: http}},
			}})
		}
		var egress networkingv1.NetworkPolicyEgressRuleArray
		var callees networkingv1.NetworkPolicyPeerArray
		for _, c := range w.Calls {
			if callee, ok := byName[c]; ok {
				callees = append(callees, pods(callee.Selector))
			}
		}
		if len(callees) > 0 {
			egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{To: callees, Ports: http})
		}
		for _, ep := range w.Endpoints {
			var to networkingv1.NetworkPolicyPeerArray
			for _, c := range ep.Cidrs {
				to = append(to, networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(c)}})
			}
			var ports networkingv1.NetworkPolicyPortArray
			for _, p := range ep.Ports {
				ports = append(ports, networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String(p.Protocol), Port: pulumi.Int(p.Port)})
			}
			egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{To: to, Ports: ports})
		}
		if w.Nacos {
			egress = append(egress, networkingv1.NetworkPolicyEgressRuleArgs{To: networkingv1.NetworkPolicyPeerArray{nacosPeer}, Ports: nacosPortArgs})
		}
		if len(egress) > 0 {
			policies = append(policies, policy{wName + "-egress", networkingv1.NetworkPolicySpecArgs{
				PodSelector: sel,
				PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
				Egress:      egress,
			}})
		}
	}
	for _, p := range policies {
		spec := p.spec
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-"+p.suffix, &networkingv1.NetworkPolicyArgs{
			Metadata: meta(p.suffix), Spec: &spec,
		}, parent); err != nil {
			return err
		}
	}
	return nil
}
