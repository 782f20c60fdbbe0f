package workloads_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Resource is one registered resource, as the mock saw it.
type Resource struct {
	Type     string
	Name     string
	Inputs   resource.PropertyMap
	Parent   string
	Provider string
}
