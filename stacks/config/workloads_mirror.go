package config

import (
	"slices"
	"strings"
)

// Mirror is where the third-party images the program runs (Nacos, the
// in-cluster ingress controller) are pulled from: a company registry that
// mirrors them. Public registries are refused: registry.k8s.io and Docker
// Hub are slow or unreachable from nodes in mainland China, and Docker
// Hub rate-limits anonymous pulls, so a rollout or a node replacement would
// hang on an image pull.
type Mirror struct {
	// Registry is the mirror's host. Default: the project's registry
	// (ack-platform:registry), which the program then also creates the
	// mirrored repositories in.
	Registry string `json:"registry,omitempty"`
	// Namespace holds the mirrored repositories. Default: the project's
	// registry namespace.
	Namespace string `json:"namespace,omitempty"`
}

// publicRegistries are the upstream registries of the third-party images.
var publicRegistries = []string{"registry.k8s.io", "k8s.gcr.io", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

func (m *Mirror) setDefaults(c *Config) {
	if m.Namespace == "" {
		m.Namespace = c.Registry.Namespace
	}
}

func (m Mirror) validate(ps *Problems) {
	k := key("mirror")
	if slices.Contains(publicRegistries, strings.ToLower(m.Registry)) {
		ps.Addf(k+".registry", "%q is a public upstream registry: mirror the images into the company registry (ACR) and give its host", m.Registry)
	} else if m.Registry != "" && (strings.ContainsAny(m.Registry, "/ ") || strings.ToLower(m.Registry) != m.Registry) {
		ps.Addf(k+".registry", "%q: give the registry host in lower case, e.g. registry-vpc.cn-hangzhou.aliyuncs.com", m.Registry)
	}
	checkRepoPath(ps, k+".namespace", m.Namespace)
}

// Own reports whether the mirror is the project's own registry and namespace.
func (m Mirror) Own(c *Config) bool {
	return m.Registry == "" && m.Namespace == c.Registry.Namespace
}
