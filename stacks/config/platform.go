package config

import (
	"fmt"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	// The API machinery's own validators: node label and taint keys are
	// checked exactly as the API server will check them.
	"k8s.io/apimachinery/pkg/util/validation"
)

// Platform is the Alibaba Cloud layer of a stack: config key
// "ack-platform:platform". Every field has a default set in setDefaults; a
// stack file only says what differs.
type Platform struct {
	// Zones are the availability zones of the region that the node pools and
	// vSwitches span, e.g. cn-hangzhou-h. At least 2 (prod: 3).
	Zones []string `json:"zones"`
	// Network holds the VPC layout.
	Network Network `json:"network"`
	// Cluster is the ACK managed cluster.
	Cluster Cluster `json:"cluster"`
	// NodePools are the worker pools; at least one.
	NodePools []NodePool `json:"nodePools"`
	// LoadBalancer is the internet-facing CLB that ingress-nginx binds to.
	LoadBalancer LoadBalancer `json:"loadBalancer"`
	// RegistryAccess is how clusters pull from and CI pushes to the ACR
	// instance: network endpoints and the credential helper.
	RegistryAccess RegistryAccess `json:"registryAccess"`
	// Tags are added to every taggable cloud resource.
	Tags map[string]string `json:"tags,omitempty"`
}

// Network is the VPC with one node vSwitch and one Terway pod vSwitch per zone.
type Network struct {
	// VpcCidr is the VPC block. Default 192.168.0.0/16.
	VpcCidr string `json:"vpcCidr"`
	// NodeVswitchCidrs has one block per zone, in zone order, inside the VPC.
	// Default: consecutive /22 blocks from the start of the VPC.
	NodeVswitchCidrs []string `json:"nodeVswitchCidrs"`
	// PodVswitchCidrs has one block per zone for Terway pod IPs, inside the
	// VPC. Default: consecutive /19 blocks from the second quarter of the VPC.
	PodVswitchCidrs []string `json:"podVswitchCidrs"`
	// NatBandwidth is the egress EIP bandwidth in Mbit/s, 1-200 (the
	// ceiling of a pay-by-traffic EIP). Default 100.
	NatBandwidth int `json:"natBandwidth"`
}

// RegistryAccess is the network and credential side of the registry.
type RegistryAccess struct {
	// CiPushCidrs are the CIDR blocks allowed to reach the ACR Enterprise
	// instance over the internet (CI runners that push images). Empty (the
	// default) leaves the internet endpoint off: nothing outside a linked
	// VPC can reach the registry.
	CiPushCidrs []string `json:"ciPushCidrs,omitempty"`
	// Namespaces are the Kubernetes namespaces whose service accounts the
	// credential helper gives pull credentials. Default: the namespaces of
	// the stack's environments that pull through the helper; with none
	// (a platform-only stack), every namespace.
	Namespaces []string `json:"namespaces,omitempty"`
	// ServiceAccounts are the service accounts in those namespaces that get
	// the credentials. Default ["default"]; "*" means all.
	ServiceAccounts []string `json:"serviceAccounts,omitempty"`
	// PersonalCreatedOn is the creation date (YYYY-MM-DD) of the ACR
	// Personal instance, for the personal edition only. The credential
	// helper serves Personal instances created on or before 2024-09-08;
	// a later date makes validation refuse the helper add-on (environments
	// then pull with image pull secrets).
	PersonalCreatedOn string `json:"personalCreatedOn,omitempty"`
}

// Cluster is the ACK managed cluster.
type Cluster struct {
	// Spec is the control-plane edition: ack.pro.small (Pro, SLA-backed,
	// default) or ack.standard. Prod requires Pro.
	Spec string `json:"spec"`
	// Version pins the Kubernetes version so upgrades are reviewed changes.
	Version string `json:"version"`
	// Cni is terway-eniip (default: pod IPs from the VPC, NetworkPolicy
	// enforced) or flannel (overlay; cannot enforce NetworkPolicy).
	Cni string `json:"cni"`
	// ServiceCidr holds Service cluster IPs; fixed at creation. Default 172.16.0.0/16.
	ServiceCidr string `json:"serviceCidr"`
	// PodCidr is the Flannel pod block; fixed at creation. Flannel only.
	PodCidr string `json:"podCidr,omitempty"`
	// NodeCidrMask is the per-node pod block size for Flannel (24-28). Default 26.
	NodeCidrMask int `json:"nodeCidrMask"`
	// ProxyMode is ipvs (default) or iptables; fixed at creation.
	ProxyMode string `json:"proxyMode"`
	// DeletionProtection refuses cluster deletion in the console and API.
	// Default: on in prod, off elsewhere.
	DeletionProtection *bool `json:"deletionProtection,omitempty"`
	// Rrsa turns on RAM Roles for Service Accounts (cannot be turned off later).
	// Default true.
	Rrsa *bool `json:"rrsa,omitempty"`
	// MaintenanceWindow is when ACK may upgrade managed components.
	MaintenanceWindow MaintenanceWindow `json:"maintenanceWindow"`
	// ControlPlaneLogs are the control-plane components whose logs go to SLS.
	// Default apiserver, kcm, scheduler, ccm.
	ControlPlaneLogs []string `json:"controlPlaneLogs"`
	// LogRetentionDays keeps control-plane logs that long. Default 30.
	LogRetentionDays int `json:"logRetentionDays"`
	// AuditLog sends API audit logs to SLS. Default true.
	AuditLog *bool `json:"auditLog,omitempty"`
	// KmsKeyID encrypts Secrets at rest with this KMS key (Pro only). Optional.
	KmsKeyID string `json:"kmsKeyId,omitempty"`
	// Addons are managed after creation with cs.KubernetesAddon. Default:
	// the disk CSI driver, the node problem detector and the ACR credential
	// helper. The CNI is not listed here (it is chosen by cni), and the
	// credential helper's config is written by the program.
	Addons []Addon `json:"addons"`
}

// MaintenanceWindow is ACK's weekly window for managed upgrades.
type MaintenanceWindow struct {
	// WeeklyPeriod lists days, e.g. "Tuesday,Thursday". Default "Thursday".
	WeeklyPeriod string `json:"weeklyPeriod"`
	// StartTime is an RFC3339 time whose time of day starts the window.
	// Default "2025-01-02T03:00:00+08:00" (03:00 Beijing time).
	StartTime string `json:"startTime"`
	// Duration in hours, 1-24, e.g. "3h". Default "3h".
	Duration string `json:"duration"`
}

// Addon is one ACK component managed as cs.KubernetesAddon.
type Addon struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Config is the add-on's JSON configuration.
	Config string `json:"config,omitempty"`
}

// NodePool is one ACK managed node pool.
type NodePool struct {
	// Name is the pool name, a DNS-1123 label.
	Name string `json:"name"`
	// InstanceTypes is a fallback list: ACK takes the first with stock.
	InstanceTypes []string `json:"instanceTypes"`
	// SystemDiskCategories is a fallback list. Default cloud_essd, cloud_auto.
	SystemDiskCategories []string `json:"systemDiskCategories"`
	// SystemDiskSize in GiB. Default 120.
	SystemDiskSize int `json:"systemDiskSize"`
	// Autoscaling bounds; when set the pool has no desired size.
	Autoscaling *Autoscaling `json:"autoscaling,omitempty"`
	// DesiredSize is the fixed node count of a pool without autoscaling.
	DesiredSize *int `json:"desiredSize,omitempty"`
	// Labels and Taints go onto every node of the pool.
	Labels map[string]string `json:"labels,omitempty"`
	Taints []Taint           `json:"taints,omitempty"`
	// Spot runs the pool on preemptible instances (never in prod).
	Spot bool `json:"spot,omitempty"`
	// UpgradeParallelism is how many nodes an upgrade replaces at once
	// (the node pool's rolling policy). Default 1.
	UpgradeParallelism int `json:"upgradeParallelism"`
	// MaxUnavailable is how many nodes an upgrade or repair may take down at
	// once. Default 1.
	MaxUnavailable int `json:"maxUnavailable"`
}

// Autoscaling bounds a pool that the cluster autoscaler sizes.
type Autoscaling struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// LoadBalancer is the CLB in front of ingress-nginx. New CLB instances are
// pay-as-you-go by capacity unit (PayByCLCU) with pay-by-traffic internet
// billing: pay-by-specification, and pay-by-bandwidth with it, can no longer
// be bought (June 2025 on the international site, January 2026 in China).
type LoadBalancer struct {
	// InstanceChargeType is PayByCLCU, the only metering a new CLB can be
	// bought with. Default PayByCLCU.
	InstanceChargeType string `json:"instanceChargeType"`
	// Spec is a pay-by-specification CLB spec; discontinued, so it must
	// stay empty (a pay-by-CLCU instance has no spec).
	Spec string `json:"spec,omitempty"`
	// InternetChargeType is PayByTraffic, the only internet billing of a
	// pay-by-CLCU instance. Default PayByTraffic.
	InternetChargeType string `json:"internetChargeType"`
	// Bandwidth is a pay-by-bandwidth cap; discontinued with
	// pay-by-specification, so it must stay unset.
	Bandwidth int `json:"bandwidth,omitempty"`
}

func (p *Platform) setDefaults(tier Tier) {
	n := &p.Network
	if n.VpcCidr == "" {
		n.VpcCidr = "192.168.0.0/16"
	}
	if n.NatBandwidth == 0 {
		n.NatBandwidth = 100
	}
	if vpc, err := netip.ParsePrefix(n.VpcCidr); err == nil && vpc.Bits() <= 16 {
		// Carve defaults from the VPC: /22 node blocks (1 000 nodes a zone)
		// from the start, /19 pod blocks (8 000 pod IPs a zone) from the
		// second quarter, so they never overlap each other.
		if len(n.NodeVswitchCidrs) == 0 {
			for i := range p.Zones {
				n.NodeVswitchCidrs = append(n.NodeVswitchCidrs, subnet(vpc, 22, i).String())
			}
		}
		if len(n.PodVswitchCidrs) == 0 {
			quarter := subnet(vpc, vpc.Bits()+2, 1)
			for i := range p.Zones {
				n.PodVswitchCidrs = append(n.PodVswitchCidrs, subnet(quarter, 19, i).String())
			}
		}
	}

	c := &p.Cluster
	if c.Spec == "" {
		c.Spec = "ack.pro.small"
	}
	if c.Version == "" {
		c.Version = "1.33.1-aliyun.1"
	}
	if c.Cni == "" {
		c.Cni = CniTerway
	}
	if c.ServiceCidr == "" {
		c.ServiceCidr = "172.16.0.0/16"
	}
	if c.NodeCidrMask == 0 {
		c.NodeCidrMask = 26
	}
	if c.ProxyMode == "" {
		c.ProxyMode = "ipvs"
	}
	if c.DeletionProtection == nil {
		c.DeletionProtection = ptr(tier == TierProd)
	}
	if c.Rrsa == nil {
		c.Rrsa = ptr(true)
	}
	if c.AuditLog == nil {
		c.AuditLog = ptr(true)
	}
	if c.MaintenanceWindow.WeeklyPeriod == "" {
		c.MaintenanceWindow.WeeklyPeriod = "Thursday"
	}
	if c.MaintenanceWindow.StartTime == "" {
		c.MaintenanceWindow.StartTime = "2025-01-02T03:00:00+08:00"
	}
	if c.MaintenanceWindow.Duration == "" {
		c.MaintenanceWindow.Duration = "3h"
	}
	if c.ControlPlaneLogs == nil {
		c.ControlPlaneLogs = []string{"apiserver", "kcm", "scheduler", "ccm"}
	}
	if c.LogRetentionDays == 0 {
		c.LogRetentionDays = 30
	}
	if c.Addons == nil {
		// The disk CSI driver backs the stateful workloads' volumes; the
		// problem detector feeds auto repair with node conditions; the
		// credential helper lets pods pull from ACR without a stored password.
		c.Addons = []Addon{{Name: "csi-plugin"}, {Name: "csi-provisioner"}, {Name: "ack-node-problem-detector"}, {Name: CredentialHelperAddon}}
	}

	for i := range p.NodePools {
		np := &p.NodePools[i]
		if len(np.SystemDiskCategories) == 0 {
			np.SystemDiskCategories = []string{"cloud_essd", "cloud_auto"}
		}
		if np.SystemDiskSize == 0 {
			np.SystemDiskSize = 120
		}
		if np.UpgradeParallelism == 0 {
			np.UpgradeParallelism = 1
		}
		if np.MaxUnavailable == 0 {
			np.MaxUnavailable = 1
		}
	}

	lb := &p.LoadBalancer
	if lb.InstanceChargeType == "" {
		lb.InstanceChargeType = ClbPayByCLCU
	}
	if lb.InternetChargeType == "" {
		lb.InternetChargeType = "PayByTraffic"
	}

	if len(p.RegistryAccess.ServiceAccounts) == 0 {
		p.RegistryAccess.ServiceAccounts = []string{"default"}
	}
}

// CNI plugins ACK offers at creation.
const (
	CniTerway  = "terway-eniip"
	CniFlannel = "flannel"
)

// ClbPayByCLCU is the pay-as-you-go metering of a CLB by capacity unit, the
// only one new instances can be bought with.
const ClbPayByCLCU = "PayByCLCU"

// Limits the platform checks before anything is created; each names the
// document it comes from in docs/alicloud-rules.md.
const (
	// maxInstanceTypes is how many fallback instance types a node pool takes.
	maxInstanceTypes = 10
	// maxEipTrafficBandwidth is the ceiling of a pay-by-traffic EIP, Mbit/s.
	maxEipTrafficBandwidth = 200
	// minVswitchBits and maxVswitchBits bound a vSwitch's mask.
	minVswitchBits, maxVswitchBits = 16, 29
	// helperPersonalCutoff is the last creation date of an ACR Personal
	// instance the credential helper serves.
	helperPersonalCutoff = "2024-09-08"
	// ManagedCredentialHelperAddon is the managed edition of the credential
	// helper; only one edition can be installed.
	ManagedCredentialHelperAddon = "managed-aliyun-acr-credential-helper"
)

var (
	clusterSpecs   = []string{"ack.pro.small", "ack.standard"}
	proxyModes     = []string{"ipvs", "iptables"}
	diskCategories = []string{"cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_efficiency", "cloud_ssd"}
	taintEffects   = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	weekdays       = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	logComponents  = []string{"apiserver", "kcm", "scheduler", "ccm", "controlplane-events", "alb", "ack-goatscaler", "coredns"}
	// cniAddons are the network plugins: chosen once by cluster.cni, never
	// installed again as a managed add-on.
	cniAddons = []string{"terway", "terway-eni", "terway-eniip", "kube-flannel-ds", "flannel"}
	// RequiredAddons are what pods need before anything is scheduled: the
	// disk CSI driver (volumes). The credential helper is required too when
	// images are pulled through it.
	RequiredAddons = []string{"csi-plugin", "csi-provisioner"}
	// reservedRanges can be neither a VPC, a vSwitch nor a cluster block.
	reservedRanges = []netip.Prefix{
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("224.0.0.0/4"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("0.0.0.0/8"),
	}
	// reservedTagPrefixes are kept by Alibaba Cloud for its own tags.
	reservedTagPrefixes = []string{"aliyun", "acs:", "http://", "https://"}
	ackVersion          = regexp.MustCompile(`^1\.[0-9]+\.[0-9]+-aliyun\.[0-9]+$`)
	addonVersion        = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
	isoDate             = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func (p *Platform) validate(ps *Problems, c *Config, key string) {
	tier := c.Tier
	minZones := 2
	if tier == TierProd {
		minZones = 3
	}
	if len(p.Zones) < minZones {
		ps.Addf(key+".zones", "%d zone(s) given, the %s tier needs at least %d so a zone outage leaves capacity", len(p.Zones), tier, minZones)
	}
	seenZone := map[string]bool{}
	for i, z := range p.Zones {
		k := fmt.Sprintf("%s.zones[%d]", key, i)
		checkLabel(ps, k, z)
		// A zone id is its region id plus a letter suffix (cn-hangzhou-h).
		if c.Region != "" && !(strings.HasPrefix(z, c.Region+"-") && len(z) > len(c.Region)+1) {
			ps.Addf(k, "zone %q is not in the region %s (zone ids look like %s-h)", z, c.Region, c.Region)
		}
		if seenZone[z] {
			ps.Addf(k, "zone %q is listed twice", z)
		}
		seenZone[z] = true
	}
	p.validateNetwork(ps, key)
	p.validateCluster(ps, tier, key+".cluster")
	p.validateAddons(ps, c, key+".cluster.addons")
	if len(p.NodePools) == 0 {
		ps.Addf(key+".nodePools", "at least one node pool is required")
	}
	seenPool := map[string]bool{}
	for i, np := range p.NodePools {
		k := fmt.Sprintf("%s.nodePools[%d]", key, i)
		np.validate(ps, tier, k)
		if seenPool[np.Name] {
			ps.Addf(k+".name", "node pool %q is defined twice", np.Name)
		}
		seenPool[np.Name] = true
	}
	p.LoadBalancer.validate(ps, key+".loadBalancer")
	p.RegistryAccess.validate(ps, c, key+".registryAccess")
	checkTags(ps, key+".tags", p.Tags)
}

// validate refuses the CLB billing combinations Alibaba Cloud no longer
// sells, saying why, so the first `pulumi up` does not fail at purchase.
func (lb LoadBalancer) validate(ps *Problems, k string) {
	switch lb.InstanceChargeType {
	case ClbPayByCLCU:
	case "PayBySpec":
		ps.Addf(k+".instanceChargeType", "pay-by-specification CLB instances can no longer be bought (from June 2025 on the international site, January 2026 in China); use %s", ClbPayByCLCU)
	default:
		ps.Addf(k+".instanceChargeType", "%q is not %s, the only metering a new CLB can be bought with", lb.InstanceChargeType, ClbPayByCLCU)
	}
	switch lb.InternetChargeType {
	case "PayByTraffic":
	case "PayByBandwidth":
		ps.Addf(k+".internetChargeType", "pay-by-bandwidth exists only with pay-by-specification, which can no longer be bought; a %s instance is billed PayByTraffic", ClbPayByCLCU)
	default:
		ps.Addf(k+".internetChargeType", "%q is not PayByTraffic, the internet billing of a %s instance", lb.InternetChargeType, ClbPayByCLCU)
	}
	if lb.Spec != "" {
		ps.Addf(k+".spec", "%q: a %s instance has no specification (pay-by-specification can no longer be bought); remove spec", lb.Spec, ClbPayByCLCU)
	}
	if lb.Bandwidth != 0 {
		ps.Addf(k+".bandwidth", "a bandwidth cap needs pay-by-bandwidth, which can no longer be bought; remove bandwidth")
	}
}

func (ra RegistryAccess) validate(ps *Problems, c *Config, k string) {
	for i, cidr := range ra.CiPushCidrs {
		ck := fmt.Sprintf("%s.ciPushCidrs[%d]", k, i)
		pfx, ok := parsePrefix(ps, ck, cidr)
		if ok && pfx.Bits() == 0 {
			ps.Addf(ck, "%s opens the registry to the whole internet; list the CI runners' egress blocks", pfx)
		}
	}
	if len(ra.CiPushCidrs) > 0 && c.Registry.Edition != EditionEnterprise {
		ps.Addf(k+".ciPushCidrs", "only the stack that owns the ACR Enterprise instance (registry edition enterprise) opens its internet endpoint")
	}
	for i, ns := range ra.Namespaces {
		checkLabel(ps, fmt.Sprintf("%s.namespaces[%d]", k, i), ns)
	}
	for i, sa := range ra.ServiceAccounts {
		if sa != "*" {
			checkLabel(ps, fmt.Sprintf("%s.serviceAccounts[%d]", k, i), sa)
		}
	}
	switch {
	case ra.PersonalCreatedOn != "" && !isoDate.MatchString(ra.PersonalCreatedOn):
		ps.Addf(k+".personalCreatedOn", "%q: give the ACR Personal instance's creation date as YYYY-MM-DD; it decides whether the credential helper can serve it", ra.PersonalCreatedOn)
	case c.Registry.Edition != EditionPersonal && ra.PersonalCreatedOn != "":
		ps.Addf(k+".personalCreatedOn", "only for the personal registry edition")
	}
}

// HelperServesRegistry tells whether the aliyun-acr-credential-helper
// add-on can serve the stack's registry: every Enterprise instance, and
// Personal instances created on or before 2024-09-08 (later ones need image
// pull secrets).
func (c *Config) HelperServesRegistry() bool {
	return !(c.Registry.Edition == EditionPersonal && c.Platform != nil && c.Platform.RegistryAccess.PersonalCreatedOn > helperPersonalCutoff)
}

// HelperNamespaces are the namespaces the credential helper serves: the
// ones given in registryAccess.namespaces, else those of the stack's
// environments that pull through the helper.
func (c *Config) HelperNamespaces() []string {
	if c.Platform != nil && len(c.Platform.RegistryAccess.Namespaces) > 0 {
		return c.Platform.RegistryAccess.Namespaces
	}
	var out []string
	for _, name := range slices.Sorted(maps.Keys(c.Workloads.Environments)) {
		if e := c.Workloads.Environments[name]; e.ImagePull.Mode == PullCredentialHelper {
			out = append(out, e.Namespace)
		}
	}
	return out
}

// isHelper tells whether an add-on is an edition of the credential helper.
func isHelper(name string) bool {
	return name == CredentialHelperAddon || name == ManagedCredentialHelperAddon
}

// validateAddons checks the add-on set: no CNI (chosen by cluster.cni), the
// CSI driver always, the credential helper exactly when it can serve the
// registry, and no hand-written config for it (the program writes it).
func (p *Platform) validateAddons(ps *Problems, c *Config, k string) {
	seen := map[string]bool{}
	for i, a := range p.Cluster.Addons {
		ak := fmt.Sprintf("%s[%d]", k, i)
		checkLabel(ps, ak+".name", a.Name)
		if seen[a.Name] {
			ps.Addf(ak+".name", "add-on %q is listed twice", a.Name)
		}
		seen[a.Name] = true
		if slices.Contains(cniAddons, a.Name) {
			ps.Addf(ak+".name", "%q is a network plugin: the CNI is chosen once by cluster.cni (%s) at creation and is not installed again as an add-on", a.Name, p.Cluster.Cni)
		}
		if a.Version != "" && !addonVersion.MatchString(a.Version) {
			ps.Addf(ak+".version", "%q is not an add-on version such as v1.30.1 or 1.2.3-aliyun.1", a.Version)
		}
		if a.Config != "" && !isJSONObject(a.Config) {
			ps.Addf(ak+".config", "must be a JSON object")
		}
		if isHelper(a.Name) && a.Config != "" {
			ps.Addf(ak+".config", "the credential helper's config (instance, namespaces, service accounts) is written from platform.registryAccess; remove config")
		}
	}
	for _, req := range RequiredAddons {
		if !seen[req] {
			ps.Addf(k, "add-on %q is missing: pods need it before they can run", req)
		}
	}
	if seen[CredentialHelperAddon] && seen[ManagedCredentialHelperAddon] {
		ps.Addf(k, "list %s or %s, not both: only one edition of the credential helper can be installed", CredentialHelperAddon, ManagedCredentialHelperAddon)
	}
	switch helper := seen[CredentialHelperAddon] || seen[ManagedCredentialHelperAddon]; {
	case c.HelperServesRegistry() && !helper:
		ps.Addf(k, "add-on %q is missing: nodes pull from ACR through it", CredentialHelperAddon)
	case !c.HelperServesRegistry() && helper:
		ps.Addf(k, "add-on %q cannot serve an ACR Personal instance created after %s; remove it (workloads use image pull secrets)", CredentialHelperAddon, helperPersonalCutoff)
	}
}

func (p *Platform) validateNetwork(ps *Problems, key string) {
	n := p.Network
	k := key + ".network"
	vpc, vpcOK := parsePrefix(ps, k+".vpcCidr", n.VpcCidr)
	if vpcOK && (vpc.Bits() < 8 || vpc.Bits() > 24) {
		ps.Addf(k+".vpcCidr", "%s: a VPC block must be /8 to /24", vpc)
	}
	if vpcOK {
		checkReserved(ps, k+".vpcCidr", vpc)
	}
	var blocks []namedPrefix
	for _, list := range []struct {
		name  string
		cidrs []string
	}{{"nodeVswitchCidrs", n.NodeVswitchCidrs}, {"podVswitchCidrs", n.PodVswitchCidrs}} {
		if len(list.cidrs) != len(p.Zones) {
			ps.Addf(k+"."+list.name, "%d block(s) for %d zone(s): give exactly one per zone", len(list.cidrs), len(p.Zones))
		}
		for i, c := range list.cidrs {
			ck := fmt.Sprintf("%s.%s[%d]", k, list.name, i)
			pfx, ok := parsePrefix(ps, ck, c)
			if !ok {
				continue
			}
			if pfx.Bits() < minVswitchBits || pfx.Bits() > maxVswitchBits {
				ps.Addf(ck, "%s: a vSwitch block must be /%d to /%d", pfx, minVswitchBits, maxVswitchBits)
			}
			if vpcOK && !(vpc.Contains(pfx.Addr()) && pfx.Bits() >= vpc.Bits()) {
				ps.Addf(ck, "%s is outside the VPC %s", pfx, vpc)
			}
			blocks = append(blocks, namedPrefix{ck, pfx})
		}
	}
	// Cluster blocks live outside the VPC routing table and must not collide
	// with it: fixed at creation, so checked before anything is created.
	if svc, ok := parsePrefix(ps, key+".cluster.serviceCidr", p.Cluster.ServiceCidr); ok {
		if vpcOK && svc.Overlaps(vpc) {
			ps.Addf(key+".cluster.serviceCidr", "%s overlaps the VPC %s", svc, vpc)
		}
		checkReserved(ps, key+".cluster.serviceCidr", svc)
		blocks = append(blocks, namedPrefix{key + ".cluster.serviceCidr", svc})
	}
	if p.Cluster.Cni == CniFlannel {
		if pod, ok := parsePrefix(ps, key+".cluster.podCidr", p.Cluster.PodCidr); ok {
			if vpcOK && pod.Overlaps(vpc) {
				ps.Addf(key+".cluster.podCidr", "%s overlaps the VPC %s", pod, vpc)
			}
			checkReserved(ps, key+".cluster.podCidr", pod)
			blocks = append(blocks, namedPrefix{key + ".cluster.podCidr", pod})
		}
	}
	checkDisjoint(ps, blocks)
	if n.NatBandwidth < 1 || n.NatBandwidth > maxEipTrafficBandwidth {
		ps.Addf(k+".natBandwidth", "%d is outside 1-%d Mbit/s, the range of a pay-by-traffic EIP", n.NatBandwidth, maxEipTrafficBandwidth)
	}
}

// checkReserved reports a block that overlaps a range Alibaba Cloud keeps
// for itself (100.64.0.0/10 carries its services) or that is not routable.
func checkReserved(ps *Problems, k string, pfx netip.Prefix) {
	for _, r := range reservedRanges {
		if pfx.Overlaps(r) {
			ps.Addf(k, "%s overlaps the reserved range %s", pfx, r)
		}
	}
}

// checkTags refuses tag keys Alibaba Cloud reserves and over-long tags.
func checkTags(ps *Problems, k string, tags map[string]string) {
	for _, tk := range slices.Sorted(maps.Keys(tags)) {
		lower := strings.ToLower(tk)
		for _, prefix := range reservedTagPrefixes {
			if strings.HasPrefix(lower, prefix) {
				ps.Addf(k, "tag key %q starts with %q, which Alibaba Cloud reserves", tk, prefix)
			}
		}
		if tk == "" || len(tk) > 128 {
			ps.Addf(k, "tag key %q must be 1-128 characters", tk)
		}
		if len(tags[tk]) > 128 {
			ps.Addf(k, "tag %q: the value is longer than 128 characters", tk)
		}
	}
}

func (p *Platform) validateCluster(ps *Problems, tier Tier, k string) {
	c := p.Cluster
	if !slices.Contains(clusterSpecs, c.Spec) {
		ps.Addf(k+".spec", "%q is not one of %s", c.Spec, strings.Join(clusterSpecs, ", "))
	}
	if tier == TierProd && c.Spec != "ack.pro.small" {
		ps.Addf(k+".spec", "prod needs the Pro control plane (ack.pro.small) for its SLA, got %q", c.Spec)
	}
	if !ackVersion.MatchString(c.Version) {
		ps.Addf(k+".version", "%q is not an ACK version such as 1.33.1-aliyun.1; pin one so upgrades are reviewed", c.Version)
	}
	switch c.Cni {
	case CniTerway:
		if c.PodCidr != "" {
			ps.Addf(k+".podCidr", "Terway takes pod IPs from the pod vSwitches; podCidr is for Flannel only")
		}
	case CniFlannel:
		if c.NodeCidrMask < 24 || c.NodeCidrMask > 28 {
			ps.Addf(k+".nodeCidrMask", "%d is outside 24-28", c.NodeCidrMask)
		}
	default:
		ps.Addf(k+".cni", "%q is not one of %s, %s", c.Cni, CniTerway, CniFlannel)
	}
	if !slices.Contains(proxyModes, c.ProxyMode) {
		ps.Addf(k+".proxyMode", "%q is not one of %s", c.ProxyMode, strings.Join(proxyModes, ", "))
	}
	if tier == TierProd {
		if !*c.DeletionProtection {
			ps.Addf(k+".deletionProtection", "must stay on in prod")
		}
		if !*c.AuditLog {
			ps.Addf(k+".auditLog", "must stay on in prod")
		}
	}
	if c.KmsKeyID != "" && c.Spec != "ack.pro.small" {
		ps.Addf(k+".kmsKeyId", "Secret encryption with KMS needs the Pro spec (ack.pro.small)")
	}
	mw := c.MaintenanceWindow
	for _, d := range strings.Split(mw.WeeklyPeriod, ",") {
		if !slices.Contains(weekdays, strings.TrimSpace(d)) {
			ps.Addf(k+".maintenanceWindow.weeklyPeriod", "%q is not a day name (Monday..Sunday)", d)
		}
	}
	if _, err := parseRFC3339(mw.StartTime); err != nil {
		ps.Addf(k+".maintenanceWindow.startTime", "%q is not an RFC3339 time: %v", mw.StartTime, err)
	}
	var hours int
	if _, err := fmt.Sscanf(mw.Duration, "%dh", &hours); err != nil || hours < 1 || hours > 24 || fmt.Sprintf("%dh", hours) != mw.Duration {
		ps.Addf(k+".maintenanceWindow.duration", "%q is not a whole number of hours from 1h to 24h", mw.Duration)
	}
	for i, l := range c.ControlPlaneLogs {
		if !slices.Contains(logComponents, l) {
			ps.Addf(fmt.Sprintf("%s.controlPlaneLogs[%d]", k, i), "%q is not one of %s", l, strings.Join(logComponents, ", "))
		}
	}
	if tier == TierProd && len(c.ControlPlaneLogs) == 0 {
		ps.Addf(k+".controlPlaneLogs", "prod ships control-plane logs to SLS; list at least apiserver")
	}
	if c.LogRetentionDays < 1 || c.LogRetentionDays > 3650 {
		ps.Addf(k+".logRetentionDays", "%d is outside 1-3650", c.LogRetentionDays)
	}
}

func (np NodePool) validate(ps *Problems, tier Tier, k string) {
	checkLabel(ps, k+".name", np.Name)
	if len(np.InstanceTypes) == 0 {
		ps.Addf(k+".instanceTypes", "list at least one instance type (several give ACK a fallback when one is out of stock)")
	}
	if len(np.InstanceTypes) > maxInstanceTypes {
		ps.Addf(k+".instanceTypes", "%d instance types: a node pool takes at most %d", len(np.InstanceTypes), maxInstanceTypes)
	}
	for i, it := range np.InstanceTypes {
		if !strings.HasPrefix(it, "ecs.") {
			ps.Addf(fmt.Sprintf("%s.instanceTypes[%d]", k, i), "%q is not an ECS instance type such as ecs.g7.xlarge", it)
		}
	}
	for i, d := range np.SystemDiskCategories {
		if !slices.Contains(diskCategories, d) {
			ps.Addf(fmt.Sprintf("%s.systemDiskCategories[%d]", k, i), "%q is not one of %s", d, strings.Join(diskCategories, ", "))
		}
	}
	if np.SystemDiskSize < 40 || np.SystemDiskSize > 2048 {
		ps.Addf(k+".systemDiskSize", "%d GiB is outside 40-2048", np.SystemDiskSize)
	}
	switch {
	case np.Autoscaling != nil && np.DesiredSize != nil:
		ps.Addf(k+".desiredSize", "an autoscaling pool is sized by the autoscaler; remove desiredSize")
	case np.Autoscaling == nil && np.DesiredSize == nil:
		ps.Addf(k+".desiredSize", "set desiredSize or autoscaling")
	case np.DesiredSize != nil && *np.DesiredSize < 0:
		ps.Addf(k+".desiredSize", "%d is negative", *np.DesiredSize)
	}
	if a := np.Autoscaling; a != nil {
		if a.Min < 0 || a.Max <= a.Min || a.Max > 1000 {
			ps.Addf(k+".autoscaling", "min %d / max %d: need 0 <= min < max <= 1000 (a max not above min leaves the autoscaler nothing to do)", a.Min, a.Max)
		}
	}
	if np.Spot && tier == TierProd {
		ps.Addf(k+".spot", "spot instances can be reclaimed at any time; not allowed in prod")
	}
	if np.UpgradeParallelism < 1 || np.UpgradeParallelism > 1000 {
		ps.Addf(k+".upgradeParallelism", "%d is outside 1-1000", np.UpgradeParallelism)
	}
	if np.MaxUnavailable < 1 || np.MaxUnavailable > 1000 {
		ps.Addf(k+".maxUnavailable", "%d is outside 1-1000", np.MaxUnavailable)
	}
	for _, lk := range slices.Sorted(maps.Keys(np.Labels)) {
		lkk := fmt.Sprintf("%s.labels[%s]", k, lk)
		for _, msg := range validation.IsQualifiedName(lk) {
			ps.Addf(lkk, "%q is not a Kubernetes label key: %s", lk, msg)
		}
		for _, msg := range validation.IsValidLabelValue(np.Labels[lk]) {
			ps.Addf(lkk, "%q is not a Kubernetes label value: %s", np.Labels[lk], msg)
		}
		if strings.HasPrefix(lk, "kubernetes.io/") || strings.HasPrefix(lk, "node-role.kubernetes.io/") {
			ps.Addf(k+".labels", "label %q is reserved by Kubernetes", lk)
		}
	}
	for i, t := range np.Taints {
		tk := fmt.Sprintf("%s.taints[%d]", k, i)
		if t.Key == "" || !slices.Contains(taintEffects, t.Effect) {
			ps.Addf(tk, "needs a key and an effect of %s", strings.Join(taintEffects, ", "))
		}
		if t.Key != "" {
			for _, msg := range validation.IsQualifiedName(t.Key) {
				ps.Addf(tk+".key", "%q is not a Kubernetes taint key: %s", t.Key, msg)
			}
		}
	}
}

// subnet returns the index-th block of size bits inside p.
func subnet(p netip.Prefix, bits, index int) netip.Prefix {
	a := p.Masked().Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	base += uint32(index) << (32 - bits)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), byte(base)}), bits)
}

func ptr[T any](v T) *T { return &v }
