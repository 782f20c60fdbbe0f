package environment

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// Logs ships the namespace's container output to Simple Log Service.
type Logs struct {
	// Project is the SLS project; empty for the add-on's own.
	Project string
	// Logstore receives the logs. Required.
	Logstore string
}

// Metrics lets a Prometheus agent scrape the Java services' actuator.
type Metrics struct {
	// Namespace of the agent (Managed Service for Prometheus: arms-prom).
	Namespace string
}

// observability registers the AliyunLogConfig (SLS "Use AliyunLogConfig to
// manage a Logtail configuration": the alibaba-log-controller creates the
// Logstore and the Logtail configuration from it) and the PodMonitor with
// the NetworkPolicy that lets the scraper in.
func observability(ctx *pulumi.Context, name string, a EnvironmentArgs, meta func(string) *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) error {
	if l := a.Logs; l != nil {
		spec := pulumi.Map{
			"logstore": pulumi.String(l.Logstore),
			"logtailConfig": pulumi.Map{
				"inputType":  pulumi.String("plugin"),
				"configName": pulumi.String(a.Namespace + "-stdout"),
				"inputDetail": pulumi.Map{"plugin": pulumi.Map{"inputs": pulumi.Array{pulumi.Map{
					"type": pulumi.String("service_docker_stdout"),
					"detail": pulumi.Map{
						"Stdout": pulumi.Bool(true), "Stderr": pulumi.Bool(true),
						"K8sNamespaceRegex": pulumi.String("^" + a.Namespace + "$"),
						// A Java stack trace stays one log entry.
						"BeginLineCheckLength": pulumi.Int(10),
						"BeginLineRegex":       pulumi.String(`\d+-\d+-\d+.*`),
					},
				}}}},
			},
		}
		if l.Project != "" {
			spec["project"] = pulumi.String(l.Project)
		}
		if _, err := apiextensions.NewCustomResource(ctx, name+"-logs", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("log.alibabacloud.com/v1alpha1"), Kind: pulumi.String("AliyunLogConfig"),
			Metadata: meta(a.Namespace + "-stdout"), OtherFields: kubernetes.UntypedArgs{"spec": spec},
		}, parent); err != nil {
			return err
		}
	}
	if m := a.Metrics; m != nil {
		java := &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{metav1.LabelSelectorRequirementArgs{
			Key: pulumi.String(kube.LabelComponent), Operator: pulumi.String("In"), Values: pulumi.ToStringArray([]string{ComponentGateway, ComponentBackend}),
		}}}
		if _, err := apiextensions.NewCustomResource(ctx, name+"-metrics", &apiextensions.CustomResourceArgs{
			ApiVersion: pulumi.String("monitoring.coreos.com/v1"), Kind: pulumi.String("PodMonitor"),
			Metadata: meta("spring-actuator"),
			OtherFields: kubernetes.UntypedArgs{"spec": pulumi.Map{
				"selector":            pulumi.Map{"matchExpressions": pulumi.Array{pulumi.Map{"key": pulumi.String(kube.LabelComponent), "operator": pulumi.String("In"), "values": pulumi.ToStringArray([]string{ComponentGateway, ComponentBackend})}}},
				"podMetricsEndpoints": pulumi.Array{pulumi.Map{"port": pulumi.String("management"), "path": pulumi.String("/actuator/prometheus"), "interval": pulumi.String("30s")}},
			}},
		}, parent); err != nil {
			return err
		}
		if a.Isolation {
			if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-allow-scrape", &networkingv1.NetworkPolicyArgs{
				Metadata: meta("allow-scrape"),
				Spec: &networkingv1.NetworkPolicySpecArgs{
					PodSelector: java,
					PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
					Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
						From: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{
							NamespaceSelector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.StringMap{"kubernetes.io/metadata.name": pulumi.String(m.Namespace)}},
						}},
						Ports: networkingv1.NetworkPolicyPortArray{networkingv1.NetworkPolicyPortArgs{Protocol: pulumi.String("TCP"), Port: pulumi.String("management")}},
					}},
				},
			}, parent); err != nil {
				return err
			}
		}
	}
	return nil
}
