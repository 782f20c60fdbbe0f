package alicloud

func resourceWidget() *schema.Resource {
	return &schema.Resource{
		Schema: map[string]*schema.Schema{
			"zone_id": {
				Type:         schema.TypeString,
				Optional:     true,
				Computed:     true,
				ForceNew:     true,
				ExactlyOneOf: []string{"zone_id", "zone"},
			},
			"widget_name": {
				Type:          schema.TypeString,
				Required:      true,
				ConflictsWith: []string{"name"},
			},
			"size": {
				Type:     schema.TypeInt,
				Optional: true,
				Default:  10,
			},
			"mode": {
				Type:     schema.TypeString,
				Optional: true,
				Default:  "fast",
			},
			"tags": tagsSchema(),
			"old_field": {
				Type:     schema.TypeString,
				Optional: true,
				Removed:  "gone",
			},
			"disk": {
				Type:     schema.TypeList,
				Optional: true,
				MaxItems: 2,
				Elem: &schema.Resource{
					Schema: map[string]*schema.Schema{
						"category": {
							Type:     schema.TypeString,
							Required: true,
							ForceNew: true,
						},
					},
				},
			},
		},
	}
}

func tagsSchema() *schema.Schema {
	return &schema.Schema{
		Type:     schema.TypeMap,
		Optional: true,
	}
}
