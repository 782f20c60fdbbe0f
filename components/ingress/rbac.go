package ingress

import (
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	rbacv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/rbac/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

type rule struct {
	groups, resources, verbs, names []string
}

func rules(rs []rule) rbacv1.PolicyRuleArray {
	var out rbacv1.PolicyRuleArray
	for _, r := range rs {
		pr := rbacv1.PolicyRuleArgs{
			ApiGroups: pulumi.ToStringArray(r.groups), Resources: pulumi.ToStringArray(r.resources), Verbs: pulumi.ToStringArray(r.verbs),
		}
		if r.names != nil {
			pr.ResourceNames = pulumi.ToStringArray(r.names)
		}
		out = append(out, pr)
	}
	return out
}

var (
	read = []string{"get", "list", "watch"}
	// What the controller reads cluster-wide: Ingresses of every
	// environment and the Services, endpoints and Secrets they name.
	clusterRules = []rule{
		{[]string{""}, []string{"configmaps", "endpoints", "nodes", "pods", "secrets", "namespaces"}, []string{"list", "watch"}, nil},
		{[]string{""}, []string{"nodes"}, []string{"get"}, nil},
		{[]string{""}, []string{"services"}, read, nil},
		{[]string{""}, []string{"events"}, []string{"create", "patch"}, nil},
		{[]string{"coordination.k8s.io"}, []string{"leases"}, []string{"list", "watch"}, nil},
		{[]string{"networking.k8s.io"}, []string{"ingresses", "ingressclasses"}, read, nil},
		{[]string{"networking.k8s.io"}, []string{"ingresses/status"}, []string{"update"}, nil},
		{[]string{"discovery.k8s.io"}, []string{"endpointslices"}, read, nil},
	}
	// Its own namespace: the ConfigMap and the leader-election lease.
	namespaceRules = []rule{
		{[]string{""}, []string{"namespaces"}, []string{"get"}, nil},
		{[]string{""}, []string{"configmaps", "pods", "secrets", "endpoints", "services"}, read, nil},
		{[]string{""}, []string{"events"}, []string{"create", "patch"}, nil},
		{[]string{"coordination.k8s.io"}, []string{"leases"}, []string{"get", "update"}, []string{"ingress-nginx-leader"}},
		{[]string{"coordination.k8s.io"}, []string{"leases"}, []string{"create"}, nil},
		{[]string{"discovery.k8s.io"}, []string{"endpointslices"}, read, nil},
	}
)

// rbac registers the controller's ServiceAccount and its permissions.
func rbac(ctx *pulumi.Context, name string, a ControllerArgs, ns pulumi.StringOutput, labels map[string]string, meta func(string) *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) (*corev1.ServiceAccount, error) {
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata: meta("ingress-nginx"),
	}, parent)
	if err != nil {
		return nil, err
	}
	subject := rbacv1.SubjectArray{rbacv1.SubjectArgs{Kind: pulumi.String("ServiceAccount"), Name: sa.Metadata.Name().Elem(), Namespace: ns}}
	clusterName := "ingress-nginx-" + a.Namespace
	cr, err := rbacv1.NewClusterRole(ctx, name+"-clusterrole", &rbacv1.ClusterRoleArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(clusterName), Labels: pulumi.ToStringMap(labels)},
		Rules:    rules(clusterRules),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := rbacv1.NewClusterRoleBinding(ctx, name+"-clusterrolebinding", &rbacv1.ClusterRoleBindingArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(clusterName), Labels: pulumi.ToStringMap(labels)},
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("ClusterRole"), Name: cr.Metadata.Name().Elem()},
		Subjects: subject,
	}, parent); err != nil {
		return nil, err
	}
	role, err := rbacv1.NewRole(ctx, name+"-role", &rbacv1.RoleArgs{
		Metadata: meta("ingress-nginx"),
		Rules:    rules(namespaceRules),
	}, parent)
	if err != nil {
		return nil, err
	}
	_, err = rbacv1.NewRoleBinding(ctx, name+"-rolebinding", &rbacv1.RoleBindingArgs{
		Metadata: meta("ingress-nginx"),
		RoleRef:  rbacv1.RoleRefArgs{ApiGroup: pulumi.String("rbac.authorization.k8s.io"), Kind: pulumi.String("Role"), Name: role.Metadata.Name().Elem()},
		Subjects: subject,
	}, parent)
	return sa, err
}

// networkPolicy lets the internet reach the controller on its two ports and
// the controller reach only the environments' "http" ports, cluster DNS and
// the API server. The API server of ACK sits behind an internal CLB whose
// address the program does not know here, hence port-only rules for it.
func networkPolicy(ctx *pulumi.Context, name string, a ControllerArgs, selector map[string]string, meta func(string) *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) error {
	tcp := pulumi.String("TCP")
	port := func(p pulumi.Input, proto pulumi.StringInput) networkingv1.NetworkPolicyPortArgs {
		return networkingv1.NetworkPolicyPortArgs{Port: p, Protocol: proto}
	}
	_, err := networkingv1.NewNetworkPolicy(ctx, name+"-netpol", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("ingress-nginx-controller"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				Ports: networkingv1.NetworkPolicyPortArray{port(pulumi.Int(portHTTP), tcp), port(pulumi.Int(portHTTPS), tcp)},
			}},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{
				networkingv1.NetworkPolicyEgressRuleArgs{
					To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
						NamespaceSelector: &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{metav1.LabelSelectorRequirementArgs{
							Key: pulumi.String(kube.LabelEnvironment), Operator: pulumi.String("Exists"),
						}}},
					}},
					Ports: networkingv1.NetworkPolicyPortArray{port(pulumi.String(a.EnvironmentPort), tcp)},
				},
				networkingv1.NetworkPolicyEgressRuleArgs{
					To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
						NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String("kube-system")}},
						PodSelector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"k8s-app": pulumi.String("kube-dns")}},
					}},
					Ports: networkingv1.NetworkPolicyPortArray{port(pulumi.Int(53), pulumi.String("UDP")), port(pulumi.Int(53), tcp)},
				},
				networkingv1.NetworkPolicyEgressRuleArgs{
					Ports: networkingv1.NetworkPolicyPortArray{port(pulumi.Int(443), tcp), port(pulumi.Int(6443), tcp)},
				},
			},
		},
	}, parent)
	return err
}
