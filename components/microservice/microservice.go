// Package microservice is the reusable Microservice component: one service of
// the catalog in one environment namespace, as a Deployment (or StatefulSet),
// its Service, Ingress rules, HPA, PodDisruptionBudget, ConfigMap, Secret and
// ServiceAccount, every one passing the reliability checklist by default.
package microservice

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/ack-platform/ack-platform/components/kube"
)

// Kind decides the runtime, the probes, the preStop hook and the workload type.
type Kind string

const (
	// Backend is a Spring Boot service behind a ClusterIP Service that
	// registers in Nacos.
	Backend Kind = "backend"
	// Gateway is the Spring Cloud Gateway: a Java service with public routes.
	Gateway Kind = "gateway"
	// Frontend is nginx serving static files, with public routes.
	Frontend Kind = "frontend"
	// Stateful is a StatefulSet with a headless Service and a disk per pod.
	Stateful Kind = "stateful"
)

// Java reports whether the kind runs Spring Boot.
func (k Kind) Java() bool { return k == Backend || k == Gateway }

// MicroserviceArgs configures a Microservice. Required fields say so; every
// other field has the stated default.
type MicroserviceArgs struct {
	// ServiceName is the Kubernetes name of every object and the Nacos
	// service name (a DNS-1123 label). Required.
	ServiceName string
	// Namespace of every object. Required.
	Namespace pulumi.StringInput
	// Instance is app.kubernetes.io/instance, unique in the cluster, e.g.
	// "gateway-dev". Default: ServiceName.
	Instance string
	// Kind of the service. Required.
	Kind Kind
	// Component is app.kubernetes.io/component, the label NetworkPolicies
	// select on. Default: the kind.
	Component string
	// PartOf is app.kubernetes.io/part-of. Required.
	PartOf string
	// Description becomes an annotation on the workload.
	Description string
	// Image is the full image reference, pinned by tag. Required.
	Image pulumi.StringInput
	// Version is the image tag, for app.kubernetes.io/version. Required, not "latest".
	Version string
	// Port is the container port named "http", served by the Service.
	// Default 8080.
	Port int
	// ManagementPort is the container port named "management" of a Java
	// kind: Spring Boot's actuator (probes, deregistration), never part of
	// the Service, so neither callers nor public hosts reach it. Default 8081.
	ManagementPort int
	// Ports are extra named container ports, also served by the Service.
	Ports []Port
	// Probes default by kind: Spring Boot actuator readiness/liveness
	// groups, nginx GET / and a TCP check. Stateful kinds must give them.
	Probes Probes
	// Resources: every request and limit is required.
	Resources kube.Resources
	// Replicas when Autoscaling is nil. Default 1.
	Replicas int
	// Autoscaling adds an autoscaling/v2 HPA on CPU and leaves the
	// Deployment's replicas unset.
	Autoscaling *Autoscaling
	// Env are plain environment variables (a ConfigMap), added to the
	// kind's own (SERVER_SHUTDOWN=graceful, Nacos address...).
	Env map[string]string
	// SecretEnv are secret environment variables (a Secret).
	SecretEnv map[string]pulumi.StringInput
	// Routes are the public entries (gateway, frontend). Default none.
	Routes []Route
	// IngressClass of the Ingress. Required with Routes.
	IngressClass string
	// TLSSecretName is a kubernetes.io/tls Secret in the namespace; when set
	// the Ingress serves its hosts on 443 and nginx redirects HTTP.
	TLSSecretName pulumi.StringInput
	// NacosAddress is host:port of Nacos; Java kinds register there. Required for Java kinds.
	NacosAddress string
	// NacosUsername and NacosPassword (secret) log a Java kind in to a Nacos
	// with authentication; nil password for none.
	NacosUsername string
	NacosPassword pulumi.StringInput
	// Deregistration is how a Java kind leaves Nacos in its preStop hook.
	Deregistration Deregistration
	// LoadBalancerCacheSeconds is the callers' Spring Cloud LoadBalancer
	// cache TTL, set on Java kinds. Default 35 (Spring's default).
	LoadBalancerCacheSeconds int
	// JavaOptions is JAVA_TOOL_OPTIONS of a Java kind. Default: exit on
	// OutOfMemoryError, temp files on /tmp (the stacks derive the memory
	// flags from the limit).
	JavaOptions string
	// NodeSelector and Tolerations place the pods (spot or stateful pools).
	NodeSelector map[string]string
	Tolerations  []kube.Toleration
	// ZoneSpreadRequired makes the zone spread a hard rule (quorum members).
	ZoneSpreadRequired bool
	// Metrics exposes the actuator's prometheus endpoint (on the
	// management port) of a Java kind.
	Metrics bool
	// IngressDialect is the annotation set the route settings are written
	// in: "nginx" (ingress-nginx and ACK's nginx controller) or "alb".
	// Default nginx.
	IngressDialect string
	// PreStopSleepSeconds keeps serving while endpoints are removed. Default 15.
	PreStopSleepSeconds int
	// ShutdownSeconds is the app's graceful shutdown time. Default 30 for
	// Java, 10 otherwise.
	ShutdownSeconds int
	// TerminationGracePeriodSeconds must exceed PreStopSleepSeconds +
	// ShutdownSeconds. Default their sum + 5.
	TerminationGracePeriodSeconds int
	// WritableDirs get an emptyDir each; /tmp always does (and nginx's
	// cache and run directories for frontends).
	WritableDirs []string
	// SeededDirs are directories whose image content must stay writable:
	// an init container copies them into an emptyDir mounted over them.
	SeededDirs []string
	// Storage gives a Stateful kind a disk per pod. Required for Stateful.
	Storage *Storage
	// Pdb defaults to maxUnavailable 1.
	Pdb Pdb
	// ImagePullSecrets are Secret names in the namespace.
	ImagePullSecrets []pulumi.StringInput
	// ParallelPods starts StatefulSet pods together (peers that need each
	// other to become ready, e.g. a Nacos cluster). Default false.
	ParallelPods bool
	// ExtraLabels go on the pods besides the recommended labels.
	ExtraLabels map[string]string
}

// Port is a named container port.
type Port struct {
	Name string
	Port int
}

// Probes of the container.
type Probes struct {
	Readiness, Liveness, Startup *Probe
}

// Probe is an HTTP GET on Path, or a TCP check when Path is empty, against
// the named port Port (default "http").
type Probe struct {
	Path string
	Port string
}

// Autoscaling bounds the HPA.
type Autoscaling struct {
	Min, Max int
	// CPUUtilization is the target in percent of requests. Default 70.
	CPUUtilization int
}

// Route is a public host + path prefix with its edge settings.
type Route struct {
	Host, Path string
	// BodySize is the largest request body (a quantity, e.g. 64Mi). Default: the controller's.
	BodySize string
	// TimeoutSeconds bounds a request or an idle WebSocket. Default: the controller's.
	TimeoutSeconds int
	// WebSocket marks a route serving upgraded connections.
	WebSocket bool
	// AllowCidrs restricts the route to these client addresses.
	AllowCidrs []string
}

// Deregistration modes: see DeregisterHTTP and DeregisterExec.
const (
	// DeregisterHTTP: the kubelet GETs Path?waitSeconds=<preStop sleep> on
	// the management port; the app deregisters from Nacos, keeps serving
	// for waitSeconds, then answers 2xx (an error status when
	// deregistration failed, which the kubelet reports as a
	// FailedPreStopHook event). No shell is needed.
	DeregisterHTTP = "http"
	// DeregisterExec: sh and curl in the image POST status DOWN to the
	// actuator's serviceregistry endpoint, then sleep; the hook exits with
	// curl's status, so a failure shows as a FailedPreStopHook event.
	DeregisterExec = "exec"
)

// Deregistration configures a Java kind's preStop hook.
type Deregistration struct {
	// Mode is http (default) or exec.
	Mode string
	// Path of the http mode. Default /actuator/nacos-deregister.
	Path string
}

// Storage is the per-pod disk of a Stateful kind.
type Storage struct {
	// Size, e.g. 20Gi (the ESSD minimum on ACK). Required.
	Size string
	// StorageClass, e.g. alicloud-disk-essd. Default: the cluster default.
	StorageClass string
	// MountPath of the disk. Required.
	MountPath string
}

// Pdb is the PodDisruptionBudget; give at most one field.
type Pdb struct {
	MaxUnavailable *int
	MinAvailable   *int
}

var javaProbes = Probes{
	Readiness: &Probe{Path: "/actuator/health/readiness", Port: "management"},
	Liveness:  &Probe{Path: "/actuator/health/liveness", Port: "management"},
	Startup:   &Probe{Path: "/actuator/health/liveness", Port: "management"},
}

var nginxProbes = Probes{
	Readiness: &Probe{Path: "/", Port: "http"},
	Liveness:  &Probe{Port: "http"},
	Startup:   &Probe{Path: "/", Port: "http"},
}

// withDefaults returns a copy of args with every default filled in.
func (a MicroserviceArgs) withDefaults() MicroserviceArgs {
	if a.Instance == "" {
		a.Instance = a.ServiceName
	}
	if a.Component == "" {
		a.Component = string(a.Kind)
	}
	if a.Port == 0 {
		a.Port = 8080
	}
	if a.Kind.Java() {
		if a.ManagementPort == 0 {
			a.ManagementPort = 8081
		}
		if a.Deregistration.Mode == "" {
			a.Deregistration.Mode = DeregisterHTTP
		}
		if a.Deregistration.Mode == DeregisterHTTP && a.Deregistration.Path == "" {
			a.Deregistration.Path = "/actuator/nacos-deregister"
		}
		if a.LoadBalancerCacheSeconds == 0 {
			a.LoadBalancerCacheSeconds = 35
		}
		if a.JavaOptions == "" {
			a.JavaOptions = "-XX:+ExitOnOutOfMemoryError -Djava.io.tmpdir=/tmp"
		}
	}
	if a.IngressDialect == "" {
		a.IngressDialect = "nginx"
	}
	if a.Kind.Java() && a.NacosPassword != nil {
		secret := maps.Clone(a.SecretEnv)
		if secret == nil {
			secret = map[string]pulumi.StringInput{}
		}
		secret["SPRING_CLOUD_NACOS_DISCOVERY_PASSWORD"] = a.NacosPassword
		secret["SPRING_CLOUD_NACOS_CONFIG_PASSWORD"] = a.NacosPassword
		a.SecretEnv = secret
	}
	def := Probes{}
	switch {
	case a.Kind.Java():
		def = javaProbes
	case a.Kind == Frontend:
		def = nginxProbes
	}
	if a.Probes.Readiness == nil {
		a.Probes.Readiness = def.Readiness
	}
	if a.Probes.Liveness == nil {
		a.Probes.Liveness = def.Liveness
	}
	if a.Probes.Startup == nil {
		a.Probes.Startup = def.Startup
	}
	if a.Replicas == 0 && a.Autoscaling == nil {
		a.Replicas = 1
	}
	if a.Autoscaling != nil && a.Autoscaling.CPUUtilization == 0 {
		as := *a.Autoscaling
		as.CPUUtilization = 70
		a.Autoscaling = &as
	}
	if a.PreStopSleepSeconds == 0 {
		a.PreStopSleepSeconds = 15
		if a.Kind.Java() {
			a.PreStopSleepSeconds = a.LoadBalancerCacheSeconds + 5
		}
	}
	if a.ShutdownSeconds == 0 {
		a.ShutdownSeconds = 10
		if a.Kind.Java() {
			a.ShutdownSeconds = 30
		}
	}
	if a.TerminationGracePeriodSeconds == 0 {
		a.TerminationGracePeriodSeconds = a.PreStopSleepSeconds + a.ShutdownSeconds + 5
	}
	if a.Pdb.MaxUnavailable == nil && a.Pdb.MinAvailable == nil {
		one := 1
		a.Pdb.MaxUnavailable = &one
	}
	dirs := []string{"/tmp"}
	if a.Kind == Frontend {
		// nginx writes its pid and temp files here.
		dirs = append(dirs, "/var/cache/nginx", "/var/run")
	}
	for _, d := range a.WritableDirs {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	a.WritableDirs = dirs
	return a
}

// validate reports every problem of args at once, before any child exists.
func (a MicroserviceArgs) validate() error {
	var errs []error
	add := func(format string, v ...any) { errs = append(errs, fmt.Errorf(format, v...)) }
	if a.ServiceName == "" || len(a.ServiceName) > 63 {
		add("ServiceName %q must be a DNS-1123 label", a.ServiceName)
	}
	if a.Namespace == nil {
		add("Namespace is required")
	}
	if a.Image == nil {
		add("Image is required")
	}
	if a.Version == "" || a.Version == "latest" {
		add("Version %q: pin an image tag", a.Version)
	}
	if a.PartOf == "" {
		add("PartOf is required")
	}
	switch a.Kind {
	case Backend, Gateway, Frontend:
		if a.Storage != nil {
			add("Storage is for the stateful kind")
		}
	case Stateful:
		if a.Storage == nil || a.Storage.Size == "" || a.Storage.MountPath == "" {
			add("the stateful kind needs Storage with Size and MountPath")
		}
		if a.Autoscaling != nil {
			add("the stateful kind does not autoscale")
		}
	default:
		add("Kind %q is not one of backend, gateway, frontend, stateful", a.Kind)
	}
	if a.Kind.Java() && a.NacosAddress == "" {
		add("NacosAddress is required for the %s kind", a.Kind)
	}
	if !a.Resources.Complete() {
		add("Resources: every request and limit (cpu, memory, ephemeral storage) is required")
	}
	ports := map[string]bool{"http": true}
	numbers := map[int]bool{a.Port: true}
	if a.Kind.Java() {
		ports["management"] = true
		if numbers[a.ManagementPort] {
			add("ManagementPort %d is also the http port", a.ManagementPort)
		}
		numbers[a.ManagementPort] = true
		switch a.Deregistration.Mode {
		case DeregisterHTTP, DeregisterExec:
		default:
			add("Deregistration.Mode %q is not http or exec", a.Deregistration.Mode)
		}
		if a.PreStopSleepSeconds < a.LoadBalancerCacheSeconds {
			add("PreStopSleepSeconds %d is shorter than the callers' load-balancer cache (%ds)", a.PreStopSleepSeconds, a.LoadBalancerCacheSeconds)
		}
	}
	for _, p := range a.Ports {
		if ports[p.Name] {
			add("port %q declared twice", p.Name)
		}
		if numbers[p.Port] {
			add("port number %d used twice", p.Port)
		}
		ports[p.Name] = true
		numbers[p.Port] = true
	}
	for name, p := range map[string]*Probe{"readiness": a.Probes.Readiness, "liveness": a.Probes.Liveness, "startup": a.Probes.Startup} {
		switch {
		case p == nil && name != "startup":
			add("a %s probe is required", name)
		case p != nil && !ports[p.Port]:
			add("%s probe on port %q, which the container does not declare", name, p.Port)
		}
	}
	if r, l := a.Probes.Readiness, a.Probes.Liveness; r != nil && l != nil && *r == *l {
		add("the liveness probe must differ from the readiness probe")
	}
	if a.Autoscaling != nil {
		if a.Replicas != 0 {
			add("Replicas is set while Autoscaling owns the replica count")
		}
		if a.Autoscaling.Min < 1 || a.Autoscaling.Max < a.Autoscaling.Min {
			add("Autoscaling min %d / max %d: need 1 <= min <= max", a.Autoscaling.Min, a.Autoscaling.Max)
		}
	} else if a.Replicas < 1 {
		add("Replicas %d: at least 1", a.Replicas)
	}
	if a.PreStopSleepSeconds < 0 || a.ShutdownSeconds < 0 || a.TerminationGracePeriodSeconds < 0 {
		add("durations must not be negative")
	}
	if a.TerminationGracePeriodSeconds <= a.PreStopSleepSeconds {
		add("TerminationGracePeriodSeconds %d must exceed the preStop sleep %d", a.TerminationGracePeriodSeconds, a.PreStopSleepSeconds)
	} else if a.TerminationGracePeriodSeconds < a.PreStopSleepSeconds+a.ShutdownSeconds {
		add("TerminationGracePeriodSeconds %d is shorter than preStop sleep %d + shutdown %d", a.TerminationGracePeriodSeconds, a.PreStopSleepSeconds, a.ShutdownSeconds)
	}
	if p := a.Pdb; p.MaxUnavailable != nil && p.MinAvailable != nil {
		add("Pdb: give MaxUnavailable or MinAvailable, not both")
	} else if p.MaxUnavailable != nil && *p.MaxUnavailable < 1 {
		add("Pdb.MaxUnavailable %d blocks every disruption", *p.MaxUnavailable)
	} else if p.MinAvailable != nil && *p.MinAvailable >= a.minReplicas() {
		add("Pdb.MinAvailable %d blocks every disruption with %d replicas", *p.MinAvailable, a.minReplicas())
	}
	if len(a.Routes) > 0 {
		if a.Kind != Gateway && a.Kind != Frontend {
			add("only gateways and frontends have public routes")
		}
		if a.IngressClass == "" {
			add("IngressClass is required with Routes")
		}
		seen := map[string]bool{}
		for _, r := range a.Routes {
			if r.Host == "" || !strings.HasPrefix(r.Path, "/") {
				add("route %q%q needs a host and a path starting with /", r.Host, r.Path)
			}
			if seen[r.Host+r.Path] {
				add("route %s%s given twice", r.Host, r.Path)
			}
			seen[r.Host+r.Path] = true
			if r.BodySize != "" {
				if _, err := resource.ParseQuantity(r.BodySize); err != nil {
					add("route %s%s: BodySize %q is not a quantity", r.Host, r.Path, r.BodySize)
				}
			}
		}
	}
	for k := range a.SecretEnv {
		if _, dup := a.Env[k]; dup {
			add("%s is in both Env and SecretEnv", k)
		}
	}
	return errors.Join(errs...)
}

func (a MicroserviceArgs) minReplicas() int {
	if a.Autoscaling != nil {
		return a.Autoscaling.Min
	}
	return a.Replicas
}

// configEnv is the ConfigMap data: the kind's own settings, then the
// caller's, which win.
func (a MicroserviceArgs) configEnv() map[string]string {
	env := map[string]string{}
	if a.Kind.Java() {
		exposed := "health"
		if a.Deregistration.Mode == DeregisterExec {
			exposed += ",serviceregistry"
		}
		if a.Metrics {
			exposed += ",prometheus"
		}
		maps.Copy(env, map[string]string{
			"SPRING_APPLICATION_NAME": a.ServiceName,
			"SERVER_PORT":             fmt.Sprint(a.Port),
			// Finish in-flight requests on SIGTERM instead of dropping them.
			"SERVER_SHUTDOWN": "graceful",
			"SPRING_LIFECYCLE_TIMEOUT_PER_SHUTDOWN_PHASE": fmt.Sprintf("%ds", a.ShutdownSeconds),
			// The actuator on its own port, which no Service exposes.
			"MANAGEMENT_SERVER_PORT":                    fmt.Sprint(a.ManagementPort),
			"MANAGEMENT_ENDPOINTS_WEB_EXPOSURE_INCLUDE": exposed,
			// The actuator's readiness and liveness groups the probes call.
			"MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED": "true",
			"SPRING_CLOUD_NACOS_DISCOVERY_SERVER_ADDR":  a.NacosAddress,
			"SPRING_CLOUD_NACOS_CONFIG_SERVER_ADDR":     a.NacosAddress,
			// Callers drop a deregistered instance when their cache expires;
			// the preStop wait is at least this long.
			"SPRING_CLOUD_LOADBALANCER_CACHE_TTL": fmt.Sprintf("%ds", a.LoadBalancerCacheSeconds),
			// Memory flags derived from the limit by the stacks; exit on OOM.
			"JAVA_TOOL_OPTIONS": a.JavaOptions,
		})
		if a.NacosPassword != nil {
			env["SPRING_CLOUD_NACOS_DISCOVERY_USERNAME"] = a.NacosUsername
			env["SPRING_CLOUD_NACOS_CONFIG_USERNAME"] = a.NacosUsername
		}
	}
	maps.Copy(env, a.Env)
	return env
}
