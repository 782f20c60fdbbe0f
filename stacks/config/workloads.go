package config

// Workloads is the Kubernetes layer's configuration: the service catalog
// shared by every stack (project-level key ack-platform:catalog) and the
// per-stack environments, ingress and Nacos settings.
type Workloads struct {
	Catalog      Catalog                `json:"-"`
	Environments map[string]Environment `json:"-"`
}

// Catalog lists every service of the system.
type Catalog struct{}

// Environment is one namespace of a stack.
type Environment struct{}

func (w *Workloads) decode(ps *Problems, r Reader) {
	decode(ps, r, "catalog", &w.Catalog)
	decode(ps, r, "environments", &w.Environments)
}

func (w *Workloads) setDefaults(c *Config) {}

func (w *Workloads) validate(ps *Problems, c *Config, r Reader) {}
