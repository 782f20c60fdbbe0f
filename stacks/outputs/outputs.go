// Package outputs names the stack outputs a platform stack exports and its
// workload stacks read through a StackReference: one list, so the exporting
// and the reading side cannot drift apart.
package outputs

const (
	// ClusterID is the ACK cluster id.
	ClusterID = "clusterId"
	// ClusterReady is the cluster id again, resolved only once the node
	// pools (and the add-ons they need) exist: a workload stack fetches its
	// credential from it, so it never deploys to a cluster without nodes.
	ClusterReady = "clusterReady"
	// APIServerEndpoint is the private API server address.
	APIServerEndpoint = "apiServerEndpoint"
	// VpcID is the VPC of the cluster.
	VpcID = "vpcId"
	// EgressIP is the NAT gateway's public address, for allow-lists.
	EgressIP = "egressIp"
	// SlbID is the CLB ingress-nginx binds to.
	SlbID = "slbId"
	// SlbAddress is that CLB's public address, for DNS records.
	SlbAddress = "slbAddress"
	// AlbID is the ALB, on platform stacks that create one.
	AlbID = "albId"
	// RegistryEndpoint is the public registry host CI pushes to.
	RegistryEndpoint = "registryEndpoint"
	// RegistryVpcEndpoint is the host nodes pull from inside the VPC.
	RegistryVpcEndpoint = "registryVpcEndpoint"
	// RegistryInstanceID is the ACR EE instance, when the stack owns one.
	RegistryInstanceID = "registryInstanceId"
	// ImageRepositories maps each service to its repository.
	ImageRepositories = "imageRepositories"
	// RrsaIssuer is the OIDC issuer of RRSA, for RAM role trust policies.
	RrsaIssuer = "rrsaIssuer"
	// RrsaProviderArn is the RAM OIDC provider of RRSA.
	RrsaProviderArn = "rrsaProviderArn"
	// Region is the Alibaba Cloud region of the cluster.
	Region = "region"
	// Kubeconfig is exported by a platform stand-in on the local target
	// only (a secret): an ACK cluster's credential is never exported, each
	// workload stack fetches its own on every run.
	Kubeconfig = "kubeconfig"
)

// Read are the outputs a workload stack on the alicloud target requires
// from its platform stack.
var Read = []string{ClusterReady, SlbID, RegistryVpcEndpoint}
