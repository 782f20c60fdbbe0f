package workloads_test

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
)

// pod is a pod the evaluator reasons about: a workload's template, or a
// system pod the program does not create (cluster DNS).
type pod struct {
	ns     string
	labels map[string]string
	ports  map[string]int // named container ports
	ip     string         // an address outside the cluster (external endpoints)
}

type policy struct {
	ns          string
	ingress     []kubecheck.M
	egress      []kubecheck.M
	hasIngress  bool
	hasEgress   bool
	name        string
	podSelector any
}

// cluster is the NetworkPolicy view of a run: pods by name, namespace
// labels and policies.
type cluster struct {
	pods     map[string]pod
	nsLabels map[string]map[string]string
	policies []policy
}

func newCluster(objs []kubecheck.Object) *cluster {
	c := &cluster{pods: map[string]pod{}, nsLabels: map[string]map[string]string{}}
	for _, n := range kubecheck.OfKind(objs, "Namespace") {
		in := kubecheck.Plain(n.Inputs)
		name := kubecheck.Str(in, "metadata.name")
		labels := kubecheck.StrMap(in, "metadata.labels")
		labels["kubernetes.io/metadata.name"] = name
		c.nsLabels[name] = labels
	}
	c.nsLabels["kube-system"] = map[string]string{"kubernetes.io/metadata.name": "kube-system"}
	c.pods["kube-system/coredns"] = pod{ns: "kube-system", labels: map[string]string{"k8s-app": "kube-dns"}, ports: map[string]int{"dns": 53}}
	for _, w := range kubecheck.Workloads(objs) {
		in := kubecheck.Plain(w.Inputs)
		p := pod{ns: kubecheck.Str(in, "metadata.namespace"), labels: kubecheck.StrMap(in, "spec.template.metadata.labels"), ports: map[string]int{}}
		for _, ct := range kubecheck.List(in, "spec.template.spec.containers") {
			for _, port := range kubecheck.List(ct, "ports") {
				p.ports[kubecheck.Str(port, "name")] = int(kubecheck.Num(port, "containerPort"))
			}
		}
		c.pods[p.ns+"/"+kubecheck.Str(in, "metadata.name")] = p
	}
	for _, np := range kubecheck.OfKind(objs, "NetworkPolicy") {
		in := kubecheck.Plain(np.Inputs)
		p := policy{ns: kubecheck.Str(in, "metadata.namespace"), name: np.Name, podSelector: kubecheck.Get(in, "spec.podSelector")}
		if p.podSelector == nil {
			p.podSelector = kubecheck.M{}
		}
		types, _ := kubecheck.Get(in, "spec.policyTypes").([]any)
		for _, ty := range types {
			switch ty {
			case "Ingress":
				p.hasIngress = true
			case "Egress":
				p.hasEgress = true
			}
		}
		p.ingress = kubecheck.List(in, "spec.ingress")
		p.egress = kubecheck.List(in, "spec.egress")
		c.policies = append(c.policies, p)
	}
	return c
}

// allowed reports whether src may open a connection to dst on port (a
// number) and protocol: src's egress and dst's ingress must both allow it,
// each being open when no policy of that direction selects the pod.
func (c *cluster) allowed(src, dst pod, port int, proto string) bool {
	return c.direction(src, dst, port, proto, true) && c.direction(dst, src, port, proto, false)
}

// direction evaluates the policies selecting subject (the source for
// egress, the destination for ingress) against peer.
func (c *cluster) direction(subject, peer pod, port int, proto string, egress bool) bool {
	selected := false
	for _, p := range c.policies {
		if p.ns != subject.ns || !kubecheck.Selects(p.podSelector, subject.labels) {
			continue
		}
		rules := p.ingress
		if egress {
			if !p.hasEgress {
				continue
			}
			rules = p.egress
		} else if !p.hasIngress {
			continue
		}
		selected = true
		dst := subject
		if egress {
			dst = peer
		}
		for _, r := range rules {
			peersKey := "from"
			if egress {
				peersKey = "to"
			}
			if c.peerMatches(p.ns, kubecheck.List(r, peersKey), r[peersKey] == nil, peer) && portMatches(kubecheck.List(r, "ports"), r["ports"] == nil, dst, port, proto) {
				return true
			}
		}
	}
	return !selected
}

func (c *cluster) peerMatches(policyNS string, peers []kubecheck.M, any bool, peer pod) bool {
	if any {
		return true
	}
	for _, pe := range peers {
		if kubecheck.Get(pe, "ipBlock") != nil {
			// Pods are never matched by ipBlock here; outside addresses are.
			if peer.ip != "" && cidrContains(kubecheck.Str(pe, "ipBlock.cidr"), peer.ip) {
				return true
			}
			continue
		}
		if peer.ip != "" {
			continue
		}
		nsSel, podSel := kubecheck.Get(pe, "namespaceSelector"), kubecheck.Get(pe, "podSelector")
		nsOK := peer.ns == policyNS
		if nsSel != nil {
			nsOK = kubecheck.Selects(nsSel, c.nsLabels[peer.ns])
		}
		podOK := podSel == nil || kubecheck.Selects(podSel, peer.labels)
		if nsOK && podOK {
			return true
		}
	}
	return false
}

func portMatches(ports []kubecheck.M, any bool, dst pod, port int, proto string) bool {
	if any {
		return true
	}
	for _, p := range ports {
		pr := kubecheck.Str(p, "protocol")
		if pr == "" {
			pr = "TCP"
		}
		if pr != proto {
			continue
		}
		switch v := kubecheck.Get(p, "port").(type) {
		case nil:
			return true
		case float64:
			if int(v) == port {
				return true
			}
		case string:
			if n, err := strconv.Atoi(v); err == nil && n == port {
				return true
			}
			if dst.ports[v] == port && port != 0 {
				return true
			}
		}
	}
	return false
}

func TestNetworkPoliciesAllowExactlyTheCallChain(t *testing.T) {
	t.Parallel()
	res, _ := mustRun(t, "local", nil)
	c := newCluster(objects(res))
	backends := []string{"auth-service", "user-service", "device-service", "telemetry-service", "notification-service"}
	frontends := []string{"web-console", "admin-web"}
	ingressPod := "ingress-nginx/ingress-nginx-controller"

	type flow struct {
		src, dst string
		port     int
		proto    string
		allow    bool
	}
	var flows []flow
	add := func(src, dst string, port int, allow bool) {
		flows = append(flows, flow{src, dst, port, "TCP", allow})
	}
	for _, env := range []string{"dev", "staging"} {
		e := func(s string) string { return env + "/" + s }
		other := "dev"
		if env == "dev" {
			other = "staging"
		}
		// The chain.
		add(ingressPod, e("gateway"), 8080, true)
		for _, f := range frontends {
			add(ingressPod, e(f), 8080, true)
			add(e(f), e("nacos"), 8848, false) // static nginx registers nowhere
			add(e(f), e("gateway"), 8080, false)
			add(e(f), e("auth-service"), 8080, false)
		}
		for _, b := range backends {
			add(e("gateway"), e(b), 8080, true)
			add(e(b), e("nacos"), 8848, true)
			add(e(b), e("nacos"), 9848, true)
			add(ingressPod, e(b), 8080, false) // backends are never public
			add(e(b), e("gateway"), 8080, false)
			add(e("gateway"), other+"/"+b, 8080, false) // environments are isolated
			add(e(b), other+"/nacos", 8848, false)
		}
		add(e("gateway"), e("nacos"), 8848, true)
		add(e("gateway"), e("nacos"), 9848, true)
		add(e("gateway"), e("gateway"), 8080, false)
		// Declared backend-to-backend calls (Pulumi.yaml calls), and their
		// undeclared reverse.
		for _, call := range [][2]string{{"auth-service", "user-service"}, {"device-service", "notification-service"}, {"telemetry-service", "device-service"}} {
			add(e(call[0]), e(call[1]), 8080, true)
			add(e(call[1]), e(call[0]), 8080, false)
			add(e(call[0]), e(call[1]), 8081, false) // never the management port
		}
		add(e("user-service"), e("device-service"), 8080, false) // declares no call
		add(ingressPod, e("nacos"), 8848, false)
		add(e("nacos"), e("auth-service"), 8080, false)
		add(e("gateway"), e("auth-service"), 9999, false) // only the declared http port
		for _, s := range append(append([]string{"gateway", "nacos"}, backends...), frontends...) {
			flows = append(flows, flow{e(s), "kube-system/coredns", 53, "UDP", true}, flow{e(s), "kube-system/coredns", 53, "TCP", true})
		}
	}
	add(ingressPod, "kube-system/coredns", 53, true)
	// Declared external endpoints: addresses per environment (dev gives its
	// own database and broker, staging uses the catalog's), ports exact.
	external := []struct {
		src, ip string
		port    int
		allow   bool
	}{
		{"dev/device-service", "10.10.1.5", 3306, true},
		{"dev/device-service", "192.168.64.10", 3306, false}, // dev overrides the catalog address
		{"staging/device-service", "192.168.64.10", 3306, true},
		{"staging/device-service", "10.10.1.5", 3306, false},
		{"dev/device-service", "10.10.1.5", 22, false}, // undeclared port
		{"dev/user-service", "10.10.1.5", 3306, false}, // declares no endpoint
		{"dev/device-service", "192.168.65.3", 6379, true},
		{"dev/telemetry-service", "10.10.2.10", 8883, true},
		{"dev/telemetry-service", "10.10.2.11", 8883, false}, // a /32 in dev
		{"dev/notification-service", "203.0.113.7", 443, true},
		{"dev/notification-service", "8.8.8.8", 443, false},
		{"dev/gateway", "203.0.113.7", 443, false},
		{"dev/web-console", "203.0.113.7", 443, false},
	}
	for _, x := range external {
		src, ok := c.pods[x.src]
		if !ok {
			t.Fatalf("unknown pod %s", x.src)
		}
		if got := c.direction(src, pod{ip: x.ip}, x.port, "TCP", true); got != x.allow {
			t.Errorf("%s -> %s:%d (external): allowed=%v, want %v", x.src, x.ip, x.port, got, x.allow)
		}
	}

	for _, f := range flows {
		src, ok1 := c.pods[f.src]
		dst, ok2 := c.pods[f.dst]
		if !ok1 || !ok2 {
			t.Fatalf("unknown pod in %s -> %s (have %v)", f.src, f.dst, keys(c.pods))
		}
		if got := c.allowed(src, dst, f.port, f.proto); got != f.allow {
			t.Errorf("%s -> %s:%d/%s: allowed=%v, want %v", f.src, f.dst, f.port, f.proto, got, f.allow)
		}
	}
	if len(flows) < 60 {
		t.Fatalf("only %d flows checked", len(flows))
	}

	// Every pod of an environment is selected by a deny-by-default policy.
	for name, p := range c.pods {
		if p.ns == "kube-system" {
			continue
		}
		if c.direction(p, pod{ns: "nowhere"}, 1, "TCP", false) || c.direction(p, pod{ns: "nowhere"}, 1, "TCP", true) {
			t.Errorf("%s accepts or sends arbitrary traffic", name)
		}
	}
}

func cidrContains(cidr, ip string) bool {
	p, err := netip.ParsePrefix(cidr)
	a, err2 := netip.ParseAddr(ip)
	return err == nil && err2 == nil && p.Contains(a)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
