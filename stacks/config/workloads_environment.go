package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
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
	// Endpoints give the addresses of catalog endpoints in this
	// environment (its own database, its own Redis).
	Endpoints map[string]EnvironmentEndpoint `json:"endpoints,omitempty"`
	// SpringProfiles is SPRING_PROFILES_ACTIVE of every Java service.
	// Default: the environment name.
	SpringProfiles string `json:"springProfiles,omitempty"`
	// TLS overrides ingress.tls for this environment.
	TLS *TLS `json:"tls,omitempty"`
	// NetworkIsolation applies deny-by-default NetworkPolicies. Default true.
	NetworkIsolation *bool `json:"networkIsolation,omitempty"`
	// ImagePull is how pods authenticate to the registry.
	ImagePull ImagePull `json:"imagePull,omitzero"`
	// Quota caps the namespace. Default: what the environment deploys at
	// its maximum replicas, plus the rollout surge and the pods still
	// terminating (see RolloutHeadroom).
	Quota *Quota `json:"quota,omitempty"`
	// LimitRange bounds every container of the namespace.
	LimitRange LimitRange `json:"limitRange,omitzero"`
	// Observability turns on log shipping to SLS and metrics scraping.
	Observability Observability `json:"observability,omitzero"`

	// Services is every catalog service with this environment's overrides
	// applied: filled by setDefaults, read by the stacks.
	Services map[string]ServiceSpec `json:"-"`
	// quotaNeed is what the environment deploys, for the quota check.
	quotaNeed Quota
}

// EnvironmentEndpoint is an endpoint's address in one environment.
type EnvironmentEndpoint struct {
	// Cidrs are the endpoint's addresses in this environment, as CIDR blocks.
	Cidrs []string `json:"cidrs"`
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
	// CertKey names the secret config key holding the PEM certificate chain.
	CertKey string `json:"certKey"`
	// KeyKey names the secret config key holding the PEM private key.
	KeyKey string `json:"keyKey"`
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

// LimitRange is the namespace's LimitRange.
type LimitRange struct {
	// Max caps any container. Default 4 CPU, 8Gi memory, 8Gi ephemeral storage.
	Max ResourceList `json:"max,omitzero"`
}

// Observability of an environment, the ACK way: Logtail ships container
// output to Simple Log Service, and Managed Service for Prometheus scrapes
// the Java services' actuator. Both are off by default.
type Observability struct {
	// Logs: an AliyunLogConfig collects stdout and stderr of every
	// container of the namespace into Logstore (the logtail-ds add-on
	// reconciles it).
	Logs *LogsConfig `json:"logs,omitempty"`
	// Metrics: a PodMonitor scrapes /actuator/prometheus on the Java
	// services' management port.
	Metrics *MetricsConfig `json:"metrics,omitempty"`
}

// LogsConfig names the SLS destination.
type LogsConfig struct {
	// Project is the SLS project. Default: the one the add-on was installed with.
	Project string `json:"project,omitempty"`
	// Logstore receives the environment's logs. Required.
	Logstore string `json:"logstore"`
}

// MetricsConfig is the scraper's place.
type MetricsConfig struct {
	// Namespace where the Prometheus agent runs, allowed to reach the
	// management port. Default arms-prom.
	Namespace string `json:"namespace,omitempty"`
}

// ServiceSpec is a catalog service resolved for one environment.
type ServiceSpec struct {
	Name        string
	Kind        string
	Description string
	// Image is the full reference when an override gives one; otherwise
	// empty and the stack builds <registry>/<namespace>/<Repository>:<Tag>.
	Image          string
	Repository     string
	Tag            string
	Port           int
	ManagementPort int
	Ports          []NamedPort
	Probes         Probes
	// Routes with hosts resolved for the environment.
	Routes      []HostRoute
	Replicas    int
	Autoscaling *HPA
	Resources   Resources
	Env         map[string]string
	SecretEnv   map[string]string
	Pdb         Pdb
	// Calls are the services it calls; Endpoints the external endpoints it
	// reaches, with this environment's addresses.
	Calls                         []string
	Endpoints                     []ResolvedEndpoint
	NodeSelector                  map[string]string
	Tolerations                   []Toleration
	PreStopSleepSeconds           int
	ShutdownSeconds               int
	TerminationGracePeriodSeconds int
	Deregistration                Deregistration
	WritableDirs                  []string
	// JavaOptions is JAVA_TOOL_OPTIONS of a Java service (see workloads_jvm.go).
	JavaOptions string

	// keys maps a field to the config key it came from, for problems.
	keys map[string]string
}

// ResolvedEndpoint is an external endpoint with its addresses in one environment.
type ResolvedEndpoint struct {
	Name  string
	Cidrs []string
	Ports []EndpointPort
}

// HostRoute is a resolved route with its edge settings.
type HostRoute struct {
	Host, Path     string
	BodySize       string
	TimeoutSeconds int
	WebSocket      bool
	AllowCidrs     []string
}

// Rollout surge of every Deployment: a quarter of its replicas, rounded
// up, so a 10-replica service rolls three pods at a time and finishes
// within the await timeout, while a small one still surges one pod.
const RolloutMaxSurgePercent = 25

// Surge is the number of extra pods a rollout of n replicas starts at once
// (maxSurge 25%, which Kubernetes rounds up).
func Surge(n int) int {
	return (n*RolloutMaxSurgePercent + 99) / 100
}

// RolloutHeadroom is the number of pods beyond n replicas a rollout needs
// quota for: the surge pods starting, and as many old pods still counted
// while they terminate (a ResourceQuota counts a pod until it is gone, and
// ours stay through their preStop wait).
func RolloutHeadroom(n int) int { return 2 * Surge(n) }

func (e *Environment) setDefaults(c *Config, w *Workloads, envName string) {
	if e.Namespace == "" {
		e.Namespace = envName
	}
	if e.TLS == nil {
		e.TLS = w.Ingress.TLS
	}
	if e.NetworkIsolation == nil {
		e.NetworkIsolation = ptr(true)
	}
	if e.SpringProfiles == "" {
		e.SpringProfiles = envName
	}
	if m := e.Observability.Metrics; m != nil && m.Namespace == "" {
		m.Namespace = "arms-prom"
	}
	if e.ImagePull.Mode == "" {
		e.ImagePull.Mode = PullNone
		if c.Target == TargetAlicloud {
			// ACR needs credentials even from the VPC; the add-on
			// refreshes them, so no long-lived password sits in a Secret.
			e.ImagePull.Mode = PullCredentialHelper
		}
	}
	e.LimitRange.Max = mergeResources(Resources{Limits: ResourceList{"4", "8Gi", "8Gi"}}, Resources{Limits: e.LimitRange.Max}).Limits
	e.Services = map[string]ServiceSpec{}
	for name, s := range w.Catalog.Services {
		e.Services[name] = resolve(c, w, envName, *e, name, s)
	}
	e.quotaNeed = quotaNeed(e.Services, &w.Nacos)
	if e.Quota == nil {
		q := e.quotaNeed
		e.Quota = &q
	}
}

// resolve applies an environment's release and overrides to a catalog service.
func resolve(c *Config, w *Workloads, envName string, e Environment, name string, s Service) ServiceSpec {
	ck := key("catalog.services." + name)
	ek := key("environments." + envName)
	ok := ek + ".overrides." + name
	spec := ServiceSpec{
		Name: name, Kind: s.Kind, Description: s.Description, Repository: s.Repository,
		Tag: e.Releases[name], Port: s.Port, ManagementPort: s.ManagementPort, Ports: s.Ports, Probes: s.Probes,
		Resources: s.Resources, Autoscaling: s.Autoscaling,
		Env: maps.Clone(s.Env), SecretEnv: maps.Clone(s.SecretEnv),
		Calls: s.Calls, NodeSelector: s.NodeSelector, Tolerations: s.Tolerations,
		PreStopSleepSeconds: deref(s.PreStopSleepSeconds), ShutdownSeconds: deref(s.ShutdownSeconds),
		TerminationGracePeriodSeconds: deref(s.TerminationGracePeriodSeconds),
		Deregistration:                s.Deregistration, WritableDirs: s.WritableDirs,
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
		if o.NodeSelector != nil {
			spec.NodeSelector = o.NodeSelector
		}
		if o.Tolerations != nil {
			spec.Tolerations = o.Tolerations
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
		spec.Routes = append(spec.Routes, hostRoute(e, r))
	}
	for _, r := range e.Routes {
		if r.Service == name {
			rt := r.Route
			rt.setDefaults()
			spec.Routes = append(spec.Routes, hostRoute(e, rt))
		}
	}
	for _, epName := range s.Endpoints {
		ep := w.Catalog.Endpoints[epName]
		cidrs := ep.Cidrs
		if own, has := e.Endpoints[epName]; has {
			cidrs = own.Cidrs
		}
		spec.Endpoints = append(spec.Endpoints, ResolvedEndpoint{Name: epName, Cidrs: cidrs, Ports: ep.Ports})
	}
	if Java(s.Kind) {
		if spec.Env == nil {
			spec.Env = map[string]string{}
		}
		if _, set := spec.Env["SPRING_PROFILES_ACTIVE"]; !set {
			spec.Env["SPRING_PROFILES_ACTIVE"] = e.SpringProfiles
		}
		spec.JavaOptions = JVMFor(spec.Resources.Limits.Memory).Options()
	}
	return spec
}

func hostRoute(e Environment, r Route) HostRoute {
	return HostRoute{
		Host: resolveHost(e, r.Host), Path: r.Path, BodySize: r.BodySize,
		TimeoutSeconds: r.TimeoutSeconds, WebSocket: r.WebSocket, AllowCidrs: r.AllowCidrs,
	}
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

// quotaNeed sums what an environment runs at its peak: every Deployment at
// its maximum replicas plus its rollout headroom, and the Nacos members
// (a StatefulSet replaces one pod at a time, without surge). Sums use the
// exact Quantity arithmetic in a fixed order, so the canonical result never
// changes between runs.
func quotaNeed(services map[string]ServiceSpec, n *Nacos) Quota {
	var reqCPU, reqMem, limCPU, limMem resource.Quantity
	pods := 0
	add := func(count int, r Resources) {
		for range count {
			reqCPU.Add(mustQuantity(r.Requests.CPU))
			reqMem.Add(mustQuantity(r.Requests.Memory))
			limCPU.Add(mustQuantity(r.Limits.CPU))
			limMem.Add(mustQuantity(r.Limits.Memory))
		}
		pods += count
	}
	for _, name := range slices.Sorted(maps.Keys(services)) {
		s := services[name]
		add(s.MaxReplicas()+RolloutHeadroom(s.MaxReplicas()), s.Resources)
	}
	if n.Mode == NacosInCluster {
		add(n.Replicas, n.Resources)
	}
	return Quota{
		RequestsCPU: canonical(reqCPU), RequestsMemory: canonical(reqMem),
		LimitsCPU: canonical(limCPU), LimitsMemory: canonical(limMem),
		RequestsStorage: "200Gi",
		// Headroom for jobs and debugging pods.
		Pods: pods + 10,
	}
}

func (w *Workloads) validateEnvironments(ps *Problems, c *Config, r Reader) {
	prod := c.Tier == TierProd
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
		for _, svc := range slices.Sorted(maps.Keys(e.Services)) {
			// app.kubernetes.io/instance is <service>-<environment>, a label value.
			if inst := svc + "-" + envName; len(inst) > 63 {
				ps.Addf(k, "the instance label %q of service %s is longer than 63 characters: shorten the environment or the service name", inst, svc)
			}
		}
		if e.Domain != "" && !isDNSName(e.Domain) {
			ps.Addf(k+".domain", "%q is not a DNS name", e.Domain)
		}
		for label, h := range e.Hosts {
			if !isDNSName(h) {
				ps.Addf(k+".hosts."+label, "%q is not a DNS name", h)
			}
		}
		if e.SpringProfiles != "" && strings.ContainsAny(e.SpringProfiles, " \t") {
			ps.Addf(k+".springProfiles", "%q: a comma-separated list of profiles without spaces", e.SpringProfiles)
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
				ps.Addf(rk+".service", "%s is a backend, reached through a gateway only", rt.Service)
			}
			checkRoute(ps, rk, rt.Route)
		}
		for _, epName := range slices.Sorted(maps.Keys(e.Endpoints)) {
			epk := k + ".endpoints." + epName
			if _, ok := w.Catalog.Endpoints[epName]; !ok {
				ps.Addf(epk, "%q is not an endpoint of ack-platform:catalog.endpoints", epName)
			}
			for i, cidr := range e.Endpoints[epName].Cidrs {
				parsePrefix(ps, fmt.Sprintf("%s.cidrs[%d]", epk, i), cidr)
			}
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
		if l := e.Observability.Logs; l != nil {
			if !slsNameRE.MatchString(l.Logstore) {
				ps.Addf(k+".observability.logs.logstore", "%q is not a Logstore name (lower case, digits, '-' and '_', 3-63 characters)", l.Logstore)
			}
			if l.Project != "" && !slsNameRE.MatchString(l.Project) {
				ps.Addf(k+".observability.logs.project", "%q is not an SLS project name", l.Project)
			}
		}
		if m := e.Observability.Metrics; m != nil {
			checkLabel(ps, k+".observability.metrics.namespace", m.Namespace)
		}
		limitsOK := checkResourceList(ps, k+".limitRange.max", e.LimitRange.Max)
		w.validateQuota(ps, k+".quota", e)
		for ovName, o := range e.Overrides {
			if _, ok := w.Catalog.Services[ovName]; ok {
				checkSettings(ps, k+".overrides."+ovName, o.Settings, r)
			}
		}
		routes := map[[2]string]string{}
		for _, svc := range slices.Sorted(maps.Keys(e.Services)) {
			s := e.Services[svc]
			w.validateSpec(ps, c, k, s, routes)
			if limitsOK {
				checkWithinLimitRange(ps, s.keyOf("resources")+".limits", s.Resources.Limits, e.LimitRange.Max, k+".limitRange.max")
			}
		}
		if limitsOK && w.Nacos.Mode == NacosInCluster {
			checkWithinLimitRange(ps, key("nacos.resources.limits"), w.Nacos.Resources.Limits, e.LimitRange.Max, k+".limitRange.max")
		}
	}
}

func (s ServiceSpec) keyOf(field string) string {
	if k := s.keys[field]; k != "" {
		return k
	}
	return s.keys["catalog"] + "." + field
}

// validateSpec checks a service as resolved for one environment.
func (w *Workloads) validateSpec(ps *Problems, c *Config, ek string, s ServiceSpec, routes map[[2]string]string) {
	prod := c.Tier == TierProd
	switch tag := s.Tag; {
	case s.Image != "":
		checkImage(ps, s.keyOf("image"), s.Image, c)
	case tag == "":
		ps.Addf(s.keyOf("tag"), "no release tag for %s: every catalog service needs an image tag in every environment", s.Name)
	case tag == "latest":
		ps.Addf(s.keyOf("tag"), "`latest` is not a release: pin a version tag so a rollout and a rollback are reviewed changes")
	case !imageTagRE.MatchString(tag):
		ps.Addf(s.keyOf("tag"), "%q is not an image tag", tag)
	}
	if s.Autoscaling != nil {
		a := s.Autoscaling
		if s.keys["replicas"] != "" {
			ps.Addf(s.keys["replicas"], "replicas is set while autoscaling (%s) owns the replica count; remove one", s.keyOf("autoscaling"))
		}
		if a.Min < 1 || a.Max < a.Min {
			ps.Addf(s.keyOf("autoscaling"), "min %d / max %d: need 1 <= min <= max", a.Min, a.Max)
		}
		if prod && a.Min < 2 {
			ps.Addf(s.keyOf("autoscaling")+".min", "%d: prod runs at least 2 replicas", a.Min)
		}
		if a.CPUUtilization < 1 || a.CPUUtilization > 100 {
			ps.Addf(s.keyOf("autoscaling")+".cpuUtilization", "%d is outside 1-100", a.CPUUtilization)
		}
	} else {
		switch {
		case s.Replicas < 1:
			ps.Addf(s.keyOf("replicas"), "%d: at least 1 replica", s.Replicas)
		case prod && s.Replicas < 2:
			ps.Addf(s.keyOf("replicas"), "%d: prod runs at least 2 replicas so a node drain or a rollout never takes the service down", s.Replicas)
		}
	}
	if p := s.Pdb; p.MaxUnavailable != nil && p.MinAvailable != nil {
		ps.Addf(s.keyOf("pdb"), "give maxUnavailable or minAvailable, not both")
	} else if p.MaxUnavailable != nil && *p.MaxUnavailable < 1 {
		ps.Addf(s.keyOf("pdb")+".maxUnavailable", "%d blocks every voluntary disruption (node drains, upgrades): use at least 1", *p.MaxUnavailable)
	} else if p.MinAvailable != nil && *p.MinAvailable >= s.MinReplicas() {
		ps.Addf(s.keyOf("pdb")+".minAvailable", "%d with %d replica(s) blocks every voluntary disruption: keep it below the replica count", *p.MinAvailable, s.MinReplicas())
	}
	if checkResources(ps, s.keyOf("resources"), s.Resources) && Java(s.Kind) {
		if jvm := JVMFor(s.Resources.Limits.Memory); jvm.HeapMi < MinHeapMi {
			ps.Addf(s.keyOf("resources")+".limits.memory", "%s leaves a %dMi heap after the JVM's %dMi of non-heap memory (docs/workloads.md, JVM memory): give at least %dMi", s.Resources.Limits.Memory, jvm.HeapMi, jvm.NonHeapMi(), MinHeapMi+jvm.NonHeapMi())
		}
	}
	for _, ep := range s.Endpoints {
		if len(ep.Cidrs) == 0 {
			ps.Addf(ek+".endpoints."+ep.Name+".cidrs", "%s reaches endpoint %s, which has no address in this environment: give its CIDR blocks here or in ack-platform:catalog.endpoints.%s.cidrs", s.Name, ep.Name, ep.Name)
		}
	}
	for _, rt := range s.Routes {
		if rt.Host == "" {
			ps.Addf(ek+".domain", "%s has a route whose host label has no host in this environment: set domain or hosts", s.Name)
			continue
		}
		hp := [2]string{rt.Host, rt.Path}
		if other, dup := routes[hp]; dup {
			ps.Addf(ek+".routes", "%s%s is routed twice (to %s and %s)", rt.Host, rt.Path, other, s.Name)
		}
		routes[hp] = s.Name
	}
}

var slsNameRE = mustRE(`^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$`)

var imageTagRE = mustRE(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// validateQuota checks a quota's values and, when the stack gives its own,
// that it holds what the environment deploys: a smaller quota would leave
// pods unscheduled in the middle of a rollout.
func (w *Workloads) validateQuota(ps *Problems, k string, e Environment) {
	q, need := *e.Quota, e.quotaNeed
	for _, f := range []struct{ name, v, need string }{
		{"requestsCpu", q.RequestsCPU, need.RequestsCPU}, {"requestsMemory", q.RequestsMemory, need.RequestsMemory},
		{"limitsCpu", q.LimitsCPU, need.LimitsCPU}, {"limitsMemory", q.LimitsMemory, need.LimitsMemory},
		{"requestsStorage", q.RequestsStorage, ""},
	} {
		v, err := parseQuantity(f.v)
		if err != nil {
			ps.Addf(k+"."+f.name, "%v", err)
			continue
		}
		if f.need != "" && v.Cmp(mustQuantity(f.need)) < 0 {
			ps.Addf(k+"."+f.name, "%s is below the %s the environment needs at its maximum replicas plus rollout surge and terminating pods", f.v, f.need)
		}
	}
	if q.Pods < 1 {
		ps.Addf(k+".pods", "%d: at least 1", q.Pods)
	} else if q.Pods < need.Pods-10 {
		ps.Addf(k+".pods", "%d is below the %d pods the environment runs at its maximum replicas plus rollout surge and terminating pods", q.Pods, need.Pods-10)
	}
}
