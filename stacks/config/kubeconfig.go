package config

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// KubeconfigServer returns the API server URL of a kubeconfig's current
// context (its only cluster when it names no context). It identifies the
// cluster to the Kubernetes provider: a renewed credential for the same
// server keeps the provider, and every object it manages, in place.
func KubeconfigServer(kubeconfig string) (string, error) {
	var kc struct {
		CurrentContext string `yaml:"current-context"`
		Contexts       []struct {
			Name    string `yaml:"name"`
			Context struct {
				Cluster string `yaml:"cluster"`
			} `yaml:"context"`
		} `yaml:"contexts"`
		Clusters []struct {
			Name    string `yaml:"name"`
			Cluster struct {
				Server string `yaml:"server"`
			} `yaml:"cluster"`
		} `yaml:"clusters"`
	}
	if err := yaml.Unmarshal([]byte(kubeconfig), &kc); err != nil {
		// The parser's message may quote the document: never echo a credential.
		return "", errors.New("not a kubeconfig (YAML)")
	}
	cluster := ""
	for _, c := range kc.Contexts {
		if c.Name == kc.CurrentContext {
			cluster = c.Context.Cluster
		}
	}
	if cluster == "" && len(kc.Clusters) == 1 {
		cluster = kc.Clusters[0].Name
	}
	for _, c := range kc.Clusters {
		if c.Name == cluster && c.Cluster.Server != "" {
			return c.Cluster.Server, nil
		}
	}
	return "", fmt.Errorf("no cluster server for the current context %q", kc.CurrentContext)
}
