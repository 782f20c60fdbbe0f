package emulated

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// idPrefixes are the id shapes Alibaba Cloud gives each resource type, so
// that outputs read like the real ones in previews and stack outputs.
var idPrefixes = map[string]string{
	"alicloud:vpc/network:Network":                                      "vpc-",
	"alicloud:vpc/switch:Switch":                                        "vsw-",
	"alicloud:vpc/natGateway:NatGateway":                                "ngw-",
	"alicloud:vpc/snatEntry:SnatEntry":                                  "snat-",
	"alicloud:ecs/securityGroup:SecurityGroup":                          "sg-",
	"alicloud:ecs/eipAddress:EipAddress":                                "eip-",
	"alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer":      "lb-",
	"alicloud:cs/managedKubernetes:ManagedKubernetes":                   "c",
	"alicloud:cs/nodePool:NodePool":                                     "np",
	"alicloud:cr/registryEnterpriseInstance:RegistryEnterpriseInstance": "cri-",
}

// outputPrefixes give computed "...Id" outputs their usual shape.
var outputPrefixes = map[string]string{
	"routeTableId": "vtb-", "routerTableId": "vtb-", "routerId": "vrt-",
	"snatTableIds": "stb-", "forwardTableIds": "ftb-", "snatEntryId": "snat-",
	"securityGroupId": "sg-", "natGatewayId": "ngw-", "slbId": "lb-",
	"scalingGroupId": "asg-", "nodePoolId": "np", "repoId": "crr-",
}

func idPrefix(token string) string {
	if p, ok := idPrefixes[token]; ok {
		return p
	}
	return "emu-"
}

var newFieldRE = regexp.MustCompile(`New field '([a-z0-9_]+)' instead`)

// outputs are what the cloud reports after a create or update: the inputs,
// then every computed property the program left unset, kept from the
// previous state when there is one so that it stays stable.
func (p *Provider) outputs(r *Resource, id, created string, inputs, prev resource.PropertyMap) (resource.PropertyMap, error) {
	out := inputs.Copy()
	for k := range out {
		if strings.HasPrefix(string(k), "__") {
			delete(out, k)
		}
	}
	// Outputs that depend on other resources or on the id come first, so
	// the generic guesses below do not shadow them.
	if err := p.derive(r, id, out); err != nil {
		return nil, err
	}
	for _, name := range sortedSpecKeys(r.Spec.Properties) {
		key := resource.PropertyKey(name)
		if isSet(out[key]) {
			continue
		}
		if prev != nil && isSet(prev[key]) {
			out[key] = prev[key]
			continue
		}
		if v, ok := p.computed(r, id, created, name, out); ok {
			out[key] = v
		}
	}
	return out, nil
}

// computed is a plausible value for a property the program left unset.
func (p *Provider) computed(r *Resource, id, created, name string, out resource.PropertyMap) (resource.PropertyValue, bool) {
	spec := r.Spec.Properties[name]
	// A deprecated alias reports the field that replaced it
	// (a vSwitch's availabilityZone is its zoneId).
	if m := newFieldRE.FindStringSubmatch(spec.DeprecationMessage); m != nil {
		if v := out[resource.PropertyKey(camel(m[1]))]; isSet(v) {
			return v, true
		}
	}
	if f, ok := r.Flags[name]; ok && f.Default != nil {
		if v, ok := literal(spec.Type, *f.Default); ok {
			return v, true
		}
	}
	switch name {
	case "status":
		return resource.NewStringProperty("Available"), true
	case "createTime", "createdTime", "creationTime":
		return resource.NewStringProperty(created), true
	case "regionId":
		return resource.NewStringProperty(p.region), true
	}
	if spec.Type == "string" && (strings.HasSuffix(name, "Id") || strings.HasSuffix(name, "Ids")) {
		prefix, ok := outputPrefixes[name]
		if !ok {
			prefix = "emu-"
		}
		return resource.NewStringProperty(prefix + digest(id+"/"+name, 20)), true
	}
	return resource.PropertyValue{}, false
}

// literal parses a Terraform Default's source text for a schema type; Go
// identifiers (constants of the provider) are not known here.
func literal(typ, text string) (resource.PropertyValue, bool) {
	switch typ {
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil {
			return resource.NewBoolProperty(b), true
		}
	case "integer", "number":
		if n, err := strconv.ParseFloat(text, 64); err == nil {
			return resource.NewNumberProperty(n), true
		}
	case "string":
		// A provider constant (KubernetesClusterNodeCIDRMasksByDefault) is
		// not a value; a string literal arrives unquoted.
		if !strings.Contains(text, "Default") && !strings.Contains(text, ".") {
			return resource.NewStringProperty(text), true
		}
	}
	return resource.PropertyValue{}, false
}

// derive fills outputs that depend on other resources or on the id.
func (p *Provider) derive(r *Resource, id string, out resource.PropertyMap) error {
	set := func(k string, v resource.PropertyValue) {
		if !isSet(out[resource.PropertyKey(k)]) {
			out[resource.PropertyKey(k)] = v
		}
	}
	s := resource.NewStringProperty
	switch r.Token {
	case "alicloud:ecs/eipAddress:EipAddress":
		d := digest(id, 6)
		a, _ := strconv.ParseUint(d[0:2], 16, 8)
		b, _ := strconv.ParseUint(d[2:4], 16, 8)
		c, _ := strconv.ParseUint(d[4:6], 16, 8)
		set("ipAddress", s(fmt.Sprintf("47.%d.%d.%d", 96+a%32, b, 1+c%254)))
	case "alicloud:cs/managedKubernetes:ManagedKubernetes":
		vswitches := strings.Fields(strings.Join(strs(out, "workerVswitchIds"), " ") + " " + strings.Join(strs(out, "vswitchIds"), " "))
		if len(vswitches) > 0 {
			vsw, err := p.cloud.Get(vswitches[0])
			if err != nil {
				return err
			}
			if vsw != nil {
				set("vpcId", s(str(vsw.Outputs, "vpcId")))
			}
		}
		// Every emulated cluster is served by the harness's one local API
		// server, so that server is the cluster's private endpoint: a
		// workload stack reaches it as a runner inside the VPC reaches
		// ACK's intranet endpoint.
		intranet := "https://192.168.0.10:6443"
		if p.kubeconfig != "" {
			lc, err := openLocalCluster(p.kubeconfig)
			if err != nil {
				return err
			}
			intranet = lc.server
		}
		set("connections", resource.NewObjectProperty(resource.PropertyMap{
			"apiServerIntranet": s(intranet),
			"apiServerInternet": s(""),
			"masterPublicIp":    s(""),
			"serviceDomain":     s(fmt.Sprintf("*.%s.%s.alicontainer.com", id, p.region)),
		}))
		rrsa := unwrap(out["enableRrsa"])
		enabled := rrsa.IsBool() && rrsa.BoolValue()
		meta := resource.PropertyMap{"enabled": resource.NewBoolProperty(enabled)}
		if enabled {
			meta["rrsaOidcIssuerUrl"] = s(fmt.Sprintf("https://oidc-ack-%s.oss-%s.aliyuncs.com/%s", p.region, p.region, id))
			meta["ramOidcProviderName"] = s("ack-rrsa-" + id)
			meta["ramOidcProviderArn"] = s(fmt.Sprintf("acs:ram::%s:oidc-provider/ack-rrsa-%s", accountID, id))
		}
		set("rrsaMetadata", resource.NewObjectProperty(meta))
		set("workerRamRoleName", s("KubernetesWorkerRole-"+digest(id, 12)))
		ca := base64.StdEncoding.EncodeToString([]byte("emulated cluster CA of " + id))
		set("certificateAuthority", resource.NewObjectProperty(resource.PropertyMap{
			"clusterCert": s(ca), "clientCert": s(""), "clientKey": s(""),
		}))
	case "alicloud:cs/nodePool:NodePool":
		set("nodePoolId", s("np"+digest(id, 30)))
	}
	return nil
}

// accountID is the emulated account's id, as ARNs carry it.
const accountID = "1000000000000000"

// strs is a list-of-strings property.
func strs(m resource.PropertyMap, key string) []string {
	v := unwrap(m[resource.PropertyKey(key)])
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e = unwrap(e); e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

func sortedSpecKeys(m map[string]*PropSpec) []string {
	pm := resource.PropertyMap{}
	for k := range m {
		pm[resource.PropertyKey(k)] = resource.NewNullProperty()
	}
	return sortedKeys(pm)
}
