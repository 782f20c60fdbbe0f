package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Service kinds. The kind decides the runtime (Spring Boot or nginx), the
// probes, the preStop hook and the place in the call chain.
const (
	// KindGateway is a Spring Cloud Gateway: a public API entry. A system
	// may have several (the customer API, a partner API).
	KindGateway = "gateway"
	// KindBackend is a Spring Boot service reached through Nacos by the
	// services that declare a call to it.
	KindBackend = "backend"
	// KindFrontend is an nginx image serving static files.
	KindFrontend = "frontend"
)

// Catalog lists every service of the system, the same in every stack.
type Catalog struct {
	// System is the app.kubernetes.io/part-of label. Default: the project name.
	System string `json:"system"`
	// Services maps a service name (a DNS-1035 label: it names a Kubernetes
	// Service; also its Nacos service name and image repository) to its definition.
	Services map[string]Service `json:"services"`
	// Endpoints are the named external endpoints services reach (RDS,
	// Redis, MQTT, SMS gateways, OSS): ports here, addresses here or per
	// environment (ack-platform:environments.<env>.endpoints).
	Endpoints map[string]Endpoint `json:"endpoints,omitempty"`
}

// Endpoint is an external destination outside the cluster.
type Endpoint struct {
	// Description says what it is.
	Description string `json:"description,omitempty"`
	// Ports are the TCP (default) or UDP ports reached on it.
	Ports []EndpointPort `json:"ports"`
	// Cidrs are its addresses when they are the same in every environment;
	// an environment's endpoints.<name>.cidrs replaces them.
	Cidrs []string `json:"cidrs,omitempty"`
}

// EndpointPort is a port of an external endpoint.
type EndpointPort struct {
	// Port is the endpoint's port, 1-65535.
	Port int `json:"port"`
	// Protocol is TCP (default) or UDP.
	Protocol string `json:"protocol,omitempty"`
}

// Service is one deployable of the catalog. Every field but Kind has a
// default derived from the kind.
type Service struct {
	// Kind is gateway, backend or frontend.
	Kind string `json:"kind"`
	// Description says what the service does; it becomes an annotation.
	Description string `json:"description,omitempty"`
	// Repository is the image repository inside the registry namespace.
	// Default: the service name.
	Repository string `json:"repository,omitempty"`
	// Port is the container port named "http", the only one the Service,
	// the Ingress and callers reach. Default 8080 (non-root containers
	// cannot bind ports below 1024).
	Port int `json:"port,omitempty"`
	// ManagementPort serves Spring Boot's actuator (probes, the
	// deregistration hook) apart from the traffic port, so no public host
	// and no caller ever reaches an actuator endpoint. Default 8081 for
	// gateways and backends; frontends have none.
	ManagementPort int `json:"managementPort,omitempty"`
	// Ports are extra named container ports.
	Ports []NamedPort `json:"ports,omitempty"`
	// Probes override the kind's defaults.
	Probes Probes `json:"probes,omitzero"`
	// Routes are the public entries of a gateway or frontend: a host label
	// (resolved per environment through its domain or hosts) and a path.
	Routes []Route `json:"routes,omitempty"`
	// Calls are the catalog services this one calls (Feign, a load-balanced
	// RestTemplate or WebClient, a gateway route). The NetworkPolicies
	// allow exactly these calls, at the caller's egress and the callee's ingress.
	Calls []string `json:"calls,omitempty"`
	// Endpoints are the names of the external endpoints (catalog.endpoints)
	// this service reaches.
	Endpoints []string `json:"endpoints,omitempty"`
	// Workload settings an environment may override.
	Settings
	// PreStopSleepSeconds keeps the pod serving after it is marked
	// terminating while the load balancers and Nacos clients drop it.
	// Default: the client load balancer's cache TTL + 5 for Java kinds
	// (40), 15 for frontends.
	PreStopSleepSeconds *int `json:"preStopSleepSeconds,omitempty"`
	// ShutdownSeconds is the app's own graceful shutdown time. Default 30
	// for Spring Boot (its timeout-per-shutdown-phase), 10 for nginx.
	ShutdownSeconds *int `json:"shutdownSeconds,omitempty"`
	// TerminationGracePeriodSeconds must exceed preStop sleep + shutdown.
	// Default: their sum + 5.
	TerminationGracePeriodSeconds *int `json:"terminationGracePeriodSeconds,omitempty"`
	// Deregistration is how a Java service leaves Nacos before it stops.
	Deregistration Deregistration `json:"deregistration,omitzero"`
	// WritableDirs get an emptyDir each besides /tmp, since the root
	// filesystem is read-only.
	WritableDirs []string `json:"writableDirs,omitempty"`
}

// Deregistration modes of a Java service's preStop hook. See
// docs/workloads.md "Zero downtime with Nacos 2.x".
const (
	// DeregisterHTTP: the kubelet GETs Path on the management port; the app
	// deregisters from Nacos, keeps serving for waitSeconds (the query
	// parameter), then answers 2xx, or an error status when deregistration
	// failed. No shell is needed (distroless images).
	DeregisterHTTP = "http"
	// DeregisterExec: images with sh and curl POST status DOWN to the
	// actuator serviceregistry endpoint, then sleep; the hook exits non-zero
	// when the POST failed.
	DeregisterExec = "exec"
)

// Deregistration configures the preStop hook of a Java service.
type Deregistration struct {
	// Mode is http (default) or exec.
	Mode string `json:"mode,omitempty"`
	// Path of the http mode's endpoint. Default /actuator/nacos-deregister.
	Path string `json:"path,omitempty"`
	// LoadBalancerCacheSeconds is the TTL of the callers' Spring Cloud
	// LoadBalancer instance cache (spring.cloud.loadbalancer.cache.ttl,
	// default 35s), set on every Java service so the preStop wait and the
	// cache agree: a caller may route to a deregistered pod until its cache
	// expires. Default 35.
	LoadBalancerCacheSeconds *int `json:"loadBalancerCacheSeconds,omitempty"`
}

// Settings are the per-service values an environment can override.
type Settings struct {
	// Replicas when no autoscaling owns the Deployment. Default 1, prod 2.
	Replicas *int `json:"replicas,omitempty"`
	// Resources are requests and limits. Default by kind.
	Resources Resources `json:"resources,omitzero"`
	// Autoscaling adds an autoscaling/v2 HPA on CPU; replicas must be unset.
	Autoscaling *HPA `json:"autoscaling,omitempty"`
	// Env are plain environment variables, stored in a ConfigMap.
	Env map[string]string `json:"env,omitempty"`
	// SecretEnv maps an environment variable to the name of a secret config
	// key of this stack (set with `pulumi config set --secret`).
	SecretEnv map[string]string `json:"secretEnv,omitempty"`
	// Pdb is the PodDisruptionBudget. Default maxUnavailable 1.
	Pdb *Pdb `json:"pdb,omitempty"`
	// NodeSelector places the pods on labelled nodes, e.g. a spot or a
	// stateful node pool (ack-platform:platform.nodePools[].labels).
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations let the pods onto tainted nodes (a spot pool's taint).
	Tolerations []Toleration `json:"tolerations,omitempty"`
}

// Toleration is a Kubernetes toleration.
type Toleration struct {
	Key string `json:"key"`
	// Operator is Equal (default) or Exists.
	Operator string `json:"operator,omitempty"`
	Value    string `json:"value,omitempty"`
	// Effect is NoSchedule, PreferNoSchedule, NoExecute or empty (all).
	Effect string `json:"effect,omitempty"`
}

// NamedPort is a container port.
type NamedPort struct {
	Name string `json:"name"`
	Port int    `json:"port"`
}

// Probes of a container; each is an HTTP GET on a named port, or a TCP
// check when Path is empty.
type Probes struct {
	Readiness *Probe `json:"readiness,omitempty"`
	Liveness  *Probe `json:"liveness,omitempty"`
	Startup   *Probe `json:"startup,omitempty"`
}

// Probe is one probe.
type Probe struct {
	Path string `json:"path,omitempty"`
	// Port is the name of a declared port. Default "management" for Java
	// kinds, "http" for frontends.
	Port string `json:"port,omitempty"`
}

// Route is a public entry of a service, with its own edge settings.
type Route struct {
	// Host is a host label such as "api" or "www", resolved per environment.
	Host string `json:"host"`
	// Path is a path prefix. Default "/".
	Path string `json:"path,omitempty"`
	// BodySize is the largest request body accepted, e.g. 64Mi for
	// firmware uploads. Default 8Mi.
	BodySize string `json:"bodySize,omitempty"`
	// TimeoutSeconds bounds a request (and an idle WebSocket) at the edge.
	// Default 60; at most 600 (the ALB listener's maximum).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
	// WebSocket keeps upgraded connections open for TimeoutSeconds.
	WebSocket bool `json:"websocket,omitempty"`
	// AllowCidrs restricts the route to these client addresses (e.g. an
	// office for /admin). Default: everyone.
	AllowCidrs []string `json:"allowCidrs,omitempty"`
}

// Resources are container requests and limits as Kubernetes quantities.
type Resources struct {
	// Requests are what the scheduler reserves for the container.
	Requests ResourceList `json:"requests,omitzero"`
	// Limits are what the container may use at most; memory above it is an OOM kill.
	Limits ResourceList `json:"limits,omitzero"`
}

// ResourceList holds the three resources every container bounds.
type ResourceList struct {
	// CPU in cores or millicores (500m), as a Kubernetes quantity.
	CPU string `json:"cpu,omitempty"`
	// Memory as a Kubernetes quantity (1Gi); the JVM heap is derived from the limit.
	Memory string `json:"memory,omitempty"`
	// EphemeralStorage bounds logs and writable emptyDirs (512Mi).
	EphemeralStorage string `json:"ephemeralStorage,omitempty"`
}

// HPA bounds a HorizontalPodAutoscaler.
type HPA struct {
	// Min is the fewest replicas, at least 1 (prod at least 2).
	Min int `json:"min"`
	// Max is the most replicas, above Min; the namespace quota covers it.
	Max int `json:"max"`
	// CPUUtilization is the target average CPU in percent of requests. Default 70.
	CPUUtilization int `json:"cpuUtilization,omitempty"`
}

// Pdb is a PodDisruptionBudget; give one of the two.
type Pdb struct {
	MaxUnavailable *int `json:"maxUnavailable,omitempty"`
	MinAvailable   *int `json:"minAvailable,omitempty"`
}

// Java reports whether a kind runs Spring Boot and registers in Nacos.
func Java(kind string) bool { return kind == KindGateway || kind == KindBackend }

// Defaults by kind.
var kindDefaults = map[string]struct {
	resources Resources
	probes    Probes
	shutdown  int
}{
	// A JVM's memory request equals its limit: the heap is sized from the
	// limit (see workloads_jvm.go), and a node overcommitted on memory kills it.
	KindGateway: {
		resources: Resources{ResourceList{"250m", "768Mi", "512Mi"}, ResourceList{"1", "768Mi", "1Gi"}},
		probes:    springProbes,
		shutdown:  30,
	},
	KindBackend: {
		resources: Resources{ResourceList{"250m", "768Mi", "512Mi"}, ResourceList{"1", "768Mi", "1Gi"}},
		probes:    springProbes,
		shutdown:  30,
	},
	KindFrontend: {
		resources: Resources{ResourceList{"50m", "64Mi", "128Mi"}, ResourceList{"200m", "128Mi", "256Mi"}},
		// nginx answers / once it serves; a TCP check is enough to tell it
		// is alive and differs from readiness.
		probes:   Probes{Readiness: &Probe{Path: "/", Port: "http"}, Liveness: &Probe{Port: "http"}, Startup: &Probe{Path: "/", Port: "http"}},
		shutdown: 10,
	},
}

// Spring Boot actuator's probe groups, on the management port: readiness
// follows the app's dependencies, liveness only its own state, so a slow
// database never restarts every pod.
var springProbes = Probes{
	Readiness: &Probe{Path: "/actuator/health/readiness", Port: "management"},
	Liveness:  &Probe{Path: "/actuator/health/liveness", Port: "management"},
	Startup:   &Probe{Path: "/actuator/health/liveness", Port: "management"},
}

// Route defaults.
const (
	DefaultBodySize       = "8Mi"
	DefaultTimeoutSeconds = 60
	// MaxTimeoutSeconds is the ALB listener's largest request timeout.
	MaxTimeoutSeconds = 600
)

func (cat *Catalog) setDefaults(c *Config) {
	if cat.System == "" {
		cat.System = c.Project
	}
	for name, s := range cat.Services {
		d, known := kindDefaults[s.Kind]
		java := Java(s.Kind)
		if s.Repository == "" {
			s.Repository = name
		}
		if s.Port == 0 {
			// Non-root containers cannot bind below 1024.
			s.Port = 8080
		}
		if java && s.ManagementPort == 0 {
			s.ManagementPort = 8081
		}
		if known {
			s.Probes.Readiness = orProbe(s.Probes.Readiness, d.probes.Readiness)
			s.Probes.Liveness = orProbe(s.Probes.Liveness, d.probes.Liveness)
			s.Probes.Startup = orProbe(s.Probes.Startup, d.probes.Startup)
			s.Resources = mergeResources(d.resources, s.Resources)
			if s.ShutdownSeconds == nil {
				s.ShutdownSeconds = ptr(d.shutdown)
			}
		}
		for i := range s.Routes {
			s.Routes[i].setDefaults()
		}
		if java {
			dr := &s.Deregistration
			if dr.Mode == "" {
				dr.Mode = DeregisterHTTP
			}
			if dr.Mode == DeregisterHTTP && dr.Path == "" {
				dr.Path = "/actuator/nacos-deregister"
			}
			if dr.LoadBalancerCacheSeconds == nil {
				// Spring Cloud LoadBalancer's default cache TTL.
				dr.LoadBalancerCacheSeconds = ptr(35)
			}
		}
		if s.PreStopSleepSeconds == nil {
			// The ingress controller drops a terminating pod within seconds;
			// a Java service's callers keep its address until their
			// load-balancer cache expires.
			wait := 15
			if java {
				wait = *s.Deregistration.LoadBalancerCacheSeconds + 5
			}
			s.PreStopSleepSeconds = ptr(wait)
		}
		if s.ShutdownSeconds == nil {
			s.ShutdownSeconds = ptr(10)
		}
		if s.TerminationGracePeriodSeconds == nil {
			s.TerminationGracePeriodSeconds = ptr(*s.PreStopSleepSeconds + *s.ShutdownSeconds + 5)
		}
		cat.Services[name] = s
	}
	for name, ep := range cat.Endpoints {
		for i := range ep.Ports {
			if ep.Ports[i].Protocol == "" {
				ep.Ports[i].Protocol = "TCP"
			}
		}
		cat.Endpoints[name] = ep
	}
}

func (r *Route) setDefaults() {
	if r.Path == "" {
		r.Path = "/"
	}
	if r.BodySize == "" {
		r.BodySize = DefaultBodySize
	}
	if r.TimeoutSeconds == 0 {
		r.TimeoutSeconds = DefaultTimeoutSeconds
	}
}

func orProbe(p, def *Probe) *Probe {
	if p == nil {
		if def == nil {
			return nil
		}
		cp := *def
		return &cp
	}
	if p.Port == "" && def != nil {
		p.Port = def.Port
	}
	return p
}

func mergeResources(base, over Resources) Resources {
	merge := func(b, o ResourceList) ResourceList {
		if o.CPU != "" {
			b.CPU = o.CPU
		}
		if o.Memory != "" {
			b.Memory = o.Memory
		}
		if o.EphemeralStorage != "" {
			b.EphemeralStorage = o.EphemeralStorage
		}
		return b
	}
	return Resources{merge(base.Requests, over.Requests), merge(base.Limits, over.Limits)}
}

// Derived object names: the longest suffix the components append to a
// service name (the StatefulSet's "-headless" Service); every name must stay
// a DNS label of at most 63 characters.
const longestNameSuffix = len("-headless")

func (w *Workloads) validateCatalog(ps *Problems, r Reader) {
	ck := key("catalog")
	cat := w.Catalog
	if len(cat.Services) == 0 {
		ps.Addf(ck+".services", "the catalog lists no service")
	}
	checkLabel(ps, ck+".system", cat.System)
	gateways := 0
	for _, name := range slices.Sorted(maps.Keys(cat.Services)) {
		s := cat.Services[name]
		k := ck + ".services." + name
		// The name becomes a Service, which Kubernetes requires to be a
		// DNS-1035 label (starting with a letter).
		if msgs := isDNS1035(name); msgs != "" {
			ps.Addf(k, "%q cannot name a Kubernetes Service: %s", name, msgs)
		} else if len(name)+longestNameSuffix > 63 {
			ps.Addf(k, "%q is too long: derived object names such as %s-headless must fit 63 characters (at most %d)", name, name, 63-longestNameSuffix)
		}
		if name == "nacos" && w.Nacos.Mode == NacosInCluster {
			ps.Addf(k, "the name nacos is taken by the in-cluster Nacos (key ack-platform:nacos)")
		}
		if _, known := kindDefaults[s.Kind]; !known {
			ps.Addf(k+".kind", "%q is not one of gateway, backend, frontend", s.Kind)
		}
		if s.Kind == KindGateway {
			gateways++
		}
		checkRepoPath(ps, k+".repository", s.Repository)
		declared := w.validatePorts(ps, k, s)
		for _, pr := range []struct {
			name string
			p    *Probe
		}{{"readiness", s.Probes.Readiness}, {"liveness", s.Probes.Liveness}, {"startup", s.Probes.Startup}} {
			if pr.p == nil {
				ps.Addf(k+".probes."+pr.name, "a %s probe is required", pr.name)
				continue
			}
			if _, ok := declared[pr.p.Port]; !ok {
				ps.Addf(k+".probes."+pr.name+".port", "probe on port %q, which the container does not declare (declared: %s)", pr.p.Port, strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
			}
			if pr.p.Path != "" && !strings.HasPrefix(pr.p.Path, "/") {
				ps.Addf(k+".probes."+pr.name+".path", "%q must start with /", pr.p.Path)
			}
		}
		if s.Probes.Readiness != nil && s.Probes.Liveness != nil && *s.Probes.Readiness == *s.Probes.Liveness {
			ps.Addf(k+".probes.liveness", "identical to the readiness probe: a liveness probe that fails with readiness restarts pods that only wait for a dependency")
		}
		if s.Kind == KindBackend && len(s.Routes) > 0 {
			ps.Addf(k+".routes", "a backend is reached through a gateway only; route to a gateway instead")
		}
		if (s.Kind == KindGateway || s.Kind == KindFrontend) && len(s.Routes) == 0 {
			ps.Addf(k+".routes", "a %s needs at least one route", s.Kind)
		}
		for i, rt := range s.Routes {
			checkRoute(ps, fmt.Sprintf("%s.routes[%d]", k, i), rt)
		}
		w.validateDependencies(ps, k, name, s)
		validateShutdown(ps, k, s)
		for i, d := range s.WritableDirs {
			if !strings.HasPrefix(d, "/") || d == "/" {
				ps.Addf(fmt.Sprintf("%s.writableDirs[%d]", k, i), "%q is not an absolute directory below /", d)
			}
		}
		checkSettings(ps, k, s.Settings, r)
	}
	if len(cat.Services) > 0 && gateways == 0 {
		ps.Addf(ck+".services", "no gateway: the API needs at least one public entry of kind gateway")
	}
	for _, name := range slices.Sorted(maps.Keys(cat.Endpoints)) {
		ep := cat.Endpoints[name]
		k := ck + ".endpoints." + name
		checkLabel(ps, k, name)
		if len(ep.Ports) == 0 {
			ps.Addf(k+".ports", "an endpoint needs at least one port")
		}
		for i, p := range ep.Ports {
			pk := fmt.Sprintf("%s.ports[%d]", k, i)
			if p.Port < 1 || p.Port > 65535 {
				ps.Addf(pk+".port", "%d is not a port number (1-65535)", p.Port)
			}
			if p.Protocol != "TCP" && p.Protocol != "UDP" {
				ps.Addf(pk+".protocol", "%q is not TCP or UDP", p.Protocol)
			}
		}
		for i, cidr := range ep.Cidrs {
			parsePrefix(ps, fmt.Sprintf("%s.cidrs[%d]", k, i), cidr)
		}
	}
}

// validatePorts checks the container ports of a service and returns them by name.
func (w *Workloads) validatePorts(ps *Problems, k string, s Service) map[string]int {
	declared := map[string]int{}
	byNumber := map[int]string{}
	add := func(pk, name string, port int) {
		if port < 1024 || port > 65535 {
			ps.Addf(pk, "%d: use a port from 1024 to 65535 (containers run as non-root without capabilities)", port)
		}
		if other, dup := byNumber[port]; dup {
			ps.Addf(pk, "port %d is already used by port %q of this container", port, other)
		}
		byNumber[port] = name
		declared[name] = port
	}
	add(k+".port", "http", s.Port)
	if Java(s.Kind) {
		add(k+".managementPort", "management", s.ManagementPort)
	} else if s.ManagementPort != 0 {
		ps.Addf(k+".managementPort", "only gateways and backends (Spring Boot) have a management port")
	}
	for i, p := range s.Ports {
		pk := fmt.Sprintf("%s.ports[%d]", k, i)
		if msgs := isPortName(p.Name); msgs != "" {
			ps.Addf(pk+".name", "%q is not a port name: %s", p.Name, msgs)
		}
		if _, dup := declared[p.Name]; dup {
			ps.Addf(pk+".name", "port %q is declared twice", p.Name)
		}
		add(pk+".port", p.Name, p.Port)
	}
	return declared
}

// validateDependencies checks the declared calls and endpoints of a service.
func (w *Workloads) validateDependencies(ps *Problems, k, name string, s Service) {
	seen := map[string]bool{}
	for i, callee := range s.Calls {
		ik := fmt.Sprintf("%s.calls[%d]", k, i)
		target, ok := w.Catalog.Services[callee]
		switch {
		case seen[callee]:
			ps.Addf(ik, "%s is listed twice", callee)
		case callee == name:
			ps.Addf(ik, "a service does not call itself through the network policy; remove %s", callee)
		case !ok:
			ps.Addf(ik, "%q is not a service of the catalog", callee)
		case target.Kind == KindFrontend:
			ps.Addf(ik, "%s is a frontend, served to browsers only", callee)
		case s.Kind == KindFrontend:
			ps.Addf(ik, "a frontend (static nginx) calls no service")
		}
		seen[callee] = true
	}
	for i, ep := range s.Endpoints {
		ik := fmt.Sprintf("%s.endpoints[%d]", k, i)
		if _, ok := w.Catalog.Endpoints[ep]; !ok {
			ps.Addf(ik, "%q is not an endpoint of ack-platform:catalog.endpoints", ep)
		}
		if seen["endpoint:"+ep] {
			ps.Addf(ik, "%s is listed twice", ep)
		}
		seen["endpoint:"+ep] = true
	}
}

// validateShutdown checks the durations of a service together: the grace
// period must cover the preStop wait and the app's shutdown, and a Java
// service must keep serving until its callers' load-balancer caches
// dropped it.
func validateShutdown(ps *Problems, k string, s Service) {
	ok := true
	for _, d := range []struct {
		key string
		v   *int
	}{{"preStopSleepSeconds", s.PreStopSleepSeconds}, {"shutdownSeconds", s.ShutdownSeconds}, {"terminationGracePeriodSeconds", s.TerminationGracePeriodSeconds}, {"deregistration.loadBalancerCacheSeconds", s.Deregistration.LoadBalancerCacheSeconds}} {
		if d.v != nil && *d.v < 0 {
			ps.Addf(k+"."+d.key, "%d: a duration must not be negative", *d.v)
			ok = false
		}
	}
	if !ok {
		return
	}
	pre, shut, grace := *s.PreStopSleepSeconds, *s.ShutdownSeconds, *s.TerminationGracePeriodSeconds
	if grace <= pre {
		ps.Addf(k+".terminationGracePeriodSeconds", "%ds is not longer than the preStop sleep (%ds): the kubelet kills the pod before the app shuts down", grace, pre)
	} else if grace < pre+shut {
		ps.Addf(k+".terminationGracePeriodSeconds", "%ds is shorter than preStop sleep %ds + shutdown %ds", grace, pre, shut)
	}
	if !Java(s.Kind) {
		if s.Deregistration != (Deregistration{}) {
			ps.Addf(k+".deregistration", "only gateways and backends register in Nacos")
		}
		return
	}
	d := s.Deregistration
	switch d.Mode {
	case DeregisterHTTP:
		if !strings.HasPrefix(d.Path, "/") || strings.ContainsAny(d.Path, "?# ") {
			ps.Addf(k+".deregistration.path", "%q is not a path such as /actuator/nacos-deregister", d.Path)
		}
	case DeregisterExec:
		if d.Path != "" {
			ps.Addf(k+".deregistration.path", "only used with mode http")
		}
	default:
		ps.Addf(k+".deregistration.mode", "%q is not one of http, exec", d.Mode)
	}
	if ttl := *d.LoadBalancerCacheSeconds; pre < ttl {
		ps.Addf(k+".preStopSleepSeconds", "%ds is shorter than the callers' load-balancer cache (%ds, deregistration.loadBalancerCacheSeconds): they would keep sending requests to a stopped pod", pre, ttl)
	}
}
