package emulated

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Refusal is a documented Alibaba Cloud API refusal the emulator enforces.
// ID is the rule's id in docs/alicloud-rules.md, which states the same rule
// and where the program honours it; Doc and URL are its source.
type Refusal struct {
	ID    string
	Doc   string
	URL   string
	Token string
	// On is the operation it guards: "create", "update" or "delete".
	On []string
	// Refuses returns a reason when the API refuses the operation; news are
	// the resource's new properties (its outputs on delete).
	Refuses func(c *Cloud, news resource.PropertyMap) (string, error)
}

// Refusals are the API refusals the emulator knows, each with its source.
var Refusals = []Refusal{
	{
		ID:    "clb-billing-payg-only",
		Doc:   "Change the configuration of pay-as-you-go CLB instances (Server Load Balancer documentation)",
		URL:   "https://www.alibabacloud.com/help/doc-detail/127268.html",
		Token: "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer",
		On:    []string{"create", "update"},
		Refuses: func(_ *Cloud, news resource.PropertyMap) (string, error) {
			if str(news, "instanceChargeType") == "PayBySpec" {
				return "pay-by-specification CLB instances can no longer be purchased, nor can an instance be switched to it " +
					"(discontinued from 2025-06-01): use PayByCLCU (pay-by-LCU)", nil
			}
			return "", nil
		},
	},
	{
		ID:    "snat-one-entry-per-vswitch",
		Doc:   "CreateSnatEntry (VPC API reference)",
		URL:   "https://alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-createsnatentry",
		Token: "alicloud:vpc/snatEntry:SnatEntry",
		On:    []string{"create"},
		Refuses: func(c *Cloud, news resource.PropertyMap) (string, error) {
			vsw := str(news, "sourceVswitchId")
			if vsw == "" {
				return "", nil
			}
			entries, err := c.List("alicloud:vpc/snatEntry:SnatEntry")
			if err != nil {
				return "", err
			}
			for _, e := range entries {
				if str(e.Outputs, "sourceVswitchId") == vsw {
					return fmt.Sprintf("vSwitch %s already has SNAT entry %s: each vSwitch can be specified in only one SNAT entry", vsw, e.ID), nil
				}
			}
			return "", nil
		},
	},
	{
		ID:    "clb-internet-pay-by-traffic",
		Doc:   "Change the configuration of pay-as-you-go CLB instances, billing table (Server Load Balancer documentation)",
		URL:   "https://www.alibabacloud.com/help/doc-detail/127268.html",
		Token: "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer",
		On:    []string{"create", "update"},
		Refuses: func(_ *Cloud, news resource.PropertyMap) (string, error) {
			if str(news, "instanceChargeType") == "PayByCLCU" && strings.EqualFold(str(news, "internetChargeType"), "PayByBandwidth") {
				return "a pay-by-LCU internet CLB is billed by traffic: pay-by-bandwidth exists only with pay-by-specification", nil
			}
			return "", nil
		},
	},
	{
		ID:    "eip-traffic-bandwidth-200",
		Doc:   "AllocateEipAddress, Bandwidth (EIP API reference)",
		URL:   "https://alibabacloud.com/help/tc/eip/developer-reference/api-120192",
		Token: "alicloud:ecs/eipAddress:EipAddress",
		On:    []string{"create", "update"},
		Refuses: func(_ *Cloud, news resource.PropertyMap) (string, error) {
			bw, err := strconv.Atoi(str(news, "bandwidth"))
			if err != nil || !strings.EqualFold(str(news, "internetChargeType"), "PayByTraffic") {
				return "", nil
			}
			if bw < 1 || bw > 200 {
				return fmt.Sprintf("bandwidth %d Mbit/s: a pay-by-traffic EIP takes 1 to 200", bw), nil
			}
			return "", nil
		},
	},
	{
		ID:    "vswitch-mask-16-29",
		Doc:   "FAQ about CIDR blocks (VPC documentation)",
		URL:   "https://www.alibabacloud.com/help/faq-detail/54484.htm",
		Token: "alicloud:vpc/switch:Switch",
		On:    []string{"create"},
		Refuses: func(_ *Cloud, news resource.PropertyMap) (string, error) {
			cidr := str(news, "cidrBlock")
			if cidr == "" {
				return "", nil
			}
			p, err := netip.ParsePrefix(cidr)
			if err != nil {
				return fmt.Sprintf("cidrBlock %q is not a CIDR block", cidr), nil
			}
			if p.Bits() < 16 || p.Bits() > 29 {
				return fmt.Sprintf("cidrBlock %s: the mask of a vSwitch must be 16 to 29 bits", cidr), nil
			}
			return "", nil
		},
	},
	{
		ID:    "vswitch-cidr-in-vpc",
		Doc:   "FAQ about CIDR blocks (VPC documentation)",
		URL:   "https://www.alibabacloud.com/help/faq-detail/54484.htm",
		Token: "alicloud:vpc/switch:Switch",
		On:    []string{"create"},
		Refuses: func(c *Cloud, news resource.PropertyMap) (string, error) {
			p, err := netip.ParsePrefix(str(news, "cidrBlock"))
			if err != nil {
				return "", nil
			}
			vpc, err := c.Get(str(news, "vpcId"))
			if err != nil || vpc == nil {
				return "", err
			}
			vp, err := netip.ParsePrefix(str(vpc.Outputs, "cidrBlock"))
			if err == nil && !(vp.Contains(p.Addr()) && p.Bits() >= vp.Bits()) {
				return fmt.Sprintf("cidrBlock %s is not inside the CIDR block %s of VPC %s", p, vp, vpc.ID), nil
			}
			others, err := c.List("alicloud:vpc/switch:Switch")
			if err != nil {
				return "", err
			}
			for _, o := range others {
				op, err := netip.ParsePrefix(str(o.Outputs, "cidrBlock"))
				if err == nil && str(o.Outputs, "vpcId") == vpc.ID && op.Overlaps(p) {
					return fmt.Sprintf("cidrBlock %s overlaps vSwitch %s (%s) in the same VPC", p, o.ID, op), nil
				}
			}
			return "", nil
		},
	},
	deletionProtection("ack-deletion-protection", "alicloud:cs/managedKubernetes:ManagedKubernetes", "deletionProtection",
		"Delete an ACK cluster (Container Service for Kubernetes: disable deletion protection before you begin)",
		"https://www.alibabacloud.com/help/en/container-service-for-kubernetes/latest/delete-an-ack-cluster"),
	deletionProtection("nat-deletion-protection", "alicloud:vpc/natGateway:NatGateway", "deletionProtection",
		"alicloud.vpc.NatGateway, deletionProtection (provider documentation)",
		"https://www.pulumi.com/registry/packages/alicloud/api-docs/vpc/natgateway/"),
	deletionProtection("eip-deletion-protection", "alicloud:ecs/eipAddress:EipAddress", "deletionProtection",
		"alicloud.ecs.EipAddress, deletionProtection (provider documentation)",
		"https://www.pulumi.com/registry/packages/alicloud/api-docs/ecs/eipaddress/"),
	deletionProtection("clb-deletion-protection", "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer", "deleteProtection",
		"alicloud.slb.ApplicationLoadBalancer, deleteProtection (provider documentation)",
		"https://www.pulumi.com/registry/packages/alicloud/api-docs/slb/applicationloadbalancer/"),
}

// deletionProtection: a resource whose deletion protection is on cannot be
// deleted until it is turned off (the property is "true" or "on").
func deletionProtection(id, token, prop, doc, url string) Refusal {
	return Refusal{
		ID: id, Doc: doc, URL: url, Token: token, On: []string{"delete"},
		Refuses: func(_ *Cloud, olds resource.PropertyMap) (string, error) {
			v := unwrap(olds[resource.PropertyKey(prop)])
			if (v.IsBool() && v.BoolValue()) || (v.IsString() && strings.EqualFold(v.StringValue(), "on")) {
				return fmt.Sprintf("deletion protection is on (%s): turn it off before deleting", prop), nil
			}
			return "", nil
		},
	}
}

// refuse runs the refusals that guard op on token and returns the first
// refusal as an error citing its rule and document.
func refuse(c *Cloud, token, op string, props resource.PropertyMap) error {
	for _, r := range Refusals {
		if r.Token != token || !contains(r.On, op) {
			continue
		}
		reason, err := r.Refuses(c, props)
		if err != nil {
			return err
		}
		if reason != "" {
			return fmt.Errorf("emulated Alibaba Cloud API refused the %s of %s: %s [rule %s; %s, %s]",
				op, token, reason, r.ID, r.Doc, r.URL)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// str is a string property, or "".
func str(m resource.PropertyMap, key string) string {
	v := unwrap(m[resource.PropertyKey(key)])
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}
