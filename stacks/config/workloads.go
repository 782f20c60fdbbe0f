package config

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Workloads is the Kubernetes layer's configuration: the service catalog
// shared by every stack (project-level key ack-platform:catalog) and the
// per-stack environments, ingress and Nacos settings.
type Workloads struct {
	// Catalog: project-level key ack-platform:catalog.
	Catalog Catalog `json:"-"`
	// Environments: key ack-platform:environments, environment name → settings.
	Environments map[string]Environment `json:"-"`
	// Ingress: key ack-platform:ingress.
	Ingress Ingress `json:"-"`
	// Nacos: key ack-platform:nacos.
	Nacos Nacos `json:"-"`
}

// Service kinds. The kind decides the runtime (Spring Boot or nginx), the
// probes, the preStop hook and the place in the call chain.
const (
	// KindGateway is the Spring Cloud Gateway: the only public API entry.
	KindGateway = "gateway"
	// KindBackend is a Spring Boot service reached through Nacos by the gateway.
	KindBackend = "backend"
	// KindFrontend is an nginx image serving static files.
	KindFrontend = "frontend"
)

// Ingress controller modes.
const (
	// IngressManaged: the program installs ingress-nginx.
	IngressManaged = "managed"
	// IngressExisting: the cluster already runs a controller; the program
	// only creates Ingress objects of the given class.
	IngressExisting = "existing"
)

// Nacos modes.
const (
	NacosInCluster = "in-cluster"
	NacosExternal  = "external"
)

// Image pull modes of an environment.
const (
	// PullSecret: a dockerconfigjson Secret built from a secret config key.
	PullSecret = "secret"
	// PullCredentialHelper: the ACK add-on aliyun-acr-credential-helper
	// injects ACR credentials; no Secret is created.
	PullCredentialHelper = "credential-helper"
	// PullNone: the registry needs no credentials (public images, or nodes
	// that carry their own credentials).
	PullNone = "none"
)

// CredentialHelperAddon is the ACK add-on that PullCredentialHelper needs.
const CredentialHelperAddon = "aliyun-acr-credential-helper"

// Catalog lists every service of the system, the same in every stack.
type Catalog struct {
	// System is the app.kubernetes.io/part-of label. Default: the project name.
	System string `json:"system"`
	// Services maps a service name (a DNS-1123 label, also its Nacos service
	// name and image repository) to its definition.
	Services map[string]Service `json:"services"`
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
	// Port is the container port named "http". Default 8080 (non-root
	// containers cannot bind ports below 1024).
	Port int `json:"port,omitempty"`
	// Ports are extra named container ports.
	Ports []NamedPort `json:"ports,omitempty"`
	// Probes override the kind's defaults.
	Probes Probes `json:"probes,omitzero"`
	// Routes are the public entries of a gateway or frontend: a host label
	// (resolved per environment through its domain or hosts) and a path.
	Routes []Route `json:"routes,omitempty"`
	// Workload settings an environment may override.
	Settings
	// PreStopSleepSeconds keeps the pod serving after it is marked
	// terminating while ingress-nginx and Nacos clients drop it. Default 15.
	PreStopSleepSeconds int `json:"preStopSleepSeconds,omitempty"`
	// ShutdownSeconds is the app's own graceful shutdown time. Default 30
	// for Spring Boot (its timeout-per-shutdown-phase), 10 for nginx.
	ShutdownSeconds int `json:"shutdownSeconds,omitempty"`
	// TerminationGracePeriodSeconds must exceed preStop sleep + shutdown.
	// Default: their sum + 5.
	TerminationGracePeriodSeconds int `json:"terminationGracePeriodSeconds,omitempty"`
	// WritableDirs get an emptyDir each besides /tmp, since the root
	// filesystem is read-only.
	WritableDirs []string `json:"writableDirs,omitempty"`
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
	// Port is the name of a declared port. Default "http".
	Port string `json:"port,omitempty"`
}

// Route is a public entry of a service.
type Route struct {
	// Host is a host label such as "api" or "www", resolved per environment.
	Host string `json:"host"`
	// Path is a path prefix. Default "/".
	Path string `json:"path,omitempty"`
}

// Resources are container requests and limits as Kubernetes quantities.
type Resources struct {
	Requests ResourceList `json:"requests,omitzero"`
	Limits   ResourceList `json:"limits,omitzero"`
}

// ResourceList holds the three resources every container bounds.
type ResourceList struct {
	CPU              string `json:"cpu,omitempty"`
	Memory           string `json:"memory,omitempty"`
	EphemeralStorage string `json:"ephemeralStorage,omitempty"`
}

// HPA bounds a HorizontalPodAutoscaler.
type HPA struct {
	Min int `json:"min"`
	Max int `json:"max"`
	// CPUUtilization is the target average CPU in percent of requests. Default 70.
	CPUUtilization int `json:"cpuUtilization,omitempty"`
}

// Pdb is a PodDisruptionBudget; give one of the two.
type Pdb struct {
	MaxUnavailable *int `json:"maxUnavailable,omitempty"`
	MinAvailable   *int `json:"minAvailable,omitempty"`
}

// Environment is one namespace of a stack.
type Environment struct {
	// Namespace is the Kubernetes namespace. Default: the environment name.
	Namespace string `json:"namespace"`
	// Domain resolves a route host label h to h.<domain>.
	Domain string `json:"domain,omitempty"`
	// Hosts maps a route host label to a full host name, overriding Domain.
	Hosts map[string]string `json:"hosts,omitempty"`
	// Releases maps every catalog service to its image tag.
	Releases map[string]string `json:"releases"`
	// Overrides change catalog settings for this environment.
	Overrides map[string]Override `json:"overrides,omitempty"`
	// Routes are extra public entries, e.g. a second host for a frontend.
	Routes []ServiceRoute `json:"routes,omitempty"`
	// TLS overrides ingress.tls for this environment.
	TLS *TLS `json:"tls,omitempty"`
	// NetworkIsolation applies deny-by-default NetworkPolicies. Default true.
	NetworkIsolation *bool `json:"networkIsolation,omitempty"`
	// ImagePull is how pods authenticate to the registry.
	ImagePull ImagePull `json:"imagePull,omitzero"`
	// Quota caps the namespace. Default: the sum of every workload's maximum
	// replicas plus one surge pod, times its requests and limits.
	Quota *Quota `json:"quota,omitempty"`

	// Services is every catalog service with this environment's overrides
	// applied: filled by setDefaults, read by the stacks.
	Services map[string]ServiceSpec `json:"-"`
}

// Override changes a catalog service in one environment.
type Override struct {
	Settings
	// Image replaces the registry image with a full reference; it must still
	// live in the project's registry namespace and carry a tag.
	Image string `json:"image,omitempty"`
}

// ServiceRoute is an extra route of an environment.
type ServiceRoute struct {
	Route
	Service string `json:"service"`
}

// TLS names the secret config keys of a certificate and its key (PEM).
type TLS struct {
	CertKey string `json:"certKey"`
	KeyKey  string `json:"keyKey"`
}

// ImagePull configures registry credentials of an environment.
type ImagePull struct {
	// Mode is secret, credential-helper or none. Default: credential-helper
	// on the alicloud target, none on local.
	Mode string `json:"mode,omitempty"`
	// SecretKey is the secret config key holding a dockerconfigjson document (mode secret).
	SecretKey string `json:"secretKey,omitempty"`
}

// Quota is the namespace ResourceQuota.
type Quota struct {
	RequestsCPU    string `json:"requestsCpu"`
	RequestsMemory string `json:"requestsMemory"`
	LimitsCPU      string `json:"limitsCpu"`
	LimitsMemory   string `json:"limitsMemory"`
	// RequestsStorage caps persistent volume claims. Default 200Gi.
	RequestsStorage string `json:"requestsStorage"`
	Pods            int    `json:"pods"`
}

// Ingress configures the ingress controller.
type Ingress struct {
	// Controller is managed (default) or existing.
	Controller string `json:"controller"`
	// Class is the IngressClass name. Default nginx.
	Class string `json:"class"`
	// Namespace of the controller (managed: created; existing: where it
	// runs, the source the environments' NetworkPolicies allow). Default ingress-nginx.
	Namespace string `json:"namespace"`
	// Image of the controller. Default registry.k8s.io/ingress-nginx/controller.
	Image string `json:"image"`
	// Version pins the controller image tag. Default v1.12.1.
	Version string `json:"version"`
	// Replicas of the controller. Default 2, prod 3.
	Replicas int `json:"replicas"`
	// Resources of the controller container.
	Resources Resources `json:"resources,omitzero"`
	// TLS is the default certificate of every environment.
	TLS *TLS `json:"tls,omitempty"`
	// SSLRedirect sends HTTP to HTTPS where a host has TLS. Default true.
	SSLRedirect *bool `json:"sslRedirect,omitempty"`
}

// Nacos configures service discovery.
type Nacos struct {
	// Mode is in-cluster (default: one Nacos per environment namespace) or external.
	Mode string `json:"mode"`
	// Replicas: 3 (cluster mode) on prod, 1 (standalone) elsewhere.
	Replicas int `json:"replicas"`
	// Repository of the image in the project's registry namespace (mirrored
	// from nacos/nacos-server). Default nacos-server.
	Repository string `json:"repository"`
	// Version is the image tag. Default v2.4.3.
	Version string `json:"version"`
	// StorageSize of each member's disk. Default 20Gi (the ESSD minimum on ACK).
	StorageSize string `json:"storageSize"`
	// StorageClass. Default alicloud-disk-essd on the alicloud target, the
	// cluster default on local.
	StorageClass string `json:"storageClass"`
	// Resources of a member.
	Resources Resources `json:"resources,omitzero"`
	// External maps an environment to its external Nacos (mode external).
	External map[string]ExternalNacos `json:"external,omitempty"`
}

// ExternalNacos is a Nacos outside the cluster, e.g. MSE.
type ExternalNacos struct {
	// Address is host:port of the HTTP API (8848); gRPC is port+1000.
	Address string `json:"address"`
	// Cidr is where it lives, for the egress NetworkPolicy.
	Cidr string `json:"cidr"`
}

// ServiceSpec is a catalog service resolved for one environment.
type ServiceSpec struct {
	Name        string
	Kind        string
	Description string
	// Image is the full reference when an override gives one; otherwise
	// empty and the stack builds <registry>/<namespace>/<Repository>:<Tag>.
	Image      string
	Repository string
	Tag        string
	Port       int
	Ports      []NamedPort
	Probes     Probes
	// Routes with hosts resolved for the environment.
	Routes                        []HostRoute
	Replicas                      int
	Autoscaling                   *HPA
	Resources                     Resources
	Env                           map[string]string
	SecretEnv                     map[string]string
	Pdb                           Pdb
	PreStopSleepSeconds           int
	ShutdownSeconds               int
	TerminationGracePeriodSeconds int
	WritableDirs                  []string

	// keys maps a field to the config key it came from, for problems.
	keys map[string]string
}

// HostRoute is a resolved route.
type HostRoute struct {
	Host, Path string
}

func (w *Workloads) decode(ps *Problems, r Reader) {
	decode(ps, r, "catalog", &w.Catalog)
	decode(ps, r, "environments", &w.Environments)
	decode(ps, r, "ingress", &w.Ingress)
	decode(ps, r, "nacos", &w.Nacos)
}

// Defaults by kind.
var kindDefaults = map[string]struct {
	resources Resources
	probes    Probes
	shutdown  int
}{
	// A JVM's memory request equals its limit: the heap is sized from the
	// limit (MaxRAMPercentage), and a node overcommitted on memory kills it.
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

// Spring Boot actuator's probe groups: readiness follows the app's
// dependencies, liveness only its own state, so a slow database never
// restarts every pod.
var springProbes = Probes{
	Readiness: &Probe{Path: "/actuator/health/readiness", Port: "http"},
	Liveness:  &Probe{Path: "/actuator/health/liveness", Port: "http"},
	Startup:   &Probe{Path: "/actuator/health/liveness", Port: "http"},
}

func (w *Workloads) setDefaults(c *Config) {
	prod := c.Tier == TierProd
	if w.Catalog.System == "" {
		w.Catalog.System = c.Project
	}
	for name, s := range w.Catalog.Services {
		d, known := kindDefaults[s.Kind]
		if s.Repository == "" {
			s.Repository = name
		}
		if s.Port == 0 {
			// Non-root containers cannot bind below 1024.
			s.Port = 8080
		}
		if known {
			s.Probes.Readiness = orProbe(s.Probes.Readiness, d.probes.Readiness)
			s.Probes.Liveness = orProbe(s.Probes.Liveness, d.probes.Liveness)
			s.Probes.Startup = orProbe(s.Probes.Startup, d.probes.Startup)
			s.Resources = mergeResources(d.resources, s.Resources)
			if s.ShutdownSeconds == 0 {
				s.ShutdownSeconds = d.shutdown
			}
		}
		for i := range s.Routes {
			if s.Routes[i].Path == "" {
				s.Routes[i].Path = "/"
			}
		}
		if s.PreStopSleepSeconds == 0 {
			// ingress-nginx and Nacos clients need a few seconds to drop a
			// terminating pod; until then it must keep serving.
			s.PreStopSleepSeconds = 15
		}
		if s.TerminationGracePeriodSeconds == 0 {
			s.TerminationGracePeriodSeconds = s.PreStopSleepSeconds + s.ShutdownSeconds + 5
		}
		w.Catalog.Services[name] = s
	}

	in := &w.Ingress
	if in.Controller == "" {
		in.Controller = IngressManaged
	}
	if in.Class == "" {
		in.Class = "nginx"
	}
	if in.Namespace == "" {
		in.Namespace = "ingress-nginx"
	}
	if in.Image == "" {
		in.Image = "registry.k8s.io/ingress-nginx/controller"
	}
	if in.Version == "" {
		in.Version = "v1.12.1"
	}
	if in.Replicas == 0 {
		// Two controllers survive a node drain; prod spreads three over its zones.
		in.Replicas = 2
		if prod {
			in.Replicas = 3
		}
	}
	in.Resources = mergeResources(Resources{ResourceList{"100m", "256Mi", "256Mi"}, ResourceList{"1", "512Mi", "1Gi"}}, in.Resources)
	if in.SSLRedirect == nil {
		in.SSLRedirect = ptr(true)
	}

	n := &w.Nacos
	if n.Mode == "" {
		n.Mode = NacosInCluster
	}
	if n.Replicas == 0 {
		// Cluster mode needs a Raft majority that survives one member loss.
		n.Replicas = 1
		if prod {
			n.Replicas = 3
		}
	}
	if n.Repository == "" {
		n.Repository = "nacos-server"
	}
	if n.Version == "" {
		n.Version = "v2.4.3"
	}
	if n.StorageSize == "" {
		// 20Gi is the smallest ESSD ACK provisions.
		n.StorageSize = "20Gi"
	}
	if n.StorageClass == "" && c.Target == TargetAlicloud {
		n.StorageClass = "alicloud-disk-essd"
	}
	n.Resources = mergeResources(Resources{ResourceList{"250m", "1Gi", "512Mi"}, ResourceList{"1", "1Gi", "2Gi"}}, n.Resources)

	for envName, e := range w.Environments {
		if e.Namespace == "" {
			e.Namespace = envName
		}
		if e.TLS == nil {
			e.TLS = in.TLS
		}
		if e.NetworkIsolation == nil {
			e.NetworkIsolation = ptr(true)
		}
		if e.ImagePull.Mode == "" {
			e.ImagePull.Mode = PullNone
			if c.Target == TargetAlicloud {
				// ACR needs credentials even from the VPC; the add-on
				// refreshes them, so no long-lived password sits in a Secret.
				e.ImagePull.Mode = PullCredentialHelper
			}
		}
		e.Services = map[string]ServiceSpec{}
		for name, s := range w.Catalog.Services {
			e.Services[name] = resolve(c, envName, e, name, s)
		}
		if e.Quota == nil {
			e.Quota = defaultQuota(e.Services, n, c)
		}
		w.Environments[envName] = e
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
	if p.Port == "" {
		p.Port = "http"
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

// resolve applies an environment's release and overrides to a catalog service.
func resolve(c *Config, envName string, e Environment, name string, s Service) ServiceSpec {
	ck := key("catalog.services." + name)
	ek := key("environments." + envName)
	ok := ek + ".overrides." + name
	spec := ServiceSpec{
		Name: name, Kind: s.Kind, Description: s.Description, Repository: s.Repository,
		Tag: e.Releases[name], Port: s.Port, Ports: s.Ports, Probes: s.Probes,
		Resources: s.Resources, Autoscaling: s.Autoscaling,
		Env: maps.Clone(s.Env), SecretEnv: maps.Clone(s.SecretEnv),
		PreStopSleepSeconds: s.PreStopSleepSeconds, ShutdownSeconds: s.ShutdownSeconds,
		TerminationGracePeriodSeconds: s.TerminationGracePeriodSeconds, WritableDirs: s.WritableDirs,
		keys: map[string]string{
			"replicas": ck + ".replicas", "autoscaling": ck + ".autoscaling", "resources": ck + ".resources",
			"pdb": ck + ".pdb", "tag": ek + ".releases." + name, "image": ok + ".image",
			"catalog": ck, "override": ok,
		},
	}
	replicasSet := s.Replicas != nil
	if s.Replicas != nil {
		spec.Replicas = *s.Replicas
	}
	if s.Pdb != nil {
		spec.Pdb = *s.Pdb
	}
	if o, has := e.Overrides[name]; has {
		if o.Replicas != nil {
			spec.Replicas, replicasSet = *o.Replicas, true
			spec.keys["replicas"] = ok + ".replicas"
		}
		if o.Autoscaling != nil {
			spec.Autoscaling = o.Autoscaling
			spec.keys["autoscaling"] = ok + ".autoscaling"
			if o.Replicas == nil && s.Replicas != nil {
				// An environment that turns on autoscaling hands the
				// replica count over to the HPA.
				spec.Replicas, replicasSet = 0, false
			}
		}
		if o.Resources != (Resources{}) {
			spec.Resources = mergeResources(spec.Resources, o.Resources)
			spec.keys["resources"] = ok + ".resources"
		}
		if o.Pdb != nil {
			spec.Pdb = *o.Pdb
			spec.keys["pdb"] = ok + ".pdb"
		}
		if spec.Env == nil {
			spec.Env = map[string]string{}
		}
		maps.Copy(spec.Env, o.Env)
		if spec.SecretEnv == nil {
			spec.SecretEnv = map[string]string{}
		}
		maps.Copy(spec.SecretEnv, o.SecretEnv)
		spec.Image = o.Image
	}
	if spec.Autoscaling != nil {
		a := *spec.Autoscaling
		if a.CPUUtilization == 0 {
			a.CPUUtilization = 70
		}
		spec.Autoscaling = &a
	}
	if !replicasSet && spec.Autoscaling == nil {
		spec.Replicas = 1
		if c.Tier == TierProd {
			// One replica cannot survive a node drain.
			spec.Replicas = 2
		}
	}
	if !replicasSet {
		spec.keys["replicas"] = ""
	}
	if spec.Pdb.MaxUnavailable == nil && spec.Pdb.MinAvailable == nil {
		// Lets a drain evict one pod at a time, never blocks it.
		spec.Pdb.MaxUnavailable = ptr(1)
	}
	for _, r := range s.Routes {
		spec.Routes = append(spec.Routes, HostRoute{Host: resolveHost(e, r.Host), Path: r.Path})
	}
	for _, r := range e.Routes {
		if r.Service == name {
			p := r.Path
			if p == "" {
				p = "/"
			}
			spec.Routes = append(spec.Routes, HostRoute{Host: resolveHost(e, r.Host), Path: p})
		}
	}
	return spec
}

// resolveHost maps a route's host label to a host name; "" when the
// environment gives neither a host nor a domain.
func resolveHost(e Environment, label string) string {
	if h, ok := e.Hosts[label]; ok {
		return h
	}
	if strings.Contains(label, ".") {
		return label
	}
	if e.Domain == "" {
		return ""
	}
	return label + "." + e.Domain
}

// MaxReplicas is the most pods the service runs outside a rollout.
func (s ServiceSpec) MaxReplicas() int {
	if s.Autoscaling != nil {
		return s.Autoscaling.Max
	}
	return s.Replicas
}

// MinReplicas is the fewest pods the service runs.
func (s ServiceSpec) MinReplicas() int {
	if s.Autoscaling != nil {
		return s.Autoscaling.Min
	}
	return s.Replicas
}

func defaultQuota(services map[string]ServiceSpec, n *Nacos, c *Config) *Quota {
	// Summed in whole units: a float sum would depend on the map order and
	// flip the rounded total between runs, a diff on every preview.
	var reqCPU, reqMem, limCPU, limMem int64
	pods := 0
	add := func(count int, r Resources) {
		n := int64(count)
		reqCPU += n * milliCPU(r.Requests.CPU)
		reqMem += n * mebibytes(r.Requests.Memory)
		limCPU += n * milliCPU(r.Limits.CPU)
		limMem += n * mebibytes(r.Limits.Memory)
		pods += count
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		// One surge pod per Deployment during a rollout.
		add(services[name].MaxReplicas()+1, services[name].Resources)
	}
	if n.Mode == NacosInCluster {
		add(n.Replicas, n.Resources)
	}
	return &Quota{
		RequestsCPU: formatMilli(reqCPU), RequestsMemory: formatMi(reqMem),
		LimitsCPU: formatMilli(limCPU), LimitsMemory: formatMi(limMem),
		RequestsStorage: "200Gi",
		// Headroom for jobs and debugging pods.
		Pods: pods + 10,
	}
}

func (w *Workloads) validate(ps *Problems, c *Config, r Reader) {
	prod := c.Tier == TierProd
	ck := key("catalog")
	if len(w.Catalog.Services) == 0 {
		ps.Addf(ck+".services", "the catalog lists no service")
	}
	checkLabel(ps, ck+".system", w.Catalog.System)
	gateways := 0
	for _, name := range slices.Sorted(maps.Keys(w.Catalog.Services)) {
		s := w.Catalog.Services[name]
		k := ck + ".services." + name
		checkLabel(ps, k, name)
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
		checkPort(ps, k+".port", s.Port)
		declared := map[string]int{"http": s.Port}
		for i, p := range s.Ports {
			pk := fmt.Sprintf("%s.ports[%d]", k, i)
			if len(p.Name) > 15 || !dns1123Label.MatchString(p.Name) {
				ps.Addf(pk+".name", "%q is not a port name (a DNS-1123 label of at most 15 characters)", p.Name)
			}
			if _, dup := declared[p.Name]; dup {
				ps.Addf(pk+".name", "port %q is declared twice", p.Name)
			}
			checkPort(ps, pk+".port", p.Port)
			declared[p.Name] = p.Port
		}
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
			ps.Addf(k+".routes", "a backend is reached through the gateway only; route to the gateway instead")
		}
		if (s.Kind == KindGateway || s.Kind == KindFrontend) && len(s.Routes) == 0 {
			ps.Addf(k+".routes", "a %s needs at least one route", s.Kind)
		}
		for i, rt := range s.Routes {
			checkRoute(ps, fmt.Sprintf("%s.routes[%d]", k, i), rt)
		}
		if s.TerminationGracePeriodSeconds <= s.PreStopSleepSeconds {
			ps.Addf(k+".terminationGracePeriodSeconds", "%ds is not longer than the preStop sleep (%ds): the kubelet kills the pod before the app shuts down", s.TerminationGracePeriodSeconds, s.PreStopSleepSeconds)
		} else if s.TerminationGracePeriodSeconds < s.PreStopSleepSeconds+s.ShutdownSeconds {
			ps.Addf(k+".terminationGracePeriodSeconds", "%ds is shorter than preStop sleep %ds + shutdown %ds", s.TerminationGracePeriodSeconds, s.PreStopSleepSeconds, s.ShutdownSeconds)
		}
		if s.PreStopSleepSeconds < 0 || s.ShutdownSeconds < 0 {
			ps.Addf(k+".preStopSleepSeconds", "durations must not be negative")
		}
		for i, d := range s.WritableDirs {
			if !strings.HasPrefix(d, "/") || d == "/" {
				ps.Addf(fmt.Sprintf("%s.writableDirs[%d]", k, i), "%q is not an absolute directory below /", d)
			}
		}
		checkSettings(ps, k, s.Settings, r)
	}
	if len(w.Catalog.Services) > 0 && gateways != 1 {
		ps.Addf(ck+".services", "%d gateways: the call chain has exactly one API entry", gateways)
	}

	w.validateIngress(ps, c, r)
	w.validateNacos(ps, c)

	ek := key("environments")
	if len(w.Environments) == 0 {
		ps.Addf(ek, "define at least one environment")
	}
	namespaces := map[string]string{}
	for _, envName := range slices.Sorted(maps.Keys(w.Environments)) {
		e := w.Environments[envName]
		k := ek + "." + envName
		checkLabel(ps, k, envName)
		checkLabel(ps, k+".namespace", e.Namespace)
		if other, dup := namespaces[e.Namespace]; dup {
			ps.Addf(k+".namespace", "namespace %q is already used by environment %s: environments are isolated by namespace", e.Namespace, other)
		}
		namespaces[e.Namespace] = envName
		if e.Namespace == w.Ingress.Namespace || strings.HasPrefix(e.Namespace, "kube-") || e.Namespace == "default" {
			ps.Addf(k+".namespace", "%q is reserved for the cluster or the ingress controller", e.Namespace)
		}
		if e.Domain != "" && !isDNSName(e.Domain) {
			ps.Addf(k+".domain", "%q is not a DNS name", e.Domain)
		}
		for label, h := range e.Hosts {
			if !isDNSName(h) {
				ps.Addf(k+".hosts."+label, "%q is not a DNS name", h)
			}
		}
		for svc, tag := range e.Releases {
			if _, ok := w.Catalog.Services[svc]; !ok {
				ps.Addf(k+".releases."+svc, "release tag %q for service %q, which is not in the catalog (ack-platform:catalog)", tag, svc)
			}
		}
		for svc := range e.Overrides {
			if _, ok := w.Catalog.Services[svc]; !ok {
				ps.Addf(k+".overrides."+svc, "override for service %q, which is not in the catalog", svc)
			}
		}
		for i, rt := range e.Routes {
			rk := fmt.Sprintf("%s.routes[%d]", k, i)
			s, ok := w.Catalog.Services[rt.Service]
			switch {
			case !ok:
				ps.Addf(rk+".service", "route to unknown service %q (not in the catalog)", rt.Service)
			case s.Kind == KindBackend:
				ps.Addf(rk+".service", "%s is a backend, reached through the gateway only", rt.Service)
			}
			checkRoute(ps, rk, rt.Route)
		}
		w.validateTLS(ps, c, k, e, r)
		if *e.NetworkIsolation && c.Platform != nil && c.Platform.Cluster.Cni == CniFlannel {
			ps.Addf(k+".networkIsolation", "the cluster's CNI is flannel, which does not enforce NetworkPolicy: use terway-eniip (ack-platform:platform.cluster.cni) or set networkIsolation false knowingly")
		}
		if prod && !*e.NetworkIsolation {
			ps.Addf(k+".networkIsolation", "prod keeps deny-by-default NetworkPolicies")
		}
		switch e.ImagePull.Mode {
		case PullSecret:
			checkSecretKey(ps, k+".imagePull.secretKey", e.ImagePull.SecretKey, r)
		case PullCredentialHelper:
			if c.Target == TargetLocal {
				ps.Addf(k+".imagePull.mode", "the ACR credential helper is an ACK add-on; the local target uses secret or none")
			} else if c.Platform != nil && !slices.ContainsFunc(c.Platform.Cluster.Addons, func(a Addon) bool { return isHelper(a.Name) }) {
				ps.Addf(k+".imagePull.mode", "credential-helper needs the %s add-on in ack-platform:platform.cluster.addons", CredentialHelperAddon)
			}
		case PullNone:
		default:
			ps.Addf(k+".imagePull.mode", "%q is not one of secret, credential-helper, none", e.ImagePull.Mode)
		}
		if e.ImagePull.Mode != PullSecret && e.ImagePull.SecretKey != "" {
			ps.Addf(k+".imagePull.secretKey", "only used with mode secret")
		}
		w.validateQuota(ps, k+".quota", *e.Quota)
		for ovName, o := range e.Overrides {
			if _, ok := w.Catalog.Services[ovName]; ok {
				checkSettings(ps, k+".overrides."+ovName, o.Settings, r)
			}
		}
		routes := map[HostRoute]string{}
		for _, svc := range slices.Sorted(maps.Keys(e.Services)) {
			w.validateSpec(ps, c, k, e.Services[svc], routes)
		}
	}
}

// validateSpec checks a service as resolved for one environment.
func (w *Workloads) validateSpec(ps *Problems, c *Config, ek string, s ServiceSpec, routes map[HostRoute]string) {
	prod := c.Tier == TierProd
	keyOf := func(field string) string {
		if k := s.keys[field]; k != "" {
			return k
		}
		return s.keys["catalog"] + "." + field
	}
	switch tag := s.Tag; {
	case s.Image != "":
		checkImage(ps, keyOf("image"), s.Image, c)
	case tag == "":
		ps.Addf(keyOf("tag"), "no release tag for %s: every catalog service needs an image tag in every environment", s.Name)
	case tag == "latest":
		ps.Addf(keyOf("tag"), "`latest` is not a release: pin a version tag so a rollout and a rollback are reviewed changes")
	case !imageTagRE.MatchString(tag):
		ps.Addf(keyOf("tag"), "%q is not an image tag", tag)
	}
	if s.Autoscaling != nil {
		a := s.Autoscaling
		if s.keys["replicas"] != "" {
			ps.Addf(s.keys["replicas"], "replicas is set while autoscaling (%s) owns the replica count; remove one", keyOf("autoscaling"))
		}
		if a.Min < 1 || a.Max < a.Min {
			ps.Addf(keyOf("autoscaling"), "min %d / max %d: need 1 <= min <= max", a.Min, a.Max)
		}
		if prod && a.Min < 2 {
			ps.Addf(keyOf("autoscaling")+".min", "%d: prod runs at least 2 replicas", a.Min)
		}
		if a.CPUUtilization < 1 || a.CPUUtilization > 100 {
			ps.Addf(keyOf("autoscaling")+".cpuUtilization", "%d is outside 1-100", a.CPUUtilization)
		}
	} else {
		switch {
		case s.Replicas < 1:
			ps.Addf(keyOf("replicas"), "%d: at least 1 replica", s.Replicas)
		case prod && s.Replicas < 2:
			ps.Addf(keyOf("replicas"), "%d: prod runs at least 2 replicas so a node drain or a rollout never takes the service down", s.Replicas)
		}
	}
	if p := s.Pdb; p.MaxUnavailable != nil && p.MinAvailable != nil {
		ps.Addf(keyOf("pdb"), "give maxUnavailable or minAvailable, not both")
	} else if p.MaxUnavailable != nil && *p.MaxUnavailable < 1 {
		ps.Addf(keyOf("pdb")+".maxUnavailable", "%d blocks every voluntary disruption (node drains, upgrades): use at least 1", *p.MaxUnavailable)
	} else if p.MinAvailable != nil && *p.MinAvailable >= s.MinReplicas() {
		ps.Addf(keyOf("pdb")+".minAvailable", "%d with %d replica(s) blocks every voluntary disruption: keep it below the replica count", *p.MinAvailable, s.MinReplicas())
	}
	checkResources(ps, keyOf("resources"), s.Resources)
	for _, rt := range s.Routes {
		if rt.Host == "" {
			ps.Addf(ek+".domain", "%s has a route whose host label has no host in this environment: set domain or hosts", s.Name)
			continue
		}
		if other, dup := routes[rt]; dup {
			ps.Addf(ek+".routes", "%s%s is routed twice (to %s and %s)", rt.Host, rt.Path, other, s.Name)
		}
		routes[rt] = s.Name
	}
}

var imageTagRE = mustRE(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

func (w *Workloads) validateIngress(ps *Problems, c *Config, r Reader) {
	in := w.Ingress
	k := key("ingress")
	switch in.Controller {
	case IngressManaged, IngressExisting:
	default:
		ps.Addf(k+".controller", "%q is not one of managed, existing", in.Controller)
	}
	checkLabel(ps, k+".namespace", in.Namespace)
	checkLabel(ps, k+".class", in.Class)
	if in.Controller == IngressManaged {
		if strings.Contains(in.Image[strings.LastIndex(in.Image, "/")+1:], ":") {
			ps.Addf(k+".image", "give the image without a tag; the tag is ingress.version")
		}
		if in.Version == "" || in.Version == "latest" {
			ps.Addf(k+".version", "pin the controller version, e.g. v1.12.1")
		}
		if in.Replicas < 1 || (c.Tier == TierProd && in.Replicas < 2) {
			ps.Addf(k+".replicas", "%d: at least 1, prod at least 2", in.Replicas)
		}
		checkResources(ps, k+".resources", in.Resources)
	}
	if in.TLS != nil {
		checkTLS(ps, k+".tls", *in.TLS, r)
	}
}

func (w *Workloads) validateTLS(ps *Problems, c *Config, k string, e Environment, r Reader) {
	if e.TLS == nil {
		if c.Tier == TierProd {
			ps.Addf(k+".tls", "prod serves HTTPS only: set ingress.tls or this environment's tls")
		}
		return
	}
	if w.Ingress.TLS == nil || *e.TLS != *w.Ingress.TLS {
		checkTLS(ps, k+".tls", *e.TLS, r)
	}
}

func checkTLS(ps *Problems, k string, t TLS, r Reader) {
	checkSecretKey(ps, k+".certKey", t.CertKey, r)
	checkSecretKey(ps, k+".keyKey", t.KeyKey, r)
}

// checkSecretKey makes sure a reference names a config key that is set as a
// secret: a plaintext value would sit in Pulumi.<stack>.yaml and in git.
func checkSecretKey(ps *Problems, k, ref string, r Reader) {
	switch {
	case ref == "":
		ps.Addf(k, "name the secret config key")
	case !configKeyRE.MatchString(ref):
		ps.Addf(k, "%q is not a config key name of the ack-platform namespace", ref)
	case r.Get(ref) == "":
		ps.Addf(k, "config key %s is not set: `pulumi config set --secret %s ...`", key(ref), ref)
	case !r.Secret(ref):
		ps.Addf(k, "config key %s is set in plaintext; set it with `pulumi config set --secret %s` so it is encrypted", key(ref), ref)
	}
}

var configKeyRE = mustRE(`^[A-Za-z][A-Za-z0-9_-]*$`)

func (w *Workloads) validateNacos(ps *Problems, c *Config) {
	n := w.Nacos
	k := key("nacos")
	switch n.Mode {
	case NacosInCluster:
		checkRepoPath(ps, k+".repository", n.Repository)
		if n.Version == "" || n.Version == "latest" || !imageTagRE.MatchString(n.Version) {
			ps.Addf(k+".version", "%q: pin a Nacos image tag such as v2.4.3", n.Version)
		}
		if n.Replicas != 1 && n.Replicas < 3 {
			ps.Addf(k+".replicas", "%d: 1 (standalone) or at least 3 (cluster mode needs a Raft majority)", n.Replicas)
		}
		if c.Tier == TierProd && n.Replicas < 3 {
			ps.Addf(k+".replicas", "%d: prod runs Nacos in cluster mode with at least 3 members", n.Replicas)
		}
		if v, err := ParseQuantity(n.StorageSize); err != nil {
			ps.Addf(k+".storageSize", "%v", err)
		} else if c.Target == TargetAlicloud && v < 20*(1<<30) {
			ps.Addf(k+".storageSize", "%s is below 20Gi, the smallest ESSD disk ACK provisions", n.StorageSize)
		}
		checkResources(ps, k+".resources", n.Resources)
		if len(n.External) > 0 {
			ps.Addf(k+".external", "only used with mode external")
		}
	case NacosExternal:
		for envName := range w.Environments {
			if _, ok := n.External[envName]; !ok {
				ps.Addf(k+".external."+envName, "mode external: give the Nacos address of environment %s", envName)
			}
		}
		for envName, x := range n.External {
			xk := k + ".external." + envName
			e, ok := w.Environments[envName]
			if !ok {
				ps.Addf(xk, "unknown environment %q (not in ack-platform:environments)", envName)
			}
			host, port, err := net.SplitHostPort(x.Address)
			if _, perr := strconv.Atoi(port); err != nil || perr != nil || host == "" {
				ps.Addf(xk+".address", "%q is not host:port", x.Address)
			}
			if ok && *e.NetworkIsolation {
				if _, err := netip.ParsePrefix(x.Cidr); err != nil {
					ps.Addf(xk+".cidr", "%q: give the CIDR block of the external Nacos so the egress NetworkPolicy can allow it", x.Cidr)
				}
			}
		}
	default:
		ps.Addf(k+".mode", "%q is not one of in-cluster, external", n.Mode)
	}
}

func (w *Workloads) validateQuota(ps *Problems, k string, q Quota) {
	for f, v := range map[string]string{"requestsCpu": q.RequestsCPU, "requestsMemory": q.RequestsMemory, "limitsCpu": q.LimitsCPU, "limitsMemory": q.LimitsMemory, "requestsStorage": q.RequestsStorage} {
		if _, err := ParseQuantity(v); err != nil {
			ps.Addf(k+"."+f, "%v", err)
		}
	}
	if q.Pods < 1 {
		ps.Addf(k+".pods", "%d: at least 1", q.Pods)
	}
}

// checkSettings checks the values of a catalog entry or an override that
// can be checked on their own.
func checkSettings(ps *Problems, k string, s Settings, r Reader) {
	if s.Replicas != nil && s.Autoscaling != nil {
		ps.Addf(k+".replicas", "replicas is set while autoscaling owns the replica count; remove one")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Env)) {
		if !envNameRE.MatchString(name) {
			ps.Addf(k+".env."+name, "%q is not an environment variable name", name)
		}
		if LooksSecret(name) {
			ps.Addf(k+".env."+name, "looks like a credential given as plain config: move it to secretEnv, referencing a key set with `pulumi config set --secret`")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.SecretEnv)) {
		if !envNameRE.MatchString(name) {
			ps.Addf(k+".secretEnv."+name, "%q is not an environment variable name", name)
		}
		if _, dup := s.Env[name]; dup {
			ps.Addf(k+".secretEnv."+name, "also set in env")
		}
		checkSecretKey(ps, k+".secretEnv."+name, s.SecretEnv[name], r)
	}
}

var envNameRE = mustRE(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkResources requires every request and limit, parseable, requests not above limits.
func checkResources(ps *Problems, k string, res Resources) {
	type pair struct{ name, req, lim string }
	for _, p := range []pair{
		{"cpu", res.Requests.CPU, res.Limits.CPU},
		{"memory", res.Requests.Memory, res.Limits.Memory},
		{"ephemeralStorage", res.Requests.EphemeralStorage, res.Limits.EphemeralStorage},
	} {
		rq, rerr := ParseQuantity(p.req)
		if rerr != nil {
			ps.Addf(k+".requests."+p.name, "%v", rerr)
		}
		lm, lerr := ParseQuantity(p.lim)
		if lerr != nil {
			ps.Addf(k+".limits."+p.name, "%v", lerr)
		}
		if rerr == nil && lerr == nil {
			if rq > lm {
				ps.Addf(k+".requests."+p.name, "request %s is above the limit %s", p.req, p.lim)
			}
			if rq == 0 || lm == 0 {
				ps.Addf(k+".requests."+p.name, "requests and limits must be above zero")
			}
		}
	}
}

func checkRoute(ps *Problems, k string, rt Route) {
	if rt.Host == "" || !(dns1123Label.MatchString(rt.Host) || isDNSName(rt.Host)) {
		ps.Addf(k+".host", "%q is not a host label such as api or www", rt.Host)
	}
	if rt.Path != "" && (!strings.HasPrefix(rt.Path, "/") || strings.ContainsAny(rt.Path, " ?#")) {
		ps.Addf(k+".path", "%q is not a path prefix such as / or /admin", rt.Path)
	}
}

func checkPort(ps *Problems, k string, p int) {
	if p < 1024 || p > 65535 {
		ps.Addf(k, "%d: use a port from 1024 to 65535 (containers run as non-root without capabilities)", p)
	}
}

func checkRepoPath(ps *Problems, k, repo string) {
	for _, part := range strings.Split(repo, "/") {
		if !repoRE.MatchString(part) {
			ps.Addf(k, "%q is not an image repository name (lower case, digits, '.', '_', '-')", repo)
			return
		}
	}
}

var repoRE = mustRE(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// checkImage checks a full image reference given by an override: tagged,
// not latest, and from the project's registry and namespace.
func checkImage(ps *Problems, k, image string, c *Config) {
	slash := strings.Index(image, "/")
	if slash < 0 {
		ps.Addf(k, "%q has no registry: images come from the project's registry (%s/%s)", image, c.Registry.Endpoint, c.Registry.Namespace)
		return
	}
	host, rest := image[:slash], image[slash+1:]
	if at := strings.Index(rest, "@"); at >= 0 {
		rest = rest[:at] + ":digest"
	}
	colon := strings.LastIndex(rest, ":")
	repo, tag := rest, ""
	if colon >= 0 {
		repo, tag = rest[:colon], rest[colon+1:]
	}
	switch {
	case tag == "":
		ps.Addf(k, "%q has no tag: pin a version tag", image)
	case tag == "latest":
		ps.Addf(k, "%q uses `latest`: pin a version tag", image)
	}
	ownHost := c.Registry.Endpoint == "" || host == c.Registry.Endpoint ||
		host == strings.Replace(c.Registry.Endpoint, "registry-vpc.", "registry.", 1) ||
		host == strings.Replace(c.Registry.Endpoint, "-registry-vpc.", "-registry.", 1)
	if !ownHost || !strings.HasPrefix(repo, c.Registry.Namespace+"/") {
		ps.Addf(k, "%q is not in the project's registry %s/%s: push the image there so every stack pulls reviewed images from one place", image, orDefault(c.Registry.Endpoint, "<registry>"), c.Registry.Namespace)
	}
}

// isDNSName reports a host name of dot-separated DNS-1123 labels.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if len(l) > 63 || !dns1123Label.MatchString(l) {
			return false
		}
	}
	return true
}

func mustRE(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// ImageNames lists the image repositories the stack pulls from the
// project's registry (one ACR repository each), sorted: every catalog
// service's, and Nacos' when it runs in the cluster.
func (w Workloads) ImageNames() []string {
	set := map[string]bool{}
	for _, s := range w.Catalog.Services {
		set[s.Repository] = true
	}
	if w.Nacos.Mode == NacosInCluster {
		set[w.Nacos.Repository] = true
	}
	return slices.Sorted(maps.Keys(set))
}
