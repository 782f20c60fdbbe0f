// Package nacos runs Nacos, the service registry the Java services find each
// other through, inside an environment namespace: standalone with one
// member, or cluster mode with three or more members that find each other
// through a headless Service, spread over zones. Storage is the embedded
// Derby (testing) or an external MySQL such as RDS; authentication is on
// unless turned off.
package nacos

import (
	"errors"
	"fmt"
	"strings"

	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
	"github.com/ack-platform/ack-platform/components/microservice"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "ack-platform:workloads:Nacos"

// Name is the Kubernetes name of Nacos' objects, and the host of its address.
const Name = "nacos"

// Nacos ports: the HTTP API, its gRPC client port (+1000), the gRPC port
// between members (+1001) and Raft (-1000).
const (
	PortHTTP       = 8848
	PortGRPC       = 9848
	PortGRPCServer = 9849
	PortRaft       = 7848
)

// NacosArgs configures Nacos.
type NacosArgs struct {
	// Namespace (an output of the environment, so Nacos waits for it) and
	// its name, which the member DNS names contain. Required.
	Namespace     pulumi.StringInput
	NamespaceName string
	// Instance is app.kubernetes.io/instance, e.g. nacos-dev. Required.
	Instance string
	// PartOf is app.kubernetes.io/part-of. Required.
	PartOf string
	// Image is the full image reference (nacos/nacos-server mirrored into
	// the project's registry) and Version its tag. Required.
	Image   pulumi.StringInput
	Version string
	// Replicas: 1 runs standalone, 3 or more cluster mode. Default 1.
	Replicas int
	// StorageSize per member, e.g. 20Gi, and StorageClass (default: the cluster's).
	StorageSize, StorageClass string
	// Resources of a member. Required.
	Resources kube.Resources
	// Isolation adds the NetworkPolicies letting clients and peers in.
	Isolation bool
	// ImagePullSecrets are Secret names in the namespace.
	ImagePullSecrets []pulumi.StringInput
	// Auth, when set, turns on Nacos authentication.
	Auth *Auth
	// MySQL, when set, replaces the embedded Derby store.
	MySQL *MySQL
	// NodeSelector and Tolerations place the members (a stateful pool).
	NodeSelector map[string]string
	Tolerations  []kube.Toleration
}

// Auth holds the secrets of Nacos' authentication (nacos-docker variables
// NACOS_AUTH_ENABLE, NACOS_AUTH_TOKEN, NACOS_AUTH_IDENTITY_KEY/_VALUE).
type Auth struct {
	// Token is the Base64 signing key of the access tokens (at least 32 bytes).
	Token pulumi.StringInput
	// IdentityKey and IdentityValue identify members to each other.
	IdentityKey, IdentityValue pulumi.StringInput
}

// MySQL is the external database (nacos-docker variables
// SPRING_DATASOURCE_PLATFORM and MYSQL_SERVICE_*).
type MySQL struct {
	Host     string
	Port     int
	Database string
	User     string
	Password pulumi.StringInput
	// Cidr is where it lives, for the members' egress policy.
	Cidr string
}

// Nacos is the running registry.
type Nacos struct {
	pulumi.ResourceState

	// Address is host:port the services register at.
	Address pulumi.StringOutput `pulumi:"address"`
}

// Address is the in-namespace address of an in-cluster Nacos.
func Address(namespace string) string {
	return fmt.Sprintf("%s.%s.svc.cluster.local:%d", Name, namespace, PortHTTP)
}

// NewNacos registers Nacos and its policies.
func NewNacos(ctx *pulumi.Context, name string, args *NacosArgs, opts ...pulumi.ResourceOption) (*Nacos, error) {
	if args == nil {
		return nil, fmt.Errorf("nacos %s: args are required", name)
	}
	a := *args
	if a.Replicas == 0 {
		a.Replicas = 1
	}
	var errs []error
	if a.Replicas == 2 || a.Replicas < 1 {
		errs = append(errs, fmt.Errorf("replicas %d: 1 (standalone) or at least 3 (a Raft majority)", a.Replicas))
	}
	if a.Namespace == nil || a.NamespaceName == "" || a.Instance == "" || a.PartOf == "" || a.Image == nil || a.StorageSize == "" {
		errs = append(errs, errors.New("Namespace, NamespaceName, Instance, PartOf, Image and StorageSize are required"))
	}
	if au := a.Auth; au != nil && (au.Token == nil || au.IdentityKey == nil || au.IdentityValue == nil) {
		errs = append(errs, errors.New("Auth needs Token, IdentityKey and IdentityValue"))
	}
	if m := a.MySQL; m != nil && (m.Host == "" || m.Port == 0 || m.Database == "" || m.User == "" || m.Password == nil || m.Cidr == "") {
		errs = append(errs, errors.New("MySQL needs Host, Port, Database, User, Password and Cidr"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("nacos %s: %w", name, err)
	}

	comp := &Nacos{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	env := map[string]string{
		"NACOS_SERVER_PORT":      fmt.Sprint(PortHTTP),
		"NACOS_APPLICATION_PORT": fmt.Sprint(PortHTTP),
		// Members address each other by their stable DNS names, which
		// survive rescheduling, unlike pod IPs.
		"PREFER_HOST_MODE": "hostname",
		"JVM_XMS":          "512m",
		"JVM_XMX":          "512m",
		"JVM_XMN":          "256m",
	}
	secretEnv := map[string]pulumi.StringInput{}
	if au := a.Auth; au != nil {
		env["NACOS_AUTH_ENABLE"] = "true"
		secretEnv["NACOS_AUTH_TOKEN"] = au.Token
		secretEnv["NACOS_AUTH_IDENTITY_KEY"] = au.IdentityKey
		secretEnv["NACOS_AUTH_IDENTITY_VALUE"] = au.IdentityValue
	}
	if m := a.MySQL; m != nil {
		env["SPRING_DATASOURCE_PLATFORM"] = "mysql"
		env["MYSQL_SERVICE_HOST"] = m.Host
		env["MYSQL_SERVICE_PORT"] = fmt.Sprint(m.Port)
		env["MYSQL_SERVICE_DB_NAME"] = m.Database
		env["MYSQL_SERVICE_USER"] = m.User
		secretEnv["MYSQL_SERVICE_PASSWORD"] = m.Password
	}
	if a.Replicas == 1 {
		env["MODE"] = "standalone"
	} else {
		env["MODE"] = "cluster"
		if a.MySQL == nil {
			// Raft-replicated embedded storage: for testing only.
			env["EMBEDDED_STORAGE"] = "embedded"
		}
		members := make([]string, a.Replicas)
		for i := range members {
			members[i] = fmt.Sprintf("%s-%d.%s-headless.%s.svc.cluster.local:%d", Name, i, Name, a.NamespaceName, PortHTTP)
		}
		env["NACOS_SERVERS"] = strings.Join(members, " ")
	}

	if _, err := microservice.NewMicroservice(ctx, name, &microservice.MicroserviceArgs{
		ServiceName: Name,
		Namespace:   a.Namespace,
		Instance:    a.Instance,
		Kind:        microservice.Stateful,
		Component:   "nacos",
		PartOf:      a.PartOf,
		Description: "Nacos service registry",
		Image:       a.Image,
		Version:     a.Version,
		Port:        PortHTTP,
		Ports: []microservice.Port{
			{Name: "grpc", Port: PortGRPC}, {Name: "grpc-peer", Port: PortGRPCServer}, {Name: "raft", Port: PortRaft},
		},
		Probes: microservice.Probes{
			Readiness: &microservice.Probe{Path: "/nacos/v1/console/health/readiness", Port: "http"},
			Liveness:  &microservice.Probe{Path: "/nacos/v1/console/health/liveness", Port: "http"},
			Startup:   &microservice.Probe{Path: "/nacos/v1/console/health/liveness", Port: "http"},
		},
		Resources: a.Resources,
		Replicas:  a.Replicas,
		Env:       env,
		SecretEnv: secretEnv,
		// A Raft majority must survive a zone outage: members never share a
		// zone, and their disks (WaitForFirstConsumer) follow them.
		ZoneSpreadRequired: a.Replicas >= 3,
		NodeSelector:       a.NodeSelector,
		Tolerations:        a.Tolerations,
		// The start script writes cluster.conf next to the image's config.
		SeededDirs:       []string{"/home/nacos/conf"},
		WritableDirs:     []string{"/home/nacos/logs", "/home/nacos/status"},
		Storage:          &microservice.Storage{Size: a.StorageSize, StorageClass: a.StorageClass, MountPath: "/home/nacos/data"},
		ParallelPods:     true,
		ImagePullSecrets: a.ImagePullSecrets,
		// Clients reconnect over gRPC; a short sleep lets the Service drop the member first.
		PreStopSleepSeconds: 10,
		ShutdownSeconds:     20,
	}, parent); err != nil {
		return nil, err
	}

	if a.Isolation {
		if err := policies(ctx, name, a, parent); err != nil {
			return nil, err
		}
	}

	comp.Address = pulumi.String(Address(a.NamespaceName)).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"address": comp.Address}); err != nil {
		return nil, err
	}
	return comp, nil
}

// policies let the namespace's Java services (gateway, backends) reach the
// client ports, and the members reach each other.
func policies(ctx *pulumi.Context, name string, a NacosArgs, parent pulumi.ResourceOption) error {
	tcp := pulumi.String("TCP")
	ports := func(ps ...int) networkingv1.NetworkPolicyPortArray {
		var out networkingv1.NetworkPolicyPortArray
		for _, p := range ps {
			out = append(out, networkingv1.NetworkPolicyPortArgs{Protocol: tcp, Port: pulumi.Int(p)})
		}
		return out
	}
	component := func(values ...string) *metav1.LabelSelectorArgs {
		return &metav1.LabelSelectorArgs{MatchExpressions: metav1.LabelSelectorRequirementArray{metav1.LabelSelectorRequirementArgs{
			Key: pulumi.String(kube.LabelComponent), Operator: pulumi.String("In"), Values: pulumi.ToStringArray(values),
		}}}
	}
	self := component("nacos")
	peerPorts := ports(PortHTTP, PortGRPC, PortGRPCServer, PortRaft)
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: a.Namespace, Labels: pulumi.StringMap{
			kube.LabelPartOf: pulumi.String(a.PartOf), kube.LabelManagedBy: pulumi.String(kube.ManagedBy),
		}}
	}
	if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-clients", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("nacos-clients"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: self,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From:  networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: component("gateway", "backend")}},
				Ports: ports(PortHTTP, PortGRPC),
			}},
		},
	}, parent); err != nil {
		return err
	}
	if m := a.MySQL; m != nil {
		if _, err := networkingv1.NewNetworkPolicy(ctx, name+"-database", &networkingv1.NetworkPolicyArgs{
			Metadata: meta("nacos-database"),
			Spec: &networkingv1.NetworkPolicySpecArgs{
				PodSelector: self,
				PolicyTypes: pulumi.ToStringArray([]string{"Egress"}),
				Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
					To:    networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{IpBlock: &networkingv1.IPBlockArgs{Cidr: pulumi.String(m.Cidr)}}},
					Ports: ports(m.Port),
				}},
			},
		}, parent); err != nil {
			return err
		}
	}
	_, err := networkingv1.NewNetworkPolicy(ctx, name+"-peers", &networkingv1.NetworkPolicyArgs{
		Metadata: meta("nacos-peers"),
		Spec: &networkingv1.NetworkPolicySpecArgs{
			PodSelector: self,
			PolicyTypes: pulumi.ToStringArray([]string{"Ingress", "Egress"}),
			Ingress: networkingv1.NetworkPolicyIngressRuleArray{networkingv1.NetworkPolicyIngressRuleArgs{
				From: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: self}}, Ports: peerPorts,
			}},
			Egress: networkingv1.NetworkPolicyEgressRuleArray{networkingv1.NetworkPolicyEgressRuleArgs{
				To: networkingv1.NetworkPolicyPeerArray{networkingv1.NetworkPolicyPeerArgs{PodSelector: self}}, Ports: peerPorts,
			}},
		},
	}, parent)
	return err
}
