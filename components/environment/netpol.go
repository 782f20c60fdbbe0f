package environment

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// networkPolicies denies every pod of the namespace all traffic, then
// allows exactly the call chain:
//
//	ingress controller → frontends and gateway (port "http")
//	gateway → backends (port "http")
//	gateway, backends → Nacos (8848 HTTP, 9848 gRPC)
//	every pod → cluster DNS in kube-system (53 UDP/TCP)
//
// Frontends are static nginx: they call nobody and do not register in
// Nacos. Image pulls need no rule: the kubelet and containerd pull on the
// node, outside the pod's network namespace. Kubelet probes come from the
// node, which Terway and Calico let through to the node's own pods.
// Nacos' side (who may reach it, and its cluster peers) is the Nacos
// component's policy.
func networkPolicies(ctx *pulumi.Context, name string, a EnvironmentArgs, meta func(string) *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) error {
	tcp := pulumi.String("TCP")
	http := networkingv1.NetworkPolicyPortArray{networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.String("http")}}
	component := func(values ...string) *metav1.LabelSelectorArgs {
		return &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{metav1.LabelSelectorRequirementArgs{
			Key: pulumi.String(kube.LabelComponent), Operator: pulumi.String("In"), Values: pulumi.ToStringArray(values),
		}}}
	}
	all := &metav1.LabelSelectorArgs{}

	ingressPeer := networkingv1.NetworkPolicyPeerArgs{
		NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(a.IngressNamespace)}},
	}
	if a.IngressPodLabels != nil {
		ingressPeer.PodSelector = &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(a.IngressPodLabels)}
	}

	nacosPorts := a.NacosPorts
	if nacosPorts == nil {
		nacosPorts = NacosPorts
	}
	var nacosPortArgs networkingv1.NetworkPolicyPortArray
	for _, p := range nacosPorts {
		nacosPortArgs = append(nacosPortArgs, networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.Int(p)})
	}
	nacosPeer := networkingv1.NetworkPolicyPeerArgs{PodSelector: component(ComponentNacos)}
	if a.NacosCidr != "" {
		nacosPeer = networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(a.NacosCidr)}}
	}

	policies := []struct {
		suffix string
		spec   networkingv1.NetworkPolicySpecArgs
	}{
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
		{"allow-ingress-controller", networkingv1.NetworkPolicySpecArgs{
			PodSelector: component(ComponentGateway, ComponentFrontend),
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{ingressPeer}, Ports: http,
			}},
		}},
		{"allow-gateway-to-backends", networkingv1.NetworkPolicySpecArgs{
			PodSelector: component(ComponentBackend),
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: component(ComponentGateway)}}, Ports: http,
			}},
		}},
		{"gateway-egress", networkingv1.NetworkPolicySpecArgs{
			PodSelector: component(ComponentGateway),
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
			Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: component(ComponentBackend)}}, Ports: http,
			}},
		}},
		{"nacos-clients-egress", networkingv1.NetworkPolicySpecArgs{
			PodSelector: component(ComponentGateway, ComponentBackend),
			PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
			Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{nacosPeer}, Ports: nacosPortArgs,
			}},
		}},
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
