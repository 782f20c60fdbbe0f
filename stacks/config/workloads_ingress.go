package config

import (
	"fmt"
	"slices"
	"strings"
)

// Ingress controllers. docs/ingress.md tells why ALB is the default.
const (
	// IngressALB: the ACK ALB Ingress controller (add-on
	// alb-ingress-controller) programs an Application Load Balancer from
	// the program's AlbConfig and Ingress objects; nothing runs in the
	// cluster's data path.
	IngressALB = "alb"
	// IngressNginx: the program runs the community ingress-nginx
	// controller in the cluster (retired upstream in March 2026: no
	// security fixes; kept for the local target and existing clusters).
	IngressNginx = "nginx"
	// IngressExisting: the cluster already runs a controller; the program
	// only creates Ingress objects of the given class.
	IngressExisting = "existing"
)

// DefaultIngressNginxRepository is the mirror repository of the
// ingress-nginx controller image unless ingress.nginx.repository says
// otherwise.
const DefaultIngressNginxRepository = "ingress-nginx-controller"

// AlbAddon is the ACK add-on that runs the ALB Ingress controller.
const AlbAddon = "alb-ingress-controller"

// Ingress configures the edge.
type Ingress struct {
	// Controller is alb (default on the alicloud target), nginx or
	// existing; the local target has no default and must choose.
	Controller string `json:"controller"`
	// Class is the IngressClass name. Default: alb or nginx; required with existing.
	Class string `json:"class"`
	// Namespace of an in-cluster controller (nginx: created; existing:
	// where it runs, the source the environments' NetworkPolicies allow).
	// Default ingress-nginx.
	Namespace string `json:"namespace"`
	// TLS is the default certificate of every environment.
	TLS *TLS `json:"tls,omitempty"`
	// SSLRedirect sends HTTP to HTTPS where a host has TLS. Default true.
	SSLRedirect *bool `json:"sslRedirect,omitempty"`
	// Alb configures controller alb.
	Alb Alb `json:"alb,omitzero"`
	// Nginx configures controller nginx.
	Nginx Nginx `json:"nginx,omitzero"`
}

// Alb is the Application Load Balancer the AlbConfig programs.
type Alb struct {
	// ID of an ALB instance to use. Default: the platform stack's albId
	// output; without one, VSwitchIDs let the AlbConfig create it.
	ID string `json:"id,omitempty"`
	// VSwitchIDs (at least two, in different zones) for an ALB that the
	// AlbConfig creates and owns.
	VSwitchIDs []string `json:"vSwitchIds,omitempty"`
	// AddressType is Internet (default) or Intranet.
	AddressType string `json:"addressType,omitempty"`
	// SourceCidrs are where the ALB's requests to the pods come from (its
	// vSwitches), allowed by the environments' NetworkPolicies. Default:
	// the VPC block.
	SourceCidrs []string `json:"sourceCidrs,omitempty"`
}

// Nginx is the in-cluster ingress-nginx controller.
type Nginx struct {
	// Repository of the controller image in the mirror (mirrored from
	// registry.k8s.io/ingress-nginx/controller). Default ingress-nginx-controller.
	Repository string `json:"repository,omitempty"`
	// Version pins the image tag. Default v1.12.1.
	Version string `json:"version,omitempty"`
	// Replicas of the controller. Default 2, prod 3.
	Replicas int `json:"replicas,omitempty"`
	// Resources of the controller container.
	Resources Resources `json:"resources,omitzero"`
}

func (in *Ingress) setDefaults(c *Config) {
	prod := c.Tier == TierProd
	if in.Controller == "" && c.Target == TargetAlicloud {
		in.Controller = IngressALB
	}
	if in.Class == "" {
		switch in.Controller {
		case IngressALB:
			in.Class = "alb"
		case IngressNginx:
			in.Class = "nginx"
		}
	}
	if in.Namespace == "" {
		in.Namespace = "ingress-nginx"
	}
	if in.SSLRedirect == nil {
		in.SSLRedirect = ptr(true)
	}
	if in.Controller == IngressALB {
		if in.Alb.AddressType == "" {
			in.Alb.AddressType = "Internet"
		}
		if in.Alb.SourceCidrs == nil && c.Platform != nil {
			in.Alb.SourceCidrs = []string{c.Platform.Network.VpcCidr}
		}
	}
	if in.Controller == IngressNginx {
		n := &in.Nginx
		if n.Repository == "" {
			n.Repository = DefaultIngressNginxRepository
		}
		if n.Version == "" {
			n.Version = "v1.12.1"
		}
		if n.Replicas == 0 {
			// Two controllers survive a node drain; prod spreads three over its zones.
			n.Replicas = 2
			if prod {
				n.Replicas = 3
			}
		}
		n.Resources = mergeResources(Resources{ResourceList{"100m", "256Mi", "256Mi"}, ResourceList{"1", "512Mi", "1Gi"}}, n.Resources)
	}
}

func (w *Workloads) validateIngress(ps *Problems, c *Config, r Reader) {
	in := w.Ingress
	k := key("ingress")
	switch in.Controller {
	case IngressALB:
		if c.Target == TargetLocal {
			ps.Addf(k+".controller", "alb needs an Alibaba Cloud ALB; the local target uses nginx or existing")
		}
		if c.Platform != nil && !slices.ContainsFunc(c.Platform.Cluster.Addons, func(a Addon) bool { return a.Name == AlbAddon }) {
			ps.Addf(k+".controller", "alb needs the %s add-on in ack-platform:platform.cluster.addons", AlbAddon)
		}
		a := in.Alb
		if a.ID != "" && len(a.VSwitchIDs) > 0 {
			ps.Addf(k+".alb.vSwitchIds", "give either alb.id (an existing ALB) or alb.vSwitchIds (the AlbConfig creates one), not both")
		}
		if len(a.VSwitchIDs) == 1 {
			ps.Addf(k+".alb.vSwitchIds", "an ALB needs at least two vSwitches in different zones")
		}
		if a.AddressType != "Internet" && a.AddressType != "Intranet" {
			ps.Addf(k+".alb.addressType", "%q is not Internet or Intranet", a.AddressType)
		}
		if len(a.SourceCidrs) == 0 {
			ps.Addf(k+".alb.sourceCidrs", "give the CIDR blocks of the ALB's vSwitches, which the NetworkPolicies let reach the gateways and frontends")
		}
		for i, cidr := range a.SourceCidrs {
			parsePrefix(ps, fmt.Sprintf("%s.alb.sourceCidrs[%d]", k, i), cidr)
		}
	case IngressNginx:
		n := in.Nginx
		checkRepoPath(ps, k+".nginx.repository", n.Repository)
		if n.Version == "latest" || !imageTagRE.MatchString(n.Version) {
			ps.Addf(k+".nginx.version", "%q: pin the controller version, e.g. v1.12.1", n.Version)
		}
		if n.Replicas < 1 || (c.Tier == TierProd && n.Replicas < 2) {
			ps.Addf(k+".nginx.replicas", "%d: at least 1, prod at least 2", n.Replicas)
		}
		checkResources(ps, k+".nginx.resources", n.Resources)
	case IngressExisting:
		if in.Class == "" {
			ps.Addf(k+".class", "name the IngressClass of the cluster's controller")
		}
	case "":
		ps.Addf(k+".controller", "choose the edge: nginx (the program runs ingress-nginx) or existing (the cluster's own controller)")
	default:
		ps.Addf(k+".controller", "%q is not one of alb, nginx, existing", in.Controller)
	}
	if in.Controller != IngressALB && !isZeroAlb(in.Alb) {
		ps.Addf(k+".alb", "only used with controller alb")
	}
	if in.Controller != IngressNginx && !isZeroNginx(in.Nginx) {
		ps.Addf(k+".nginx", "only used with controller nginx")
	}
	checkLabel(ps, k+".namespace", in.Namespace)
	if in.Class != "" {
		checkLabel(ps, k+".class", in.Class)
	}
	if in.TLS != nil {
		checkTLS(ps, k+".tls", *in.TLS, r)
	}
}

func isZeroAlb(a Alb) bool {
	return a.ID == "" && len(a.VSwitchIDs) == 0 && a.AddressType == "" && len(a.SourceCidrs) == 0
}

func isZeroNginx(n Nginx) bool {
	return n.Repository == "" && n.Version == "" && n.Replicas == 0 && n.Resources == (Resources{})
}

func (w *Workloads) validateTLS(ps *Problems, c *Config, k string, e Environment, r Reader) {
	if e.TLS == nil {
		if c.Tier == TierProd {
			ps.Addf(k+".tls", "prod serves HTTPS only: set ingress.tls or this environment's tls")
		}
		return
	}
	if w.Ingress.TLS == nil || *e.TLS != *w.Ingress.TLS {
		checkTLS(ps, k+".tls", *e.TLS, r)
	}
}

func checkTLS(ps *Problems, k string, t TLS, r Reader) {
	checkSecretKey(ps, k+".certKey", t.CertKey, r)
	checkSecretKey(ps, k+".keyKey", t.KeyKey, r)
}

// checkRoute checks a route and its edge settings.
func checkRoute(ps *Problems, k string, rt Route) {
	if rt.Host == "" || !(isDNSName(rt.Host)) {
		ps.Addf(k+".host", "%q is not a host label such as api or www", rt.Host)
	}
	if rt.Path != "" && (!strings.HasPrefix(rt.Path, "/") || strings.ContainsAny(rt.Path, " ?#")) {
		ps.Addf(k+".path", "%q is not a path prefix such as / or /admin", rt.Path)
	}
	if strings.HasPrefix(rt.Path, "/actuator") {
		ps.Addf(k+".path", "actuator endpoints are never public: they are served on the management port only")
	}
	if rt.BodySize != "" {
		if q, err := parseQuantity(rt.BodySize); err != nil {
			ps.Addf(k+".bodySize", "%v", err)
		} else if q.Sign() == 0 {
			ps.Addf(k+".bodySize", "must be above zero")
		}
	}
	if rt.TimeoutSeconds < 0 || rt.TimeoutSeconds > MaxTimeoutSeconds {
		ps.Addf(k+".timeoutSeconds", "%d is outside 1-%d (the ALB listener's range)", rt.TimeoutSeconds, MaxTimeoutSeconds)
	}
	for i, cidr := range rt.AllowCidrs {
		parsePrefix(ps, fmt.Sprintf("%s.allowCidrs[%d]", k, i), cidr)
	}
}
