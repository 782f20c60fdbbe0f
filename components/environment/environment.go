// Package environment is one environment's namespace: labels for the
// restricted Pod Security Standard, a ResourceQuota, a LimitRange so nothing
// runs unbounded, deny-by-default NetworkPolicies that allow exactly the
// call chain, registry credentials and the TLS certificate.
package environment

import (
	"encoding/base64"
	"errors"
	"fmt"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "ack-platform:workloads:Environment"

// Component label values of the call chain, as the Microservice component
// sets them in app.kubernetes.io/component.
const (
	ComponentGateway  = "gateway"
	ComponentBackend  = "backend"
	ComponentFrontend = "frontend"
	ComponentNacos    = "nacos"
)

// Nacos client ports: HTTP API and the 2.x gRPC port (HTTP + 1000).
var NacosPorts = []int{8848, 9848}

// EnvironmentArgs configures one environment.
type EnvironmentArgs struct {
	// Environment is the environment name, a label on the namespace. Required.
	Environment string
	// Namespace to create. Required.
	Namespace string
	// PartOf is app.kubernetes.io/part-of. Required.
	PartOf string
	// Quota caps the namespace. Required.
	Quota Quota
	// LimitDefaults apply to containers that give no requests or limits,
	// and LimitMax caps any container. Default: 100m/256Mi/256Mi requests,
	// 500m/512Mi/1Gi limits, max 4 CPU/8Gi/8Gi.
	LimitDefaults *kube.Resources
	LimitMax      *kube.ResourceList
	// Isolation turns on the deny-by-default NetworkPolicies. Default false
	// here; the stacks turn it on unless the config says otherwise.
	Isolation bool
	// IngressNamespace is where the ingress controller runs. Required with Isolation.
	IngressNamespace string
	// IngressPodLabels select the controller pods in IngressNamespace; nil
	// allows the whole namespace (a controller the program does not own).
	IngressPodLabels map[string]string
	// EdgeCidrs, when set, are where the edge's requests come from instead
	// of an in-cluster controller: an ALB forwards from its vSwitches.
	EdgeCidrs []string
	// Workloads are the Deployments and the calls between them that the
	// NetworkPolicies allow.
	Workloads []Workload
	// Logs and Metrics turn on observability; nil for none.
	Logs    *Logs
	Metrics *Metrics
	// NacosCidr is the block of an external Nacos; empty when Nacos runs in
	// the namespace (its pods carry component=nacos).
	NacosCidr string
	// NacosPorts override NacosPorts for an external Nacos.
	NacosPorts []int
	// DockerConfigJSON is a dockerconfigjson document (secret) for an image
	// pull Secret; nil when the ACR credential helper or nothing is used.
	DockerConfigJSON pulumi.StringInput
	// TLSCert and TLSKey (PEM, secret) make a kubernetes.io/tls Secret; nil for none.
	TLSCert, TLSKey pulumi.StringInput
}

// Quota is the namespace ResourceQuota.
type Quota struct {
	RequestsCPU, RequestsMemory, LimitsCPU, LimitsMemory, RequestsStorage string
	Pods                                                                  int
}

// Environment is the created namespace and its shared Secrets.
type Environment struct {
	pulumi.ResourceState

	// Namespace is the name of the namespace, known once it exists, so
	// objects created in it depend on it.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// ImagePullSecret is the pull Secret's name, or nil.
	ImagePullSecret pulumi.StringInput `pulumi:"-"`
	// TLSSecret is the certificate Secret's name, or nil.
	TLSSecret pulumi.StringInput `pulumi:"-"`
}

func (a *EnvironmentArgs) validate() error {
	var errs []error
	if a.Environment == "" || a.Namespace == "" || a.PartOf == "" {
		errs = append(errs, errors.New("Environment, Namespace and PartOf are required"))
	}
	if a.Isolation && a.IngressNamespace == "" && len(a.EdgeCidrs) == 0 {
		errs = append(errs, errors.New("IngressNamespace or EdgeCidrs is required with Isolation"))
	}
	names := map[string]bool{}
	for _, w := range a.Workloads {
		if names[w.Name] || w.Name == "" || len(w.Selector) == 0 {
			errs = append(errs, fmt.Errorf("workload %q: a unique name and a selector are required", w.Name))
		}
		names[w.Name] = true
	}
	for _, w := range a.Workloads {
		for _, c := range w.Calls {
			if !names[c] {
				errs = append(errs, fmt.Errorf("workload %s calls %q, which is not a workload of the environment", w.Name, c))
			}
		}
	}
	if (a.TLSCert == nil) != (a.TLSKey == nil) {
		errs = append(errs, errors.New("give both TLSCert and TLSKey, or neither"))
	}
	if a.Quota.Pods < 1 {
		errs = append(errs, errors.New("Quota.Pods must be at least 1"))
	}
	return errors.Join(errs...)
}

// NewEnvironment registers the namespace and its policies.
func NewEnvironment(ctx *pulumi.Context, name string, args *EnvironmentArgs, opts ...pulumi.ResourceOption) (*Environment, error) {
	if args == nil {
		return nil, fmt.Errorf("environment %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	a := *args
	if a.LimitDefaults == nil {
		a.LimitDefaults = &kube.Resources{
			Requests: kube.ResourceList{CPU: "100m", Memory: "256Mi", EphemeralStorage: "256Mi"},
			Limits:   kube.ResourceList{CPU: "500m", Memory: "512Mi", EphemeralStorage: "1Gi"},
		}
	}
	if a.LimitMax == nil {
		a.LimitMax = &kube.ResourceList{CPU: "4", Memory: "8Gi", EphemeralStorage: "8Gi"}
	}
	comp := &Environment{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	labels := map[string]string{
		kube.LabelPartOf: a.PartOf, kube.LabelManagedBy: kube.ManagedBy,
		kube.LabelEnvironment: a.Environment,
		// The API server refuses pods that break the restricted standard,
		// whatever object created them.
		"pod-security.kubernetes.io/enforce":         "restricted",
		"pod-security.kubernetes.io/enforce-version": "latest",
		"pod-security.kubernetes.io/warn":            "restricted",
		"pod-security.kubernetes.io/audit":           "restricted",
	}
	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(a.Namespace), Labels: pulumi.ToStringMap(labels)},
	}, parent)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	meta := func(objName string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name: pulumi.String(objName), Namespace: nsName,
			Labels: pulumi.StringMap{kube.LabelPartOf: pulumi.String(a.PartOf), kube.LabelManagedBy: pulumi.String(kube.ManagedBy)},
		}
	}

	q := a.Quota
	if _, err := corev1.NewResourceQuota(ctx, name+"-quota", &corev1.ResourceQuotaArgs{
		Metadata: meta("quota"),
		Spec: &corev1.ResourceQuotaSpecArgs{Hard: pulumi.StringMap{
			"requests.cpu": pulumi.String(q.RequestsCPU), "requests.memory": pulumi.String(q.RequestsMemory),
			"limits.cpu": pulumi.String(q.LimitsCPU), "limits.memory": pulumi.String(q.LimitsMemory),
			"requests.storage": pulumi.String(q.RequestsStorage), "pods": pulumi.Sprintf("%d", q.Pods),
			// Only the ingress controller's Service may be public.
			"services.loadbalancers": pulumi.String("0"), "services.nodeports": pulumi.String("0"),
		}},
	}, parent); err != nil {
		return nil, err
	}

	list := func(l kube.ResourceList) pulumi.StringMap {
		return pulumi.StringMap{"cpu": pulumi.String(l.CPU), "memory": pulumi.String(l.Memory), "ephemeral-storage": pulumi.String(l.EphemeralStorage)}
	}
	if _, err := corev1.NewLimitRange(ctx, name+"-limits", &corev1.LimitRangeArgs{
		Metadata: meta("limits"),
		Spec: &corev1.LimitRangeSpecArgs{Limits: corev1.LimitRangeItemArray{corev1.LimitRangeItemArgs{
			Type:           pulumi.String("Container"),
			DefaultRequest: list(a.LimitDefaults.Requests),
			Default:        list(a.LimitDefaults.Limits),
			Max:            list(*a.LimitMax),
		}}},
	}, parent); err != nil {
		return nil, err
	}

	if a.Isolation {
		if err := networkPolicies(ctx, name, a, meta, parent); err != nil {
			return nil, err
		}
	}

	if err := observability(ctx, name, a, meta, parent); err != nil {
		return nil, err
	}

	if a.DockerConfigJSON != nil {
		s, err := corev1.NewSecret(ctx, name+"-pull-secret", &corev1.SecretArgs{
			Metadata: meta("registry-pull"),
			Type:     pulumi.String("kubernetes.io/dockerconfigjson"),
			Data: pulumi.StringMap{".dockerconfigjson": pulumi.ToSecret(pulumi.ToOutput(a.DockerConfigJSON).ApplyT(func(v string) string {
				return base64.StdEncoding.EncodeToString([]byte(v))
			})).(pulumi.StringOutput)},
		}, parent)
		if err != nil {
			return nil, err
		}
		comp.ImagePullSecret = s.Metadata.Name().Elem()
	}
	if a.TLSCert != nil {
		s, err := corev1.NewSecret(ctx, name+"-tls", &corev1.SecretArgs{
			Metadata: meta("tls"),
			Type:     pulumi.String("kubernetes.io/tls"),
			StringData: pulumi.StringMap{
				"tls.crt": pulumi.ToSecret(a.TLSCert).(pulumi.StringOutput),
				"tls.key": pulumi.ToSecret(a.TLSKey).(pulumi.StringOutput),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		comp.TLSSecret = s.Metadata.Name().Elem()
	}

	comp.Namespace = nsName
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": nsName}); err != nil {
		return nil, err
	}
	return comp, nil
}
