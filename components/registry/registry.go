// Package registry provides the container registry the cluster pulls from:
// an ACR Enterprise instance, an ACR Personal namespace made elsewhere, or
// the registry of another stack referenced by name so every environment runs
// the very same image digests. It connects the pulling cluster's VPC to the
// instance and, when CI needs it, opens the internet endpoint to an
// allow-list.
package registry

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cr"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Stack output names a registry-owning stack exports and a referencing
// stack reads.
const (
	OutputEndpoint     = "registryEndpoint"
	OutputVpcEndpoint  = "registryVpcEndpoint"
	OutputInstanceID   = "registryInstanceId"
	OutputRepositories = "imageRepositories"
)

// Editions of the registry.
const (
	// EditionEnterprise: an ACR Enterprise instance owned by this stack.
	EditionEnterprise = "enterprise"
	// EditionPersonal: an ACR Personal namespace. Its namespace and
	// repositories are made in the console: the provider's cr.Namespace and
	// cr.Repo are deprecated.
	EditionPersonal = "personal"
	// EditionStack: the Enterprise instance of another stack.
	EditionStack = "stack"
)

// RegistryArgs configures a Registry.
type RegistryArgs struct {
	// Edition is EditionEnterprise, EditionPersonal or EditionStack.
	Edition string
	// Region hosts the registry.
	Region string
	// Namespace groups the repositories.
	Namespace string
	// InstanceName and InstanceType (Basic, Standard, Advanced) of the
	// Enterprise instance.
	InstanceName string
	InstanceType string
	// OwnerStack is the stack that owns the instance, for EditionStack.
	OwnerStack string
	// Services get one private repository each (Enterprise).
	Services []string
	// VpcID and VswitchID are the pulling cluster's network: its VPC is
	// linked to the instance (Enterprise and Stack). A new Enterprise
	// instance is reachable from no network at all.
	VpcID     pulumi.StringInput
	VswitchID pulumi.StringInput
	// CiPushCidrs open the instance's internet endpoint to these blocks
	// only (Enterprise). Empty: the internet endpoint stays off.
	CiPushCidrs []string
	// Protect marks the instance, namespace, repositories and VPC link with
	// Pulumi `protect`: deleting them deletes images or cuts pulls.
	Protect bool
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState

	// Endpoint is the public registry host CI pushes to.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// VpcEndpoint is the host nodes pull from, inside the VPC.
	VpcEndpoint pulumi.StringOutput `pulumi:"vpcEndpoint"`
	// InstanceID is the Enterprise instance ("" for Personal).
	InstanceID pulumi.StringOutput `pulumi:"instanceId"`
	// Repositories maps each service to its repository (public host), the
	// name CI tags images with.
	Repositories pulumi.StringMapOutput `pulumi:"repositories"`
	// Ready resolves once the pulling VPC is linked, so nodes can pull.
	Ready pulumi.StringOutput
}

// NewRegistry creates or references the registry and connects the VPC.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.Region == "" || args.Namespace == "" {
		return nil, fmt.Errorf("registry %s: Region and Namespace are required", name)
	}
	if args.Edition != EditionPersonal && (args.VpcID == nil || args.VswitchID == nil) {
		return nil, fmt.Errorf("registry %s: VpcID and VswitchID are required to link the pulling VPC", name)
	}
	if len(args.CiPushCidrs) > 0 && args.Edition != EditionEnterprise {
		return nil, fmt.Errorf("registry %s: only the owner of the Enterprise instance opens its internet endpoint", name)
	}
	comp := &Registry{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Registry", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	protect := pulumi.Protect(args.Protect)
	services := slices.Sorted(slices.Values(args.Services))

	var endpoint, vpcEndpoint, instanceID pulumi.StringOutput
	switch args.Edition {
	case EditionEnterprise:
		inst, err := cr.NewRegistryEnterpriseInstance(ctx, name+"-instance", &cr.RegistryEnterpriseInstanceArgs{
			InstanceName:  pulumi.String(args.InstanceName),
			InstanceType:  pulumi.String(args.InstanceType),
			PaymentType:   pulumi.String("Subscription"),
			Period:        pulumi.Int(1),
			RenewPeriod:   pulumi.Int(1),
			RenewalStatus: pulumi.String("AutoRenewal"),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		instanceID = inst.ID().ToStringOutput()
		ns, err := cs.NewRegistryEnterpriseNamespace(ctx, name+"-namespace", &cs.RegistryEnterpriseNamespaceArgs{
			InstanceId: inst.ID(),
			Name:       pulumi.String(args.Namespace),
			// Repositories are declared here, never created by a stray push.
			AutoCreate:        pulumi.Bool(false),
			DefaultVisibility: pulumi.String("PRIVATE"),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		for _, svc := range services {
			if _, err := cs.NewRegistryEnterpriseRepo(ctx, name+"-"+svc, &cs.RegistryEnterpriseRepoArgs{
				InstanceId: inst.ID(),
				Namespace:  ns.Name,
				Name:       pulumi.String(svc),
				Summary:    pulumi.String("Images of " + svc + ", managed by ack-platform"),
				RepoType:   pulumi.String("PRIVATE"),
				// A pushed tag can never be overwritten, so the tag in a
				// release map always names the same image.
				TagImmutability: pulumi.Bool(true),
			}, parent, protect); err != nil {
				return nil, err
			}
		}
		if len(args.CiPushCidrs) > 0 {
			entries := cr.InternetEndpointEntryArray{}
			for _, cidr := range args.CiPushCidrs {
				entries = append(entries, cr.InternetEndpointEntryArgs{Entry: pulumi.String(cidr), Comment: pulumi.String("CI push")})
			}
			if _, err := cr.NewInternetEndpoint(ctx, name+"-internet", &cr.InternetEndpointArgs{
				InstanceId: inst.ID(),
				Entries:    entries,
			}, parent); err != nil {
				return nil, err
			}
		}
		endpoint = pulumi.Sprintf("%s-registry.%s.cr.aliyuncs.com", args.InstanceName, args.Region)
		vpcEndpoint = pulumi.Sprintf("%s-registry-vpc.%s.cr.aliyuncs.com", args.InstanceName, args.Region)
	case EditionPersonal:
		instanceID = pulumi.String("").ToStringOutput()
		endpoint = pulumi.Sprintf("registry.%s.aliyuncs.com", args.Region)
		vpcEndpoint = pulumi.Sprintf("registry-vpc.%s.aliyuncs.com", args.Region)
	case EditionStack:
		// The owning stack holds the instance and repositories; this stack
		// reads where they are and links its own VPC.
		ref, err := pulumi.NewStackReference(ctx, name+"-owner", &pulumi.StackReferenceArgs{Name: pulumi.String(args.OwnerStack)}, parent)
		if err != nil {
			return nil, err
		}
		endpoint = ref.GetStringOutput(pulumi.String(OutputEndpoint))
		vpcEndpoint = ref.GetStringOutput(pulumi.String(OutputVpcEndpoint))
		instanceID = ref.GetStringOutput(pulumi.String(OutputInstanceID))
	default:
		return nil, fmt.Errorf("registry %s: edition %q has no cloud registry", name, args.Edition)
	}

	ready := pulumi.String("").ToStringOutput()
	if args.Edition != EditionPersonal {
		link, err := cr.NewVpcEndpointLinkedVpc(ctx, name+"-vpc-link", &cr.VpcEndpointLinkedVpcArgs{
			InstanceId: instanceID,
			VpcId:      args.VpcID,
			VswitchId:  args.VswitchID,
			ModuleName: pulumi.String("Registry"),
			// The VPC endpoint's name resolves only with the PrivateZone record.
			EnableCreateDnsRecordInPvzt: pulumi.Bool(true),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		ready = link.ID().ToStringOutput()
	}

	repos := pulumi.StringMap{}
	for _, svc := range services {
		repos[svc] = pulumi.Sprintf("%s/%s/%s", endpoint, args.Namespace, svc)
	}
	comp.Endpoint = endpoint
	comp.VpcEndpoint = vpcEndpoint
	comp.InstanceID = instanceID
	comp.Repositories = repos.ToStringMapOutput()
	comp.Ready = ready
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpoint":     comp.Endpoint,
		"vpcEndpoint":  comp.VpcEndpoint,
		"instanceId":   comp.InstanceID,
		"repositories": comp.Repositories,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
