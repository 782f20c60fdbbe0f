package alicloud

// A toy provider in the shape of terraform-provider-alicloud, for the
// generator's tests.
func Provider() *schema.Provider {
	return &schema.Provider{
		ResourcesMap: map[string]*schema.Resource{
			"alicloud_x_widget": resourceWidget(),
		},
	}
}
