package microservice

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	autoscalingv2 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/autoscaling/v2"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ack-platform/ack-platform/components/kube"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "ack-platform:workloads:Microservice"

// ChecksumAnnotation on the pod template changes with the ConfigMap and
// Secret data, so a config change rolls the pods.
const ChecksumAnnotation = "ack-platform.io/config-checksum"

// Microservice is one service in one namespace.
type Microservice struct {
	pulumi.ResourceState

	// ServiceName is the name of the Kubernetes Service (and every object).
	ServiceName pulumi.StringOutput `pulumi:"serviceName"`
	// Image is the image the pods run.
	Image pulumi.StringOutput `pulumi:"image"`
	// Hosts are the public hosts of the service's routes.
	Hosts pulumi.StringArrayOutput `pulumi:"hosts"`
}

// NewMicroservice registers the service's objects. It validates args before
// registering anything; each child is named from name.
func NewMicroservice(ctx *pulumi.Context, name string, args *MicroserviceArgs, opts ...pulumi.ResourceOption) (*Microservice, error) {
	if args == nil {
		return nil, fmt.Errorf("microservice %s: args are required", name)
	}
	a := args.withDefaults()
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("microservice %s: %w", name, err)
	}
	comp := &Microservice{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	// The version label sits on the workload and its pods only: a release
	// then changes that one object and no other.
	labels := kube.Labels(a.ServiceName, a.Instance, a.Version, a.Component, a.PartOf)
	selector := kube.Selector(a.ServiceName, a.Instance)
	podLabels := maps.Clone(labels)
	maps.Copy(podLabels, a.ExtraLabels)
	objLabels := maps.Clone(labels)
	delete(objLabels, kube.LabelVersion)
	meta := func(objName string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{
			Name:      pulumi.String(objName),
			Namespace: a.Namespace,
			Labels:    pulumi.ToStringMap(objLabels),
		}
	}
	workloadMeta := func() *metav1.ObjectMetaArgs {
		md := meta(a.ServiceName)
		md.Labels = pulumi.ToStringMap(labels)
		if a.Description != "" {
			md.Annotations = pulumi.StringMap{"ack-platform.io/description": pulumi.String(a.Description)}
		}
		return md
	}

	// A dedicated account without a token: the apps never call the API.
	sa, err := corev1.NewServiceAccount(ctx, name+"-sa", &corev1.ServiceAccountArgs{
		Metadata:                     meta(a.ServiceName),
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}

	env := a.configEnv()
	cm, err := corev1.NewConfigMap(ctx, name+"-config", &corev1.ConfigMapArgs{
		Metadata: meta(a.ServiceName + "-config"),
		Data:     pulumi.ToStringMap(env),
	}, parent)
	if err != nil {
		return nil, err
	}
	var secret *corev1.Secret
	if len(a.SecretEnv) > 0 {
		data := pulumi.StringMap{}
		for k, v := range a.SecretEnv {
			data[k] = pulumi.ToSecret(v).(pulumi.StringOutput)
		}
		secret, err = corev1.NewSecret(ctx, name+"-secret", &corev1.SecretArgs{
			Metadata:   meta(a.ServiceName + "-secret"),
			Type:       pulumi.String("Opaque"),
			StringData: data,
		}, parent)
		if err != nil {
			return nil, err
		}
	}

	pod := a.podTemplate(podLabels, sa, cm, secret, kube.Checksum(env, a.SecretEnv))

	headless := a.ServiceName + "-headless"
	var workloadKind string
	if a.Kind == Stateful {
		workloadKind = "StatefulSet"
		// Peers find each other through the headless Service's per-pod DNS
		// names, before they are ready.
		if _, err := corev1.NewService(ctx, name+"-headless", &corev1.ServiceArgs{
			Metadata: meta(headless),
			Spec: &corev1.ServiceSpecArgs{
				ClusterIP:                pulumi.String("None"),
				PublishNotReadyAddresses: pulumi.Bool(true),
				Selector:                 pulumi.ToStringMap(selector),
				Ports:                    a.servicePorts(),
			},
		}, parent); err != nil {
			return nil, err
		}
		sc := pulumi.StringPtrInput(nil)
		if a.Storage.StorageClass != "" {
			sc = pulumi.String(a.Storage.StorageClass)
		}
		policy := "OrderedReady"
		if a.ParallelPods {
			policy = "Parallel"
		}
		if _, err := appsv1.NewStatefulSet(ctx, name+"-statefulset", &appsv1.StatefulSetArgs{
			Metadata: workloadMeta(),
			Spec: &appsv1.StatefulSetSpecArgs{
				ServiceName:         pulumi.String(headless),
				Replicas:            pulumi.Int(a.Replicas),
				PodManagementPolicy: pulumi.String(policy),
				Selector:            &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
				UpdateStrategy:      &appsv1.StatefulSetUpdateStrategyArgs{Type: pulumi.String("RollingUpdate")},
				Template:            pod,
				VolumeClaimTemplates: corev1.PersistentVolumeClaimTypeArray{
					corev1.PersistentVolumeClaimTypeArgs{
						Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String("data"), Labels: pulumi.ToStringMap(selector)},
						Spec: &corev1.PersistentVolumeClaimSpecArgs{
							AccessModes:      pulumi.ToStringArray([]string{"ReadWriteOnce"}),
							StorageClassName: sc,
							Resources: &corev1.VolumeResourceRequirementsArgs{
								Requests: pulumi.StringMap{"storage": pulumi.String(a.Storage.Size)},
							},
						},
					},
				},
			},
		}, parent); err != nil {
			return nil, err
		}
	} else {
		workloadKind = "Deployment"
		var replicas pulumi.IntPtrInput
		if a.Autoscaling == nil {
			replicas = pulumi.Int(a.Replicas)
		}
		if _, err := appsv1.NewDeployment(ctx, name+"-deployment", &appsv1.DeploymentArgs{
			Metadata: workloadMeta(),
			Spec: &appsv1.DeploymentSpecArgs{
				// Left unset when an HPA owns the count, or every update
				// would reset it.
				Replicas:             replicas,
				RevisionHistoryLimit: pulumi.Int(10),
				Selector:             &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
				// Never below the desired count during a rollout; a quarter of
				// the replicas surge at once (rounded up), so a large service
				// rolls in a few waves within the await timeout. The
				// namespace quota holds that surge plus as many terminating pods.
				Strategy: &appsv1.DeploymentStrategyArgs{
					Type: pulumi.String("RollingUpdate"),
					RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{
						MaxUnavailable: pulumi.Int(0),
						MaxSurge:       pulumi.String(MaxSurge),
					},
				},
				Template: pod,
			},
		}, parent); err != nil {
			return nil, err
		}
	}

	svc, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{
		Metadata: meta(a.ServiceName),
		Spec: &corev1.ServiceSpecArgs{
			Type:     pulumi.String("ClusterIP"),
			Selector: pulumi.ToStringMap(selector),
			Ports:    a.servicePorts(),
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	pdb := &policyv1.PodDisruptionBudgetSpecArgs{Selector: &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)}}
	if a.Pdb.MaxUnavailable != nil {
		pdb.MaxUnavailable = pulumi.Int(*a.Pdb.MaxUnavailable)
	} else {
		pdb.MinAvailable = pulumi.Int(*a.Pdb.MinAvailable)
	}
	if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta(a.ServiceName), Spec: pdb,
	}, parent); err != nil {
		return nil, err
	}

	if as := a.Autoscaling; as != nil {
		if _, err := autoscalingv2.NewHorizontalPodAutoscaler(ctx, name+"-hpa", &autoscalingv2.HorizontalPodAutoscalerArgs{
			Metadata: meta(a.ServiceName),
			Spec: &autoscalingv2.HorizontalPodAutoscalerSpecArgs{
				ScaleTargetRef: &autoscalingv2.CrossVersionObjectReferenceArgs{
					ApiVersion: pulumi.String("apps/v1"), Kind: pulumi.String(workloadKind), Name: pulumi.String(a.ServiceName),
				},
				MinReplicas: pulumi.Int(as.Min),
				MaxReplicas: pulumi.Int(as.Max),
				Metrics: autoscalingv2.MetricSpecArray{autoscalingv2.MetricSpecArgs{
					Type: pulumi.String("Resource"),
					Resource: &autoscalingv2.ResourceMetricSourceArgs{
						Name:   pulumi.String("cpu"),
						Target: &autoscalingv2.MetricTargetArgs{Type: pulumi.String("Utilization"), AverageUtilization: pulumi.Int(as.CPUUtilization)},
					},
				}},
			},
		}, parent); err != nil {
			return nil, err
		}
	}

	var hosts []string
	if len(a.Routes) > 0 {
		hosts, err = a.ingress(ctx, name, meta(a.ServiceName), parent)
		if err != nil {
			return nil, err
		}
	}

	comp.ServiceName = svc.Metadata.Name().Elem()
	comp.Image = pulumi.ToOutput(a.Image).(pulumi.StringOutput)
	comp.Hosts = pulumi.ToStringArray(hosts).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"serviceName": comp.ServiceName, "image": comp.Image, "hosts": comp.Hosts,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}

func (a MicroserviceArgs) servicePorts() corev1.ServicePortArray {
	ports := corev1.ServicePortArray{corev1.ServicePortArgs{
		Name: pulumi.String("http"), Port: pulumi.Int(a.Port), TargetPort: pulumi.String("http"), Protocol: pulumi.String("TCP"),
	}}
	for _, p := range a.Ports {
		ports = append(ports, corev1.ServicePortArgs{
			Name: pulumi.String(p.Name), Port: pulumi.Int(p.Port), TargetPort: pulumi.String(p.Name), Protocol: pulumi.String("TCP"),
		})
	}
	return ports
}

// MaxSurge of every Deployment (Kubernetes rounds a percentage up).
const MaxSurge = "25%"

// ingress registers the service's Ingress objects: one per distinct set of
// route settings (annotations apply to a whole Ingress), the first named
// after the service, the next <service>-2, <service>-3...
func (a MicroserviceArgs) ingress(ctx *pulumi.Context, name string, md *metav1.ObjectMetaArgs, parent pulumi.ResourceOption) ([]string, error) {
	type group struct {
		annotations map[string]string
		byHost      map[string][]string
	}
	var groups []*group
	for _, r := range a.Routes {
		ann := a.routeAnnotations(r)
		var g *group
		for _, cand := range groups {
			if maps.Equal(cand.annotations, ann) {
				g = cand
			}
		}
		if g == nil {
			g = &group{annotations: ann, byHost: map[string][]string{}}
			groups = append(groups, g)
		}
		g.byHost[r.Host] = append(g.byHost[r.Host], r.Path)
	}
	hostSet := map[string]bool{}
	for i, g := range groups {
		hosts := slices.Sorted(maps.Keys(g.byHost))
		var rules networkingv1.IngressRuleArray
		for _, h := range hosts {
			hostSet[h] = true
			var paths networkingv1.HTTPIngressPathArray
			for _, p := range g.byHost[h] {
				paths = append(paths, networkingv1.HTTPIngressPathArgs{
					Path: pulumi.String(p), PathType: pulumi.String("Prefix"),
					Backend: networkingv1.IngressBackendArgs{Service: &networkingv1.IngressServiceBackendArgs{
						Name: pulumi.String(a.ServiceName),
						Port: &networkingv1.ServiceBackendPortArgs{Name: pulumi.String("http")},
					}},
				})
			}
			rules = append(rules, networkingv1.IngressRuleArgs{Host: pulumi.String(h), Http: &networkingv1.HTTPIngressRuleValueArgs{Paths: paths}})
		}
		spec := &networkingv1.IngressSpecArgs{IngressClassName: pulumi.String(a.IngressClass), Rules: rules}
		ann := maps.Clone(g.annotations)
		if a.TLSSecretName != nil {
			spec.Tls = networkingv1.IngressTLSArray{networkingv1.IngressTLSArgs{
				Hosts: pulumi.ToStringArray(hosts), SecretName: a.TLSSecretName,
			}}
			// The controller's own setting may differ (mode existing): the
			// annotation keeps HTTP redirected to HTTPS.
			ann[a.IngressDialect+".ingress.kubernetes.io/ssl-redirect"] = "true"
		}
		objName, resName := a.ServiceName, name+"-ingress"
		if i > 0 {
			objName, resName = fmt.Sprintf("%s-%d", a.ServiceName, i+1), fmt.Sprintf("%s-ingress-%d", name, i+1)
		}
		meta := *md
		meta.Name = pulumi.String(objName)
		meta.Annotations = pulumi.ToStringMap(ann)
		if _, err := networkingv1.NewIngress(ctx, resName, &networkingv1.IngressArgs{Metadata: &meta, Spec: spec}, parent); err != nil {
			return nil, err
		}
	}
	return slices.Sorted(maps.Keys(hostSet)), nil
}

// routeAnnotations writes a route's settings in the controller's dialect
// (docs/ingress.md lists each annotation and its source).
func (a MicroserviceArgs) routeAnnotations(r Route) map[string]string {
	ann := map[string]string{}
	switch a.IngressDialect {
	case "alb":
		// ALB: request timeouts are the listener's (the AlbConfig takes the
		// longest route's); WebSocket upgrades pass natively; a source-IP
		// forwarding condition restricts the route.
		if len(r.AllowCidrs) > 0 {
			ann["alb.ingress.kubernetes.io/conditions."+a.ServiceName] = fmt.Sprintf(`[{"type":"SourceIp","sourceIpConfig":{"values":[%s]}}]`, quoteJoin(r.AllowCidrs))
		}
	default:
		if r.BodySize != "" {
			ann["nginx.ingress.kubernetes.io/proxy-body-size"] = nginxSize(r.BodySize)
		}
		if r.TimeoutSeconds > 0 {
			t := fmt.Sprint(r.TimeoutSeconds)
			ann["nginx.ingress.kubernetes.io/proxy-read-timeout"] = t
			ann["nginx.ingress.kubernetes.io/proxy-send-timeout"] = t
		}
		if len(r.AllowCidrs) > 0 {
			ann["nginx.ingress.kubernetes.io/whitelist-source-range"] = strings.Join(r.AllowCidrs, ",")
		}
	}
	return ann
}

func quoteJoin(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ",")
}

// nginxSize writes a Kubernetes quantity (64Mi, 8M) in nginx's size
// syntax, kilobytes rounded up ("65536k"); validation parsed it already.
func nginxSize(q string) string {
	v := resource.MustParse(q)
	return fmt.Sprintf("%dk", (v.Value()+1023)/1024)
}
