package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
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
	// NatBandwidth is the egress EIP bandwidth in Mbit/s. Default 100.
	NatBandwidth int `json:"natBandwidth"`
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
	// helper.
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
	// Name is the ACK add-on name, e.g. csi-plugin.
	Name string `json:"name"`
	// Version pins the add-on version; default: ACK's current one.
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
	// Taints keep pods without a matching toleration off the pool.
	Taints []Taint `json:"taints,omitempty"`
	// Spot runs the pool on preemptible instances (never in prod).
	Spot bool `json:"spot,omitempty"`
	// Surge is how many extra nodes an upgrade adds. Default 1.
	Surge int `json:"surge"`
	// MaxUnavailable is how many nodes an upgrade or repair may take down at
	// once. Default 1.
	MaxUnavailable int `json:"maxUnavailable"`
}

// Autoscaling bounds a pool that the cluster autoscaler sizes.
type Autoscaling struct {
	// Min is the fewest nodes of the pool.
	Min int `json:"min"`
	// Max is the most nodes the autoscaler adds.
	Max int `json:"max"`
}

// Taint is a node taint.
type Taint struct {
	// Key of the taint.
	Key string `json:"key"`
	// Value of the taint (optional).
	Value string `json:"value,omitempty"`
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Effect string `json:"effect"`
}

// LoadBalancer is the CLB in front of ingress-nginx.
type LoadBalancer struct {
	// Spec is the CLB spec. Default slb.s2.small.
	Spec string `json:"spec"`
	// InternetChargeType is PayByTraffic (default) or PayByBandwidth.
	InternetChargeType string `json:"internetChargeType"`
	// Bandwidth in Mbit/s, used with PayByBandwidth. Default 50.
	Bandwidth int `json:"bandwidth"`
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
		if np.Surge == 0 {
			np.Surge = 1
		}
		if np.MaxUnavailable == 0 {
			np.MaxUnavailable = 1
		}
	}

	lb := &p.LoadBalancer
	if lb.Spec == "" {
		lb.Spec = "slb.s2.small"
	}
	if lb.InternetChargeType == "" {
		lb.InternetChargeType = "PayByTraffic"
	}
	if lb.Bandwidth == 0 {
		lb.Bandwidth = 50
	}
}

// CNI plugins ACK offers at creation.
const (
	CniTerway  = "terway-eniip"
	CniFlannel = "flannel"
)

var (
	clusterSpecs   = []string{"ack.pro.small", "ack.standard"}
	proxyModes     = []string{"ipvs", "iptables"}
	diskCategories = []string{"cloud_essd", "cloud_auto", "cloud_essd_entry", "cloud_efficiency", "cloud_ssd"}
	taintEffects   = []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
	chargeTypes    = []string{"PayByTraffic", "PayByBandwidth"}
	weekdays       = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	logComponents  = []string{"apiserver", "kcm", "scheduler", "ccm", "controlplane-events", "alb", "ack-goatscaler", "coredns"}
)

func (p *Platform) validate(ps *Problems, tier Tier, key string) {
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
		if seenZone[z] {
			ps.Addf(k, "zone %q is listed twice", z)
		}
		seenZone[z] = true
	}
	p.validateNetwork(ps, key)
	p.validateCluster(ps, tier, key+".cluster")
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
	lb := p.LoadBalancer
	if !slices.Contains(chargeTypes, lb.InternetChargeType) {
		ps.Addf(key+".loadBalancer.internetChargeType", "%q is not one of %s", lb.InternetChargeType, strings.Join(chargeTypes, ", "))
	}
	if lb.Bandwidth < 1 || lb.Bandwidth > 5000 {
		ps.Addf(key+".loadBalancer.bandwidth", "%d is outside 1-5000 Mbit/s", lb.Bandwidth)
	}
	if !strings.HasPrefix(lb.Spec, "slb.") {
		ps.Addf(key+".loadBalancer.spec", "%q is not a CLB spec such as slb.s2.small", lb.Spec)
	}
}

func (p *Platform) validateNetwork(ps *Problems, key string) {
	n := p.Network
	k := key + ".network"
	vpc, vpcOK := parsePrefix(ps, k+".vpcCidr", n.VpcCidr)
	if vpcOK && (vpc.Bits() < 8 || vpc.Bits() > 24) {
		ps.Addf(k+".vpcCidr", "%s: a VPC block must be /8 to /24", vpc)
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
		blocks = append(blocks, namedPrefix{key + ".cluster.serviceCidr", svc})
	}
	if p.Cluster.Cni == CniFlannel {
		if pod, ok := parsePrefix(ps, key+".cluster.podCidr", p.Cluster.PodCidr); ok {
			if vpcOK && pod.Overlaps(vpc) {
				ps.Addf(key+".cluster.podCidr", "%s overlaps the VPC %s", pod, vpc)
			}
			blocks = append(blocks, namedPrefix{key + ".cluster.podCidr", pod})
		}
	}
	checkDisjoint(ps, blocks)
	if n.NatBandwidth < 1 || n.NatBandwidth > 500 {
		ps.Addf(k+".natBandwidth", "%d is outside 1-500 Mbit/s", n.NatBandwidth)
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
	if !strings.Contains(c.Version, "-aliyun.") {
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
	seen := map[string]bool{}
	for i, a := range c.Addons {
		ak := fmt.Sprintf("%s.addons[%d]", k, i)
		checkLabel(ps, ak+".name", a.Name)
		if seen[a.Name] {
			ps.Addf(ak+".name", "add-on %q is listed twice", a.Name)
		}
		seen[a.Name] = true
		if a.Config != "" && !isJSONObject(a.Config) {
			ps.Addf(ak+".config", "must be a JSON object")
		}
	}
}

func (np NodePool) validate(ps *Problems, tier Tier, k string) {
	checkLabel(ps, k+".name", np.Name)
	if len(np.InstanceTypes) == 0 {
		ps.Addf(k+".instanceTypes", "list at least one instance type (several give ACK a fallback when one is out of stock)")
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
		if a.Min < 0 || a.Max < 1 || a.Min > a.Max || a.Max > 1000 {
			ps.Addf(k+".autoscaling", "min %d / max %d: need 0 <= min <= max, 1 <= max <= 1000", a.Min, a.Max)
		}
	}
	if np.Spot && tier == TierProd {
		ps.Addf(k+".spot", "spot instances can be reclaimed at any time; not allowed in prod")
	}
	if np.Surge < 1 || np.Surge > 1000 {
		ps.Addf(k+".surge", "%d is outside 1-1000", np.Surge)
	}
	if np.MaxUnavailable < 1 || np.MaxUnavailable > 1000 {
		ps.Addf(k+".maxUnavailable", "%d is outside 1-1000", np.MaxUnavailable)
	}
	for lk := range np.Labels {
		if strings.HasPrefix(lk, "kubernetes.io/") || strings.HasPrefix(lk, "node-role.kubernetes.io/") {
			ps.Addf(k+".labels", "label %q is reserved by Kubernetes", lk)
		}
	}
	for i, t := range np.Taints {
		if t.Key == "" || !slices.Contains(taintEffects, t.Effect) {
			ps.Addf(fmt.Sprintf("%s.taints[%d]", k, i), "needs a key and an effect of %s", strings.Join(taintEffects, ", "))
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
