// Package kubecheck asserts the workload part of RELIABILITY.md on the
// Kubernetes objects a program registered under Pulumi mocks. Any test that
// runs a stack (local, dev, prod) can call AssertWorkloadReliability.
package kubecheck

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Object is a registered Kubernetes resource: its Pulumi type token
// (kubernetes:apps/v1:Deployment), logical name and inputs.
type Object struct {
	Type   string
	Name   string
	Inputs resource.PropertyMap
}

// M is a plain view of inputs.
type M = map[string]any

// Plain converts inputs to plain Go values (secrets unwrapped).
func Plain(p resource.PropertyMap) M {
	return unwrap(resource.NewObjectProperty(p)).(M)
}

func unwrap(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return unwrap(v.SecretValue().Element)
	case v.IsOutput():
		return unwrap(v.OutputValue().Element)
	case v.IsObject():
		out := M{}
		for k, e := range v.ObjectValue() {
			out[string(k)] = unwrap(e)
		}
		return out
	case v.IsArray():
		var out []any
		for _, e := range v.ArrayValue() {
			out = append(out, unwrap(e))
		}
		return out
	case v.IsNull():
		return nil
	}
	return v.V
}

// Get walks a dotted path through plain values; nil when absent.
func Get(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(M)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// Str is Get as a string ("" when absent).
func Str(v any, path string) string {
	s, _ := Get(v, path).(string)
	return s
}

// Num is Get as a number (-1 when absent).
func Num(v any, path string) float64 {
	switch n := Get(v, path).(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	return -1
}

// List is Get as a list of objects.
func List(v any, path string) []M {
	var out []M
	l, _ := Get(v, path).([]any)
	for _, e := range l {
		if m, ok := e.(M); ok {
			out = append(out, m)
		}
	}
	return out
}

// StrMap is Get as a map of strings.
func StrMap(v any, path string) map[string]string {
	out := map[string]string{}
	m, _ := Get(v, path).(M)
	for k, e := range m {
		if s, ok := e.(string); ok {
			out[k] = s
		}
	}
	return out
}

// Kind is the Kubernetes kind of a type token.
func Kind(token string) string { return token[strings.LastIndex(token, ":")+1:] }

// Workloads returns the Deployments and StatefulSets.
func Workloads(objs []Object) []Object {
	var out []Object
	for _, o := range objs {
		if k := Kind(o.Type); strings.HasPrefix(o.Type, "kubernetes:apps/v1:") && (k == "Deployment" || k == "StatefulSet") {
			out = append(out, o)
		}
	}
	return out
}

// OfKind returns the objects of a Kubernetes kind.
func OfKind(objs []Object, kind string) []Object {
	var out []Object
	for _, o := range objs {
		if strings.HasPrefix(o.Type, "kubernetes:") && Kind(o.Type) == kind {
			out = append(out, o)
		}
	}
	return out
}

// Selects reports whether a label selector (matchLabels and
// matchExpressions In/NotIn/Exists/DoesNotExist) selects labels.
func Selects(sel any, labels map[string]string) bool {
	if sel == nil {
		return false
	}
	for k, v := range StrMap(sel, "matchLabels") {
		if labels[k] != v {
			return false
		}
	}
	for _, e := range List(sel, "matchExpressions") {
		key, op := Str(e, "key"), Str(e, "operator")
		var values []string
		l, _ := e["values"].([]any)
		for _, x := range l {
			values = append(values, fmt.Sprint(x))
		}
		val, has := labels[key]
		switch op {
		case "In":
			if !has || !slices.Contains(values, val) {
				return false
			}
		case "NotIn":
			if has && slices.Contains(values, val) {
				return false
			}
		case "Exists":
			if !has {
				return false
			}
		case "DoesNotExist":
			if has {
				return false
			}
		}
	}
	return true
}

var recommended = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/version",
	"app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by",
}

var sleepRE = regexp.MustCompile(`sleep (\d+)`)

// AssertWorkloadReliability checks every Deployment and StatefulSet of
// objs against RELIABILITY.md's workload list. prod adds the production
// rules (≥2 replicas). It reports each failure with the object's name.
func AssertWorkloadReliability(t testing.TB, objs []Object, prod bool) {
	t.Helper()
	workloads := Workloads(objs)
	if len(workloads) == 0 {
		t.Errorf("no Deployment or StatefulSet registered")
	}
	hpaTargets := map[string]bool{}
	for _, h := range OfKind(objs, "HorizontalPodAutoscaler") {
		in := Plain(h.Inputs)
		hpaTargets[Str(in, "metadata.namespace")+"/"+Str(in, "spec.scaleTargetRef.kind")+"/"+Str(in, "spec.scaleTargetRef.name")] = true
		if prod && Num(in, "spec.minReplicas") < 2 {
			t.Errorf("%s: prod HPA minReplicas below 2", h.Name)
		}
	}
	configMaps := map[string]M{}
	for _, c := range OfKind(objs, "ConfigMap") {
		in := Plain(c.Inputs)
		configMaps[Str(in, "metadata.namespace")+"/"+Str(in, "metadata.name")] = in
	}

	for _, w := range workloads {
		in := Plain(w.Inputs)
		kind := Kind(w.Type)
		ns, name := Str(in, "metadata.namespace"), Str(in, "metadata.name")
		id := fmt.Sprintf("%s %s/%s", kind, ns, name)
		errorf := func(format string, args ...any) { t.Errorf(id+": "+format, args...) }
		tmplLabels := StrMap(in, "spec.template.metadata.labels")
		pod := Get(in, "spec.template.spec")

		for _, l := range recommended {
			if tmplLabels[l] == "" {
				errorf("pod template misses the recommended label %s", l)
			}
		}
		if sel := Get(in, "spec.selector"); !Selects(sel, tmplLabels) || len(StrMap(sel, "matchLabels")) == 0 {
			errorf("selector does not select the template labels")
		}
		if _, hasVersion := StrMap(in, "spec.selector.matchLabels")["app.kubernetes.io/version"]; hasVersion {
			errorf("the version label is in the (immutable) selector")
		}

		_, hasReplicas := Get(in, "spec").(M)["replicas"]
		if Get(in, "spec.replicas") == nil {
			hasReplicas = false
		}
		replicas := Num(in, "spec.replicas")
		if hpaTargets[ns+"/"+kind+"/"+name] {
			if hasReplicas {
				errorf("replicas set while an HPA owns the count")
			}
		} else {
			if replicas < 1 {
				errorf("replicas %v below 1", replicas)
			}
			if prod && replicas < 2 {
				errorf("prod replicas %v below 2", replicas)
			}
		}
		if kind == "Deployment" {
			if Str(in, "spec.strategy.type") != "RollingUpdate" || Num(in, "spec.strategy.rollingUpdate.maxUnavailable") != 0 || !surges(Get(in, "spec.strategy.rollingUpdate.maxSurge")) {
				errorf("rollout is not RollingUpdate with maxUnavailable 0 and a maxSurge of at least 1 pod or a positive percentage")
			}
		} else if Str(in, "spec.serviceName") == "" || len(List(in, "spec.volumeClaimTemplates")) == 0 {
			errorf("a StatefulSet needs a (headless) serviceName and volumeClaimTemplates")
		}

		// Pod-level security.
		for _, f := range []string{"hostNetwork", "hostPID", "hostIPC"} {
			if Get(pod, f) == true {
				errorf("%s is on", f)
			}
		}
		if Get(pod, "securityContext.runAsNonRoot") != true || Num(pod, "securityContext.runAsUser") < 10000 || Num(pod, "securityContext.runAsGroup") < 10000 {
			errorf("pod securityContext needs runAsNonRoot and runAsUser/runAsGroup >= 10000")
		}
		if Str(pod, "securityContext.seccompProfile.type") != "RuntimeDefault" {
			errorf("pod seccomp profile is not RuntimeDefault")
		}
		component := tmplLabels["app.kubernetes.io/component"]
		// Only the ingress controller talks to the API server.
		if Get(pod, "automountServiceAccountToken") != false && component != "controller" {
			errorf("automountServiceAccountToken is not false")
		}
		if Str(pod, "serviceAccountName") == "" || Str(pod, "serviceAccountName") == "default" {
			errorf("runs as the default ServiceAccount")
		}

		// Spreading.
		zoneSpread := false
		for _, c := range List(pod, "topologySpreadConstraints") {
			if Str(c, "topologyKey") == "topology.kubernetes.io/zone" && Selects(Get(c, "labelSelector"), tmplLabels) {
				zoneSpread = true
			}
		}
		if !zoneSpread {
			errorf("no topology spread across zones")
		}
		hostAnti := false
		for _, term := range List(pod, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution") {
			if Str(term, "podAffinityTerm.topologyKey") == "kubernetes.io/hostname" && Selects(Get(term, "podAffinityTerm.labelSelector"), tmplLabels) {
				hostAnti = true
			}
		}
		for _, term := range List(pod, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution") {
			if Str(term, "topologyKey") == "kubernetes.io/hostname" {
				hostAnti = true
			}
		}
		if !hostAnti {
			errorf("no hostname anti-affinity")
		}

		// Volumes: every emptyDir bounded; /tmp writable.
		for _, v := range List(pod, "volumes") {
			if ed, ok := Get(v, "emptyDir").(M); ok && Str(ed, "sizeLimit") == "" {
				errorf("emptyDir %s has no sizeLimit", Str(v, "name"))
			}
		}

		grace := Num(pod, "terminationGracePeriodSeconds")
		containers := List(pod, "containers")
		if len(containers) == 0 {
			errorf("no container")
		}
		all := append(append([]M{}, containers...), List(pod, "initContainers")...)
		for i, c := range all {
			main := i < len(containers)
			cid := Str(c, "name")
			cerr := func(format string, args ...any) { errorf("container "+cid+": "+format, args...) }
			checkContainerSecurity(c, cerr)
			checkResources(c, cerr)
			checkImage(c, cerr)
			for _, p := range List(c, "ports") {
				if Num(p, "hostPort") > 0 {
					cerr("uses a hostPort")
				}
			}
			if !main {
				continue
			}
			mounts := map[string]bool{}
			for _, m := range List(c, "volumeMounts") {
				mounts[Str(m, "mountPath")] = true
			}
			if !mounts["/tmp"] {
				cerr("no writable /tmp under the read-only root")
			}
			checkProbes(c, cerr)
			sleep, ok := preStopSleep(c)
			if !ok {
				cerr("no preStop hook that waits for endpoint removal")
			} else if grace <= sleep {
				cerr("terminationGracePeriodSeconds %v is not longer than the preStop sleep %v", grace, sleep)
			}
			if component == "gateway" || component == "backend" {
				env := map[string]string{}
				for _, ef := range List(c, "envFrom") {
					if cm, ok := configMaps[ns+"/"+Str(ef, "configMapRef.name")]; ok {
						for k, v := range StrMap(cm, "data") {
							env[k] = v
						}
					}
				}
				if env["SERVER_SHUTDOWN"] != "graceful" {
					cerr("Spring Boot graceful shutdown is not on (SERVER_SHUTDOWN=graceful)")
				}
				if env["SPRING_CLOUD_NACOS_DISCOVERY_SERVER_ADDR"] == "" {
					cerr("no Nacos address")
				}
				if StrMap(in, "spec.template.metadata.annotations")["ack-platform.io/config-checksum"] == "" {
					cerr("no config checksum annotation: a config change would not roll the pods")
				}
			}
			if component == "frontend" && !strings.Contains(strings.Join(execCommand(c), " "), "nginx -s quit") {
				cerr("an nginx frontend drains with `nginx -s quit` in preStop")
			}
		}

		assertPDB(t, id, objs, ns, tmplLabels, replicas, hpaTargets[ns+"/"+kind+"/"+name])
		assertNetworkPolicySelects(t, id, objs, ns, tmplLabels)
	}
	assertServicesAndIngresses(t, objs)
}

func checkContainerSecurity(c M, cerr func(string, ...any)) {
	sc := Get(c, "securityContext")
	if Get(sc, "allowPrivilegeEscalation") != false {
		cerr("allowPrivilegeEscalation is not false")
	}
	if Get(sc, "readOnlyRootFilesystem") != true {
		cerr("root filesystem is not read-only")
	}
	if Get(sc, "privileged") == true {
		cerr("privileged")
	}
	drop, _ := Get(sc, "capabilities.drop").([]any)
	if !slices.Contains(drop, any("ALL")) {
		cerr("capabilities do not drop ALL")
	}
	// The restricted Pod Security Standard allows adding NET_BIND_SERVICE
	// only; which image needs it is the image table's test (tests/workloads).
	if add, _ := Get(sc, "capabilities.add").([]any); len(add) > 1 || (len(add) == 1 && add[0] != "NET_BIND_SERVICE") {
		cerr("adds capabilities %v", add)
	}
	if u := Num(sc, "runAsUser"); u >= 0 && u < 10000 {
		cerr("runAsUser %v below 10000", u)
	}
}

func checkResources(c M, cerr func(string, ...any)) {
	for _, r := range []string{"cpu", "memory", "ephemeral-storage"} {
		req, lim := Str(c, "resources.requests."+r), Str(c, "resources.limits."+r)
		if req == "" || lim == "" {
			cerr("%s request and limit are required", r)
			continue
		}
		rq, err1 := quantity(req)
		lm, err2 := quantity(lim)
		if err1 != nil || err2 != nil {
			cerr("unparseable %s quantity %q/%q", r, req, lim)
		} else if rq > lm {
			cerr("%s request %s above limit %s", r, req, lim)
		}
	}
}

func checkImage(c M, cerr func(string, ...any)) {
	img := Str(c, "image")
	last := img[strings.LastIndex(img, "/")+1:]
	switch {
	case strings.Contains(img, "@sha256:"):
	case !strings.Contains(last, ":"):
		cerr("image %q is not pinned by tag", img)
	case strings.HasSuffix(last, ":latest"):
		cerr("image %q uses latest", img)
	}
	if Str(c, "imagePullPolicy") != "Always" {
		cerr("imagePullPolicy is not Always (credentials are re-checked on every pull)")
	}
}

func checkProbes(c M, cerr func(string, ...any)) {
	declared := map[string]bool{}
	for _, p := range List(c, "ports") {
		declared[Str(p, "name")] = true
		declared[strconv.Itoa(int(Num(p, "containerPort")))] = true
	}
	r, l := Get(c, "readinessProbe"), Get(c, "livenessProbe")
	if r == nil || l == nil {
		cerr("readiness and liveness probes are required")
		return
	}
	if fmt.Sprint(r) == fmt.Sprint(l) {
		cerr("readiness and liveness probes are identical")
	}
	for _, kind := range []string{"readinessProbe", "livenessProbe", "startupProbe"} {
		p := Get(c, kind)
		if p == nil {
			continue
		}
		port := Get(p, "httpGet.port")
		if port == nil {
			port = Get(p, "tcpSocket.port")
		}
		if port == nil {
			continue
		}
		key := fmt.Sprint(port)
		if f, ok := port.(float64); ok {
			key = strconv.Itoa(int(f))
		}
		if !declared[key] {
			cerr("%s on port %v, which the container does not declare", kind, port)
		}
	}
}

var waitRE = regexp.MustCompile(`[?&]waitSeconds=(\d+)`)

// surges reports a maxSurge of at least one pod: a number >= 1 or a
// percentage above 0 (Kubernetes rounds a percentage up).
func surges(v any) bool {
	switch x := v.(type) {
	case float64:
		return x >= 1
	case string:
		n, err := strconv.Atoi(strings.TrimSuffix(x, "%"))
		return strings.HasSuffix(x, "%") && err == nil && n > 0
	}
	return false
}

func execCommand(c M) []string {
	var out []string
	l, _ := Get(c, "lifecycle.preStop.exec.command").([]any)
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// preStopSleep is how long the preStop hook waits: the native sleep, the
// `sleep N` of an exec hook, or the waitSeconds an HTTP deregistration hook
// asks the app to wait. The ingress controller's /wait-shutdown counts as a
// wait of its own (ok, 0).
func preStopSleep(c M) (float64, bool) {
	if s := Num(c, "lifecycle.preStop.sleep.seconds"); s > 0 {
		return s, true
	}
	if m := waitRE.FindStringSubmatch(Str(c, "lifecycle.preStop.httpGet.path")); m != nil {
		n, _ := strconv.Atoi(m[1])
		return float64(n), true
	}
	cmd := strings.Join(execCommand(c), " ")
	if m := sleepRE.FindStringSubmatch(cmd); m != nil {
		n, _ := strconv.Atoi(m[1])
		return float64(n), true
	}
	if strings.Contains(cmd, "/wait-shutdown") {
		return 0, true
	}
	return 0, false
}

func assertPDB(t testing.TB, id string, objs []Object, ns string, labels map[string]string, replicas float64, hpa bool) {
	t.Helper()
	found := false
	for _, p := range OfKind(objs, "PodDisruptionBudget") {
		in := Plain(p.Inputs)
		if Str(in, "metadata.namespace") != ns || !Selects(Get(in, "spec.selector"), labels) {
			continue
		}
		found = true
		if mu := Get(in, "spec.maxUnavailable"); mu != nil && Num(in, "spec.maxUnavailable") < 1 {
			t.Errorf("%s: PDB %s maxUnavailable %v blocks every disruption", id, p.Name, mu)
		}
		if ma := Num(in, "spec.minAvailable"); ma >= 0 && !hpa && ma >= replicas {
			t.Errorf("%s: PDB %s minAvailable %v >= replicas %v blocks every disruption", id, p.Name, ma, replicas)
		}
	}
	if !found {
		t.Errorf("%s: no PodDisruptionBudget selects it", id)
	}
}

func assertNetworkPolicySelects(t testing.TB, id string, objs []Object, ns string, labels map[string]string) {
	t.Helper()
	for _, p := range OfKind(objs, "NetworkPolicy") {
		in := Plain(p.Inputs)
		sel := Get(in, "spec.podSelector")
		if sel == nil {
			sel = M{}
		}
		if Str(in, "metadata.namespace") == ns && Selects(sel, labels) {
			return
		}
	}
	t.Errorf("%s: no NetworkPolicy selects its pods", id)
}

// assertServicesAndIngresses checks that every Service selects a workload's
// pods, and every Ingress backend names an existing Service and port.
func assertServicesAndIngresses(t testing.TB, objs []Object) {
	t.Helper()
	type pods struct {
		ns     string
		labels map[string]string
	}
	var all []pods
	for _, w := range Workloads(objs) {
		in := Plain(w.Inputs)
		all = append(all, pods{Str(in, "metadata.namespace"), StrMap(in, "spec.template.metadata.labels")})
	}
	servicePorts := map[string][]string{}
	for _, s := range OfKind(objs, "Service") {
		in := Plain(s.Inputs)
		ns, name := Str(in, "metadata.namespace"), Str(in, "metadata.name")
		sel := StrMap(in, "spec.selector")
		matched := false
		for _, p := range all {
			if p.ns == ns && Selects(M{"matchLabels": toAny(sel)}, p.labels) {
				matched = true
			}
		}
		if len(sel) == 0 || !matched {
			t.Errorf("Service %s/%s selects no workload's pods", ns, name)
		}
		for _, p := range List(in, "spec.ports") {
			servicePorts[ns+"/"+name] = append(servicePorts[ns+"/"+name], Str(p, "name"), strconv.Itoa(int(Num(p, "port"))))
		}
	}
	for _, ing := range OfKind(objs, "Ingress") {
		in := Plain(ing.Inputs)
		ns := Str(in, "metadata.namespace")
		for _, r := range List(in, "spec.rules") {
			for _, p := range List(r, "http.paths") {
				svc := Str(p, "backend.service.name")
				port := Str(p, "backend.service.port.name")
				if port == "" {
					port = strconv.Itoa(int(Num(p, "backend.service.port.number")))
				}
				if ports, ok := servicePorts[ns+"/"+svc]; !ok || !slices.Contains(ports, port) {
					t.Errorf("Ingress %s/%s routes to %s:%s, which no Service of the namespace serves", ns, Str(in, "metadata.name"), svc, port)
				}
			}
		}
	}
}

func toAny(m map[string]string) M {
	out := M{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

var quantityRE = regexp.MustCompile(`^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$`)

func quantity(s string) (float64, error) {
	m := quantityRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("bad quantity %q", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	mult := map[string]float64{"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40}[m[2]]
	return n * mult, err
}
