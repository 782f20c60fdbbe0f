package ingress

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// AlbTypeToken is the Pulumi type of the ALB edge component.
const AlbTypeToken = "ack-platform:workloads:AlbEdge"

// ALB Ingress controller names, from the ACK docs "Configure ALB instances
// with AlbConfig" and "ALB Ingress configuration dictionary".
const (
	// AlbController is the spec.controller of an ALB IngressClass.
	AlbController = "ingress.k8s.alibabacloud/alb"
	// AlbConfigGroup and AlbConfigKind name the CRD the IngressClass points at.
	AlbConfigGroup      = "alibabacloud.com"
	AlbConfigAPIVersion = "alibabacloud.com/v1"
	AlbConfigKind       = "AlbConfig"
)

// AlbArgs configures the ALB edge.
type AlbArgs struct {
	// Class is the IngressClass name (and the AlbConfig's). Required.
	Class string
	// LoadBalancerID of an existing ALB to bind (the platform stack's
	// albId). Either it or VSwitchIDs is required.
	LoadBalancerID pulumi.StringInput
	// VSwitchIDs (two zones at least) let the AlbConfig create the ALB.
	VSwitchIDs []string
	// AddressType of a created ALB: Internet (default) or Intranet.
	AddressType string
	// RequestTimeoutSeconds of the listeners (1-600): the longest route's.
	// Default 60.
	RequestTimeoutSeconds int
	// HTTPS adds the 443 listener; certificates come from the Ingress
	// objects' TLS Secrets.
	HTTPS bool
	// PartOf is app.kubernetes.io/part-of. Required.
	PartOf string
}

// Alb is the edge's class.
type Alb struct {
	pulumi.ResourceState

	// Class is the IngressClass name.
	Class pulumi.StringOutput `pulumi:"class"`
}

func (a *AlbArgs) validate() error {
	var errs []error
	if a.Class == "" || a.PartOf == "" {
		errs = append(errs, errors.New("Class and PartOf are required"))
	}
	if (a.LoadBalancerID == nil) == (len(a.VSwitchIDs) == 0) {
		errs = append(errs, errors.New("give LoadBalancerID (an existing ALB) or VSwitchIDs (the AlbConfig creates one)"))
	}
	if len(a.VSwitchIDs) == 1 {
		errs = append(errs, errors.New("an ALB needs vSwitches in two zones at least"))
	}
	if a.RequestTimeoutSeconds < 0 || a.RequestTimeoutSeconds > 600 {
		errs = append(errs, fmt.Errorf("RequestTimeoutSeconds %d is outside 1-600", a.RequestTimeoutSeconds))
	}
	return errors.Join(errs...)
}

// NewAlb registers the AlbConfig and its IngressClass. The ALB Ingress
// controller (the ACK add-on alb-ingress-controller) reconciles them: it
// binds or creates the ALB, its listeners, and a forwarding rule per
// Ingress path. Nothing of the data path runs in the cluster.
func NewAlb(ctx *pulumi.Context, name string, args *AlbArgs, opts ...pulumi.ResourceOption) (*Alb, error) {
	if args == nil {
		return nil, fmt.Errorf("alb edge %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("alb edge %s: %w", name, err)
	}
	a := *args
	if a.AddressType == "" {
		a.AddressType = "Internet"
	}
	if a.RequestTimeoutSeconds == 0 {
		a.RequestTimeoutSeconds = 60
	}
	comp := &Alb{}
	if err := ctx.RegisterComponentResource(AlbTypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	labels := pulumi.StringMap{kube.LabelPartOf: pulumi.String(a.PartOf), kube.LabelManagedBy: pulumi.String(kube.ManagedBy)}

	lb := pulumi.Map{"name": pulumi.String(a.Class)}
	if a.LoadBalancerID != nil {
		// A reused ALB keeps its own attributes (the platform stack owns
		// it); the controller manages only the listeners declared here.
		lb["id"] = a.LoadBalancerID
		lb["forceOverride"] = pulumi.Bool(false)
		lb["listenerForceOverride"] = pulumi.Bool(true)
	} else {
		lb["addressType"] = pulumi.String(a.AddressType)
		var zones pulumi.Array
		for _, v := range a.VSwitchIDs {
			zones = append(zones, pulumi.Map{"vSwitchId": pulumi.String(v)})
		}
		lb["zoneMappings"] = zones
	}
	listeners := pulumi.Array{pulumi.Map{"port": pulumi.Int(80), "protocol": pulumi.String("HTTP"), "requestTimeout": pulumi.Int(a.RequestTimeoutSeconds)}}
	if a.HTTPS {
		listeners = append(listeners, pulumi.Map{"port": pulumi.Int(443), "protocol": pulumi.String("HTTPS"), "requestTimeout": pulumi.Int(a.RequestTimeoutSeconds)})
	}
	cfg, err := apiextensions.NewCustomResource(ctx, name+"-albconfig", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(AlbConfigAPIVersion),
		Kind:       pulumi.String(AlbConfigKind),
		Metadata:   &metav1.ObjectMetaArgs{Name: pulumi.String(a.Class), Labels: labels},
		OtherFields: kubernetes.UntypedArgs{
			"spec": pulumi.Map{"config": lb, "listeners": listeners},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	class, err := networkingv1.NewIngressClass(ctx, name+"-class", &networkingv1.IngressClassArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(a.Class), Labels: labels},
		Spec: &networkingv1.IngressClassSpecArgs{
			Controller: pulumi.String(AlbController),
			Parameters: &networkingv1.IngressClassParametersReferenceArgs{
				ApiGroup: pulumi.String(AlbConfigGroup),
				Kind:     pulumi.String(AlbConfigKind),
				Name:     cfg.Metadata.Name().Elem(),
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	comp.Class = class.Metadata.Name().Elem()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"class": comp.Class}); err != nil {
		return nil, err
	}
	return comp, nil
}
