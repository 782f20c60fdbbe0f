package cluster

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// PrivateKubeconfig returns kubeconfig with every cluster's server set to
// endpoint, the API server's intranet address.
//
// The credential API (DescribeClusterUserKubeconfig) returns a kubeconfig
// for the public endpoint unless PrivateIpAddress is true, and the provider's
// getClusterCredential always asks with PrivateIpAddress false. The
// platform's API server has no public endpoint, and the runner that applies
// workloads sits in the VPC, so the address it can reach is the intranet one.
func PrivateKubeconfig(kubeconfig, endpoint string) (string, error) {
	if endpoint == "" {
		return "", errors.New("no intranet endpoint to point the kubeconfig at")
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(kubeconfig), &doc); err != nil {
		return "", fmt.Errorf("kubeconfig: %w", err)
	}
	clusters, _ := doc["clusters"].([]any)
	if len(clusters) == 0 {
		return "", errors.New("kubeconfig names no cluster")
	}
	for _, c := range clusters {
		entry, _ := c.(map[string]any)
		body, ok := entry["cluster"].(map[string]any)
		if !ok {
			return "", errors.New("kubeconfig cluster entry without a cluster section")
		}
		body["server"] = endpoint
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(out), nil
}
