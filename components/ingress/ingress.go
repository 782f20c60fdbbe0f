// Package ingress is the edge: an AlbConfig that programs an Application
// Load Balancer through the ACK ALB Ingress controller (alb.go, the default
// on the alicloud target), or ingress-nginx installed as plain Kubernetes
// objects (this file; see docs/ingress.md for why and when), bound to the
// program's CLB through the ACK cloud controller manager's annotations.
package ingress

import (
	"errors"
	"fmt"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	networkingv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/networking/v1"
	policyv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/policy/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// TypeToken is the Pulumi type of the component.
const TypeToken = "ack-platform:workloads:IngressController"

// ACK cloud controller manager annotations: bind the Service to an existing
// CLB by id, and let the CCM manage that CLB's listeners (80 and 443, from
// the Service's ports) instead of leaving them to hand edits.
const (
	AnnotationLoadBalancerID = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-id"
	AnnotationForceOverride  = "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-force-override-listeners"
)

// ControllerClass is the spec.controller of ingress-nginx's IngressClass.
const ControllerClass = "k8s.io/ingress-nginx"

// NetBindService is the capability the controller image's binaries carry.
const NetBindService = "NET_BIND_SERVICE"

// Container ports: above 1024, so the controller never needs
// NET_BIND_SERVICE in its effective set; the Service maps 80 and 443 onto them.
const (
	portHTTP    = 8080
	portHTTPS   = 8443
	portHealthz = 10254
)

// ControllerArgs configures the controller.
type ControllerArgs struct {
	// Namespace to create for the controller. Required.
	Namespace string
	// Class is the IngressClass name. Required.
	Class string
	// Image is the full reference of the controller image, from the
	// company mirror, and Version its tag. Required.
	Image   pulumi.StringInput
	Version string
	// Replicas. Default 2.
	Replicas int
	// Resources of the controller container. Required.
	Resources kube.Resources
	// LoadBalancerID binds the Service to this CLB. Nil (local target):
	// the Service is ClusterIP, reached with kubectl port-forward, because
	// a LoadBalancer Service without a cloud load balancer never becomes
	// ready and would block `pulumi up`.
	LoadBalancerID pulumi.StringInput
	// SSLRedirect sends HTTP to HTTPS for hosts with TLS. Default false here.
	SSLRedirect bool
	// PartOf is app.kubernetes.io/part-of. Required.
	PartOf string
	// EnvironmentPort is the named port of the environment workloads the
	// controller forwards to. Default "http".
	EnvironmentPort string
}

// Controller is the running ingress controller.
type Controller struct {
	pulumi.ResourceState

	// Namespace of the controller.
	Namespace pulumi.StringOutput `pulumi:"namespace"`
	// Class is the IngressClass name.
	Class pulumi.StringOutput `pulumi:"class"`
	// PodLabels select the controller pods (for environment policies).
	PodLabels map[string]string `pulumi:"-"`
}

func (a *ControllerArgs) validate() error {
	var errs []error
	if a.Namespace == "" || a.Class == "" || a.Image == nil || a.Version == "" || a.PartOf == "" {
		errs = append(errs, errors.New("Namespace, Class, Image, Version and PartOf are required"))
	}
	if a.Version == "latest" {
		errs = append(errs, errors.New("pin the controller Version"))
	}
	if !a.Resources.Complete() {
		errs = append(errs, errors.New("every request and limit is required"))
	}
	if a.Replicas < 0 {
		errs = append(errs, errors.New("Replicas must not be negative"))
	}
	return errors.Join(errs...)
}

// PodLabels are the labels selecting the controller pods of a Controller
// in namespace ns, known before it is created.
func PodLabels() map[string]string {
	return kube.Selector("ingress-nginx", "ingress-nginx")
}

// NewController registers the controller.
func NewController(ctx *pulumi.Context, name string, args *ControllerArgs, opts ...pulumi.ResourceOption) (*Controller, error) {
	if args == nil {
		return nil, fmt.Errorf("ingress controller %s: args are required", name)
	}
	if err := args.validate(); err != nil {
		return nil, fmt.Errorf("ingress controller %s: %w", name, err)
	}
	a := *args
	if a.Replicas == 0 {
		a.Replicas = 2
	}
	if a.EnvironmentPort == "" {
		a.EnvironmentPort = "http"
	}
	comp := &Controller{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)

	labels := kube.Labels("ingress-nginx", "ingress-nginx", a.Version, "controller", a.PartOf)
	selector := PodLabels()
	ns, err := corev1.NewNamespace(ctx, name+"-namespace", &corev1.NamespaceArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Name: pulumi.String(a.Namespace),
			Labels: pulumi.StringMap{
				kube.LabelPartOf: pulumi.String(a.PartOf), kube.LabelManagedBy: pulumi.String(kube.ManagedBy),
				"pod-security.kubernetes.io/enforce": pulumi.String("restricted"),
			},
		},
	}, parent)
	if err != nil {
		return nil, err
	}
	nsName := ns.Metadata.Name().Elem()
	meta := func(n string) *metav1.ObjectMetaArgs {
		return &metav1.ObjectMetaArgs{Name: pulumi.String(n), Namespace: nsName, Labels: pulumi.ToStringMap(labels)}
	}

	sa, err := rbac(ctx, name, a, nsName, labels, meta, parent)
	if err != nil {
		return nil, err
	}

	sslRedirect := "false"
	if a.SSLRedirect {
		sslRedirect = "true"
	}
	cm, err := corev1.NewConfigMap(ctx, name+"-config", &corev1.ConfigMapArgs{
		Metadata: meta("ingress-nginx-controller"),
		Data: pulumi.StringMap{
			// HTTP → HTTPS for every host that has TLS.
			"ssl-redirect": pulumi.String(sslRedirect),
			// The CLB forwards at layer 4 (TCP listeners), so the client IP
			// arrives as the source address (externalTrafficPolicy Local).
			"use-forwarded-headers":     pulumi.String("false"),
			"allow-snippet-annotations": pulumi.String("false"),
			// Keep serving in-flight requests on a rollout.
			"worker-shutdown-timeout": pulumi.String("240s"),
		},
	}, parent)
	if err != nil {
		return nil, err
	}

	if _, err := networkingv1.NewIngressClass(ctx, name+"-class", &networkingv1.IngressClassArgs{
		Metadata: &metav1.ObjectMetaArgs{Name: pulumi.String(a.Class), Labels: pulumi.ToStringMap(labels)},
		Spec:     &networkingv1.IngressClassSpecArgs{Controller: pulumi.String(ControllerClass)},
	}, parent); err != nil {
		return nil, err
	}

	svcName := "ingress-nginx-controller"
	svcSpec := &corev1.ServiceSpecArgs{
		Type:     pulumi.String("ClusterIP"),
		Selector: pulumi.ToStringMap(selector),
		Ports: corev1.ServicePortArray{
			corev1.ServicePortArgs{Name: pulumi.String("http"), Port: pulumi.Int(80), TargetPort: pulumi.String("http"), Protocol: pulumi.String("TCP")},
			corev1.ServicePortArgs{Name: pulumi.String("https"), Port: pulumi.Int(443), TargetPort: pulumi.String("https"), Protocol: pulumi.String("TCP")},
		},
	}
	svcMeta := meta(svcName)
	if a.LoadBalancerID != nil {
		svcSpec.Type = pulumi.String("LoadBalancer")
		// Only nodes running a controller receive traffic, and the client
		// address is preserved.
		svcSpec.ExternalTrafficPolicy = pulumi.String("Local")
		svcMeta.Annotations = pulumi.StringMap{
			AnnotationLoadBalancerID: a.LoadBalancerID,
			AnnotationForceOverride:  pulumi.String("true"),
		}
	}
	if _, err := corev1.NewService(ctx, name+"-service", &corev1.ServiceArgs{Metadata: svcMeta, Spec: svcSpec}, parent); err != nil {
		return nil, err
	}

	if _, err := appsv1.NewDeployment(ctx, name+"-deployment", &appsv1.DeploymentArgs{
		Metadata: meta("ingress-nginx-controller"),
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas:             pulumi.Int(a.Replicas),
			RevisionHistoryLimit: pulumi.Int(10),
			Selector:             &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
			Strategy: &appsv1.DeploymentStrategyArgs{
				Type:          pulumi.String("RollingUpdate"),
				RollingUpdate: &appsv1.RollingUpdateDeploymentArgs{MaxUnavailable: pulumi.Int(0), MaxSurge: pulumi.Int(1)},
			},
			Template: podTemplate(a, labels, selector, nsName, svcName, sa, cm),
		},
	}, parent); err != nil {
		return nil, err
	}

	if _, err := policyv1.NewPodDisruptionBudget(ctx, name+"-pdb", &policyv1.PodDisruptionBudgetArgs{
		Metadata: meta("ingress-nginx-controller"),
		Spec: &policyv1.PodDisruptionBudgetSpecArgs{
			MaxUnavailable: pulumi.Int(1),
			Selector:       &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
		},
	}, parent); err != nil {
		return nil, err
	}

	if err := networkPolicy(ctx, name, a, selector, meta, parent); err != nil {
		return nil, err
	}

	comp.Namespace = nsName
	comp.Class = pulumi.String(a.Class).ToStringOutput()
	comp.PodLabels = selector
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"namespace": comp.Namespace, "class": comp.Class}); err != nil {
		return nil, err
	}
	return comp, nil
}

func podTemplate(a ControllerArgs, labels, selector map[string]string, ns pulumi.StringOutput, svcName string, sa *corev1.ServiceAccount, cm *corev1.ConfigMap) *corev1.PodTemplateSpecArgs {
	image := a.Image
	spread, affinity := kube.Spread(selector)
	// The controller writes nginx.conf under /etc/nginx and certificates
	// under /etc/ingress-controller: with a read-only root, an init
	// container copies the image's content of both into emptyDirs.
	seeds := []struct{ vol, dir string }{{"etc-nginx", "/etc/nginx"}, {"etc-ingress-controller", "/etc/ingress-controller"}}
	volumes := corev1.VolumeArray{corev1.VolumeArgs{Name: pulumi.String("tmp"), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("256Mi")}}}
	mounts := corev1.VolumeMountArray{corev1.VolumeMountArgs{Name: pulumi.String("tmp"), MountPath: pulumi.String("/tmp")}}
	var seedMounts corev1.VolumeMountArray
	script := "set -e"
	for _, s := range seeds {
		volumes = append(volumes, corev1.VolumeArgs{Name: pulumi.String(s.vol), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("64Mi")}})
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(s.vol), MountPath: pulumi.String(s.dir)})
		seedMounts = append(seedMounts, corev1.VolumeMountArgs{Name: pulumi.String(s.vol), MountPath: pulumi.String("/seed/" + s.vol)})
		script += fmt.Sprintf("; cp -a %s/. /seed/%s/", s.dir, s.vol)
	}
	small := kube.Resources{
		Requests: kube.ResourceList{CPU: "50m", Memory: "64Mi", EphemeralStorage: "64Mi"},
		Limits:   kube.ResourceList{CPU: "200m", Memory: "128Mi", EphemeralStorage: "128Mi"},
	}
	fieldEnv := func(n, path string) corev1.EnvVarArgs {
		return corev1.EnvVarArgs{Name: pulumi.String(n), ValueFrom: &corev1.EnvVarSourceArgs{FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String(path)}}}
	}
	return &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{Labels: pulumi.ToStringMap(labels)},
		Spec: &corev1.PodSpecArgs{
			ServiceAccountName: sa.Metadata.Name(),
			// The controller watches Ingresses, Services and Secrets: it
			// needs its token, and only this pod gets one.
			AutomountServiceAccountToken: pulumi.Bool(true),
			// worker-shutdown-timeout plus the preStop wait.
			TerminationGracePeriodSeconds: pulumi.Int(300),
			SecurityContext:               kube.PodSecurity(),
			TopologySpreadConstraints:     spread,
			Affinity:                      affinity,
			InitContainers: corev1.ContainerArray{corev1.ContainerArgs{
				Name: pulumi.String("seed-config"), Image: image, ImagePullPolicy: pulumi.String("Always"),
				Command:         pulumi.ToStringArray([]string{"/bin/sh", "-c", script}),
				VolumeMounts:    seedMounts,
				Resources:       small.Args(),
				SecurityContext: kube.ContainerSecurity(),
			}},
			Containers: corev1.ContainerArray{corev1.ContainerArgs{
				Name:            pulumi.String("controller"),
				Image:           image,
				ImagePullPolicy: pulumi.String("Always"),
				Args: pulumi.StringArray{
					pulumi.String("/nginx-ingress-controller"),
					pulumi.Sprintf("--publish-service=%s/%s", ns, svcName),
					pulumi.String("--election-id=ingress-nginx-leader"),
					pulumi.String("--controller-class=" + ControllerClass),
					pulumi.String("--ingress-class=" + a.Class),
					pulumi.Sprintf("--configmap=%s/%s", ns, cm.Metadata.Name().Elem()),
					pulumi.Sprintf("--http-port=%d", portHTTP),
					pulumi.Sprintf("--https-port=%d", portHTTPS),
					pulumi.Sprintf("--healthz-port=%d", portHealthz),
					// No admission webhook: it needs a certificate job; the
					// program's own validation rejects conflicting routes.
					pulumi.String("--enable-metrics=false"),
				},
				Env: corev1.EnvVarArray{
					fieldEnv("POD_NAME", "metadata.name"),
					fieldEnv("POD_NAMESPACE", "metadata.namespace"),
					corev1.EnvVarArgs{Name: pulumi.String("LD_PRELOAD"), Value: pulumi.String("/usr/local/lib/libmimalloc.so")},
				},
				Ports: corev1.ContainerPortArray{
					corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(portHTTP), Protocol: pulumi.String("TCP")},
					corev1.ContainerPortArgs{Name: pulumi.String("https"), ContainerPort: pulumi.Int(portHTTPS), Protocol: pulumi.String("TCP")},
					corev1.ContainerPortArgs{Name: pulumi.String("healthz"), ContainerPort: pulumi.Int(portHealthz), Protocol: pulumi.String("TCP")},
				},
				ReadinessProbe: &corev1.ProbeArgs{
					HttpGet:       &corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.String("healthz")},
					PeriodSeconds: pulumi.Int(5), TimeoutSeconds: pulumi.Int(3), FailureThreshold: pulumi.Int(3),
				},
				// Alive while nginx accepts connections; readiness also
				// waits for the controller's first sync.
				LivenessProbe: &corev1.ProbeArgs{
					TcpSocket:     &corev1.TCPSocketActionArgs{Port: pulumi.String("http")},
					PeriodSeconds: pulumi.Int(10), TimeoutSeconds: pulumi.Int(3), FailureThreshold: pulumi.Int(5),
				},
				StartupProbe: &corev1.ProbeArgs{
					HttpGet:       &corev1.HTTPGetActionArgs{Path: pulumi.String("/healthz"), Port: pulumi.String("healthz")},
					PeriodSeconds: pulumi.Int(5), TimeoutSeconds: pulumi.Int(3), FailureThreshold: pulumi.Int(24),
				},
				// The controller itself waits for the CLB to drop the pod,
				// then drains (its /wait-shutdown handles SIGTERM).
				Lifecycle: &corev1.LifecycleArgs{PreStop: &corev1.LifecycleHandlerArgs{Exec: &corev1.ExecActionArgs{
					Command: pulumi.ToStringArray([]string{"/wait-shutdown"}),
				}}},
				Resources:    a.Resources.Args(),
				VolumeMounts: mounts,
				// The image's entrypoint (dumb-init), controller and nginx
				// binaries carry file capability cap_net_bind_service=+ep:
				// with the capability dropped, exec fails with "operation not
				// permitted" and no traffic enters the cluster. The
				// controller listens on 8080/8443, so the capability only has
				// to stay in the bounding set (docs/images.md).
				SecurityContext: kube.ContainerSecurityWith(NetBindService),
			}},
			Volumes: volumes,
		},
	}
}
