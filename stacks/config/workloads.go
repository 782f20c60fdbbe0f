package config

import (
	"maps"
	"slices"
)

// Workloads is the Kubernetes layer's configuration: the service catalog
// shared by every stack (project-level key ack-platform:catalog) and the
// per-stack environments, ingress, Nacos and mirror settings. Each concern
// lives in its own file: workloads_catalog.go, workloads_environment.go,
// workloads_ingress.go, workloads_nacos.go, workloads_mirror.go.
type Workloads struct {
	// Catalog: project-level key ack-platform:catalog.
	Catalog Catalog `json:"-"`
	// Environments: key ack-platform:environments, environment name → settings.
	Environments map[string]Environment `json:"-"`
	// Ingress: key ack-platform:ingress.
	Ingress Ingress `json:"-"`
	// Nacos: key ack-platform:nacos.
	Nacos Nacos `json:"-"`
	// Mirror: key ack-platform:mirror, where third-party images come from.
	Mirror Mirror `json:"-"`

	// registryNamespace is the project's registry namespace, for ImageNames.
	registryNamespace string
}

func (w *Workloads) decode(ps *Problems, r Reader) {
	decode(ps, r, "catalog", &w.Catalog)
	decode(ps, r, "environments", &w.Environments)
	decode(ps, r, "ingress", &w.Ingress)
	decode(ps, r, "nacos", &w.Nacos)
	decode(ps, r, "mirror", &w.Mirror)
}

func (w *Workloads) setDefaults(c *Config) {
	w.registryNamespace = c.Registry.Namespace
	w.Mirror.setDefaults(c)
	w.Catalog.setDefaults(c)
	w.Ingress.setDefaults(c)
	w.Nacos.setDefaults(c)
	for envName, e := range w.Environments {
		e.setDefaults(c, w, envName)
		w.Environments[envName] = e
	}
}

func (w *Workloads) validate(ps *Problems, c *Config, r Reader) {
	w.Mirror.validate(ps)
	w.validateCatalog(ps, r)
	w.validateIngress(ps, c, r)
	w.validateNacos(ps, c, r)
	w.validateEnvironments(ps, c, r)
	// A kubeconfig holds cluster credentials: in plaintext it would sit in
	// Pulumi.<stack>.yaml and in git.
	if r.Get("kubeconfig") != "" && !r.Secret("kubeconfig") {
		ps.Addf(key("kubeconfig"), "set in plaintext: set it with `pulumi config set --secret kubeconfig < file` so it is encrypted")
	}
}

// ImageNames lists the image repositories of the project's registry (one
// ACR repository each), sorted: every catalog service's, and, when the
// mirror is the project's own registry, the mirrored third-party images.
// The registry belongs to a platform stack, which cannot know what its
// workload stacks run (an ingress controller of their own, an in-cluster
// Nacos), so it declares every third-party image the program can run, by
// its default name, besides any name this stack configures: with
// automatic creation off, a repository missing here refuses the mirror's
// push, and the pods that pull it never start.
func (w Workloads) ImageNames() []string {
	set := map[string]bool{}
	for _, s := range w.Catalog.Services {
		set[s.Repository] = true
	}
	if w.Mirror.Registry == "" && w.Mirror.Namespace == w.registryNamespace {
		for _, repo := range append(w.mirroredRepositories(), DefaultNacosRepository, DefaultIngressNginxRepository) {
			set[repo] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// mirroredRepositories are the third-party images the stack runs.
func (w Workloads) mirroredRepositories() []string {
	var repos []string
	if w.Nacos.Mode == NacosInCluster {
		repos = append(repos, w.Nacos.Repository)
	}
	if w.Ingress.Controller == IngressNginx {
		repos = append(repos, w.Ingress.Nginx.Repository)
	}
	return repos
}
