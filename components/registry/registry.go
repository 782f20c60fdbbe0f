// Package registry provides the container registry the cluster pulls from:
// an ACR Enterprise instance, an ACR Personal namespace, or the registry of
// another stack referenced by name so every environment runs the very same
// image digests.
package registry

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cr"
	"github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud/cs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// Stack output names a registry-owning stack exports and a referencing
// stack reads.
const (
	OutputEndpoint     = "registryEndpoint"
	OutputVpcEndpoint  = "registryVpcEndpoint"
	OutputRepositories = "imageRepositories"
)

// RegistryArgs configures a Registry.
type RegistryArgs struct {
	// Config is the validated registry section of the stack config.
	Config config.Registry
	// Region hosts the registry.
	Region string
	// Services get one private repository each.
	Services []string
	// Protect marks the instance and namespace with Pulumi `protect`:
	// deleting them deletes every image.
	Protect bool
}

// Registry is the component.
type Registry struct {
	pulumi.ResourceState

	// Endpoint is the public registry host CI pushes to.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// VpcEndpoint is the host nodes pull from, inside the VPC.
	VpcEndpoint pulumi.StringOutput `pulumi:"vpcEndpoint"`
	// Repositories maps each service to its repository (public host), the
	// name CI tags images with.
	Repositories pulumi.StringMapOutput `pulumi:"repositories"`
}

// NewRegistry creates or references the registry.
func NewRegistry(ctx *pulumi.Context, name string, args *RegistryArgs, opts ...pulumi.ResourceOption) (*Registry, error) {
	if args == nil || args.Region == "" {
		return nil, fmt.Errorf("registry %s: Region is required", name)
	}
	comp := &Registry{}
	if err := ctx.RegisterComponentResource("ack-platform:platform:Registry", name, comp, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(comp)
	protect := pulumi.Protect(args.Protect)
	c := args.Config
	services := slices.Sorted(slices.Values(args.Services))

	var endpoint, vpcEndpoint pulumi.StringOutput
	switch c.Edition {
	case config.EditionEnterprise:
		inst, err := cr.NewRegistryEnterpriseInstance(ctx, name+"-instance", &cr.RegistryEnterpriseInstanceArgs{
			InstanceName:  pulumi.String(c.InstanceName),
			InstanceType:  pulumi.String(c.InstanceType),
			PaymentType:   pulumi.String("Subscription"),
			Period:        pulumi.Int(1),
			RenewPeriod:   pulumi.Int(1),
			RenewalStatus: pulumi.String("AutoRenewal"),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		ns, err := cs.NewRegistryEnterpriseNamespace(ctx, name+"-namespace", &cs.RegistryEnterpriseNamespaceArgs{
			InstanceId: inst.ID(),
			Name:       pulumi.String(c.Namespace),
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
			}, parent); err != nil {
				return nil, err
			}
		}
		endpoint = pulumi.Sprintf("%s-registry.%s.cr.aliyuncs.com", c.InstanceName, args.Region)
		vpcEndpoint = pulumi.String(c.Endpoint).ToStringOutput()
	case config.EditionPersonal:
		ns, err := cr.NewNamespace(ctx, name+"-namespace", &cr.NamespaceArgs{
			Name:              pulumi.String(c.Namespace),
			AutoCreate:        pulumi.Bool(false),
			DefaultVisibility: pulumi.String("PRIVATE"),
		}, parent, protect)
		if err != nil {
			return nil, err
		}
		for _, svc := range services {
			if _, err := cr.NewRepo(ctx, name+"-"+svc, &cr.RepoArgs{
				Namespace: ns.Name,
				Name:      pulumi.String(svc),
				Summary:   pulumi.String("Images of " + svc + ", managed by ack-platform"),
				RepoType:  pulumi.String("PRIVATE"),
			}, parent); err != nil {
				return nil, err
			}
		}
		endpoint = pulumi.Sprintf("registry.%s.aliyuncs.com", args.Region)
		vpcEndpoint = pulumi.String(c.Endpoint).ToStringOutput()
	case config.EditionStack:
		// The owning stack (prod) holds the repositories; this stack only
		// reads where they are.
		ref, err := pulumi.NewStackReference(ctx, name+"-owner", &pulumi.StackReferenceArgs{Name: pulumi.String(c.Stack)}, parent)
		if err != nil {
			return nil, err
		}
		endpoint = ref.GetStringOutput(pulumi.String(OutputEndpoint))
		vpcEndpoint = ref.GetStringOutput(pulumi.String(OutputVpcEndpoint))
	default:
		return nil, fmt.Errorf("registry %s: edition %q has no cloud registry", name, c.Edition)
	}

	repos := pulumi.StringMap{}
	for _, svc := range services {
		repos[svc] = pulumi.Sprintf("%s/%s/%s", endpoint, c.Namespace, svc)
	}
	comp.Endpoint = endpoint
	comp.VpcEndpoint = vpcEndpoint
	comp.Repositories = repos.ToStringMapOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"endpoint":     comp.Endpoint,
		"vpcEndpoint":  comp.VpcEndpoint,
		"repositories": comp.Repositories,
	}); err != nil {
		return nil, err
	}
	return comp, nil
}
