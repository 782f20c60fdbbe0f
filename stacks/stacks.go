// Package stacks turns a stack's validated configuration into the program's
// layers: the Alibaba Cloud platform, cluster access, then the workloads.
package stacks

import (
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// WorkloadTarget is what the workload layer needs from the layers below it.
type WorkloadTarget struct {
	// Provider is the Kubernetes provider every workload resource uses.
	Provider *kubernetes.Provider
	// LoadBalancerID is the CLB that ingress-nginx binds to; nil on the
	// local target, where the controller's Service gets no cloud annotations.
	LoadBalancerID pulumi.StringInput
	// AlbID is the ALB the ALB Ingress controller binds (the platform
	// stack's albId output); nil when the platform has none.
	AlbID pulumi.StringInput
	// RegistryEndpoint is the registry host images are pulled from.
	RegistryEndpoint pulumi.StringInput
}
