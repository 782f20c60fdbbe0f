package e2e_test

// The tests run in this order (Go runs them in source order); each brings
// the shared stack to the state it needs, so -run picks any one of them.

import (
	"context"
	"encoding/base64"
	"fmt"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/stacks/config"
)

// TestUpThenPreviewIsNoop: `pulumi up` of the local stack succeeds against
// the local API server, and a second preview finds nothing to change: the
// program is deterministic and the provider reads back what it wrote.
func TestUpThenPreviewIsNoop(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), previewTimeout)
	defer cancel()
	began := time.Now()
	pv, err := s.preview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("no-op preview took %s: %v", time.Since(began).Round(100*time.Millisecond), pv.Changes)
	if pv.Changes["same"] == 0 {
		t.Errorf("preview reports no unchanged resource: %v", pv.Changes)
	}
	for op, n := range pv.Changes {
		if op != "same" && n > 0 {
			t.Errorf("preview after up reports %d %q", n, op)
		}
	}
	for _, st := range pv.NotSame() {
		t.Errorf("preview after up: %s %s (diffs: %s)", st.Op, st.URN, strings.Join(st.Diffs, ", "))
	}
}

// TestPodsAdmitted: the controllers create every Deployment's ReplicaSet and
// every StatefulSet's pods, and admission (ResourceQuota, LimitRange,
// ServiceAccount) lets all of them in: no FailedCreate event, and each
// workload has exactly its desired pods.
func TestPodsAdmitted(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	objs := exportObjects(t, ctx, s)
	namespaces := programNamespaces(objs)
	if len(namespaces) == 0 {
		t.Fatal("the stack declares no namespace")
	}
	envNamespaces := environmentNamespaces(t, ctx, s)

	// The controllers work asynchronously (the HPA controller syncs every
	// 15 s): wait until every workload has its pods, or the deadline.
	var problems []string
	var pods int
	for {
		problems, pods = workloadProblems(ctx, namespaces)
		if len(problems) == 0 || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	if pods == 0 {
		t.Error("no pod at all in the program's namespaces")
	}
	t.Logf("%d pods in %d namespaces %v", pods, len(namespaces), namespaces)

	for _, ns := range namespaces {
		events, err := kubeList(ctx, "events", "-n", ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if str(ev, "reason") == "FailedCreate" {
				t.Errorf("%s %s/%s: FailedCreate: %s", str(ev, "involvedObject", "kind"), ns,
					str(ev, "involvedObject", "name"), str(ev, "message"))
			}
		}
		quotas, err := kubeList(ctx, "resourcequotas", "-n", ns)
		if err != nil {
			t.Fatal(err)
		}
		limits, err := kubeList(ctx, "limitranges", "-n", ns)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(envNamespaces, ns) && (len(quotas) == 0 || len(limits) == 0) {
			t.Errorf("environment namespace %s has %d ResourceQuota(s) and %d LimitRange(s); want both", ns, len(quotas), len(limits))
		}
		for _, q := range quotas {
			used, hard := str(q, "status", "used", "pods"), str(q, "status", "hard", "pods")
			t.Logf("namespace %s quota %s: pods %s of %s", ns, str(q, "metadata", "name"), used, hard)
		}
	}
}

// workloadProblems compares each workload's desired replicas with the pods
// it owns; it returns what does not match yet and the number of pods.
func workloadProblems(ctx context.Context, namespaces []string) ([]string, int) {
	var problems []string
	total := 0
	for _, ns := range namespaces {
		lists := map[string][]map[string]any{}
		for _, kind := range []string{"pods", "replicasets", "statefulsets", "deployments", "horizontalpodautoscalers"} {
			items, err := kubeList(ctx, kind, "-n", ns)
			if err != nil {
				return []string{err.Error()}, 0
			}
			lists[kind] = items
		}
		owned := map[string]int{}
		for _, p := range lists["pods"] {
			if str(p, "metadata", "deletionTimestamp") != "" {
				continue
			}
			total++
			refs, _ := dig(p, "metadata", "ownerReferences").([]any)
			for _, r := range refs {
				if m, ok := r.(map[string]any); ok {
					owned[str(m, "uid")]++
				}
			}
		}
		for _, kind := range []string{"replicasets", "statefulsets"} {
			for _, w := range lists[kind] {
				want, _ := num(w, "spec", "replicas")
				if got := owned[str(w, "metadata", "uid")]; got != want {
					problems = append(problems, fmt.Sprintf("%s %s/%s: %d pods, want %d", str(w, "kind"), ns, str(w, "metadata", "name"), got, want))
				}
			}
		}
		deployments := map[string]map[string]any{}
		for _, d := range lists["deployments"] {
			deployments[str(d, "metadata", "name")] = d
			want, _ := num(d, "spec", "replicas")
			gen, _ := num(d, "metadata", "generation")
			seen, _ := num(d, "status", "observedGeneration")
			updated, _ := num(d, "status", "updatedReplicas")
			if seen != gen || updated != want {
				problems = append(problems, fmt.Sprintf("Deployment %s/%s: %d pods of the current template, want %d (generation %d, observed %d)",
					ns, str(d, "metadata", "name"), updated, want, gen, seen))
			}
		}
		for _, h := range lists["horizontalpodautoscalers"] {
			target := str(h, "spec", "scaleTargetRef", "name")
			minR, ok := num(h, "spec", "minReplicas")
			if !ok {
				minR = 1
			}
			maxR, _ := num(h, "spec", "maxReplicas")
			d, ok := deployments[target]
			if !ok {
				problems = append(problems, fmt.Sprintf("HPA %s/%s targets %s, which does not exist", ns, str(h, "metadata", "name"), target))
				continue
			}
			if r, _ := num(d, "spec", "replicas"); r < minR || r > maxR {
				problems = append(problems, fmt.Sprintf("Deployment %s/%s: %d replicas, outside its HPA's %d-%d", ns, target, r, minR, maxR))
			}
		}
	}
	return problems, total
}

// TestServerMatchesDeclared: every Kubernetes object in the stack's state
// exists on the server, with every field the program declared (the
// resource's inputs), and spot checks of what matters most: images,
// replicas or an HPA, resources.
func TestServerMatchesDeclared(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	objs := exportObjects(t, ctx, s)
	live := fetchLive(t, ctx, objs)

	hpaTargets := map[objRef]bool{}
	for _, o := range objs {
		if o.Ref.Kind == "HorizontalPodAutoscaler" {
			ref := objRef{Kind: str(o.Inputs, "spec", "scaleTargetRef", "kind"), Namespace: o.Ref.Namespace,
				Name: str(o.Inputs, "spec", "scaleTargetRef", "name")}
			hpaTargets[ref] = true
		}
	}
	kinds := map[string]int{}
	spot := 0
	for _, o := range objs {
		kinds[o.Ref.Kind]++
		l, ok := live[o.Ref.key()]
		if !ok {
			t.Errorf("%s (%s) is in the state but not on the server", o.Ref, o.URN)
			continue
		}
		var diffs []string
		compareDeclared("", o.Inputs, l, &diffs)
		for _, d := range diffs {
			t.Errorf("%s: %s", o.Ref, d)
		}
		if o.Ref.Kind != "Deployment" && o.Ref.Kind != "StatefulSet" {
			continue
		}
		spot++
		// Spot checks, spelled out so a failure names the field.
		for _, list := range []string{"containers", "initContainers"} {
			want, _ := dig(o.Inputs, "spec", "template", "spec", list).([]any)
			got, _ := dig(l, "spec", "template", "spec", list).([]any)
			for i, w := range want {
				wc, _ := w.(map[string]any)
				if i >= len(got) {
					t.Errorf("%s: %s[%d] %s missing on the server", o.Ref, list, i, str(wc, "name"))
					continue
				}
				gc, _ := got[i].(map[string]any)
				if str(wc, "image") == "" || str(wc, "image") != str(gc, "image") {
					t.Errorf("%s: %s %s image %q, server has %q", o.Ref, list, str(wc, "name"), str(wc, "image"), str(gc, "image"))
				}
				var rd []string
				compareDeclared(".resources", wc["resources"], gc["resources"], &rd)
				if dig(wc, "resources", "limits") == nil || len(rd) > 0 {
					t.Errorf("%s: %s %s resources declared %s, server has %s", o.Ref, list, str(wc, "name"), short(wc["resources"]), short(gc["resources"]))
				}
			}
		}
		wantReplicas, declared := num(o.Inputs, "spec", "replicas")
		gotReplicas, _ := num(l, "spec", "replicas")
		switch {
		case declared && wantReplicas != gotReplicas:
			t.Errorf("%s: replicas %d declared, server has %d", o.Ref, wantReplicas, gotReplicas)
		case !declared && !hpaTargets[objRef{Kind: o.Ref.Kind, Namespace: o.Ref.Namespace, Name: o.Ref.Name}]:
			t.Errorf("%s declares no replicas and no HPA targets it", o.Ref)
		}
	}
	t.Logf("%d objects checked against the server (%v); %d workloads spot-checked (images, resources, replicas or HPA)", len(objs), kinds, spot)
}

// TestReleaseTagUpdatesOneDeployment: changing one release tag
// (ack-platform:environments.<env>.releases.<service>) previews exactly one
// update, of that service's Deployment; `up` rolls the new image out (the
// quota leaves room for the surge pod), and the change back rolls back.
func TestReleaseTagUpdatesOneDeployment(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()

	var envs map[string]config.Environment
	if err := s.configJSON(ctx, config.Namespace+":environments", false, &envs); err != nil {
		t.Fatal(err)
	}
	env, svc := firstService(t)
	orig := envs[env].Releases[svc]
	if orig == "" {
		t.Fatalf("no release tag for %s in environment %s", svc, env)
	}
	ns := envs[env].Namespace
	if ns == "" {
		ns = env
	}
	var dep declaredObject
	for _, o := range exportObjects(t, ctx, s) {
		if o.Ref.Kind == "Deployment" && o.Ref.Namespace == ns && o.Ref.Name == svc {
			dep = o
		}
	}
	if dep.URN == "" {
		t.Fatalf("no Deployment %s/%s in the state", ns, svc)
	}
	key := fmt.Sprintf("%s:environments.%s.releases.%s", config.Namespace, env, svc)
	next := orig + "-e2e"

	current := orig
	t.Cleanup(func() {
		if current == orig {
			return
		}
		// Leave the shared stack as the other tests expect it.
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		defer cancel()
		if err := s.setConfig(ctx, key, orig, false, true); err != nil {
			t.Error(err)
		} else if err := s.up(ctx); err != nil {
			t.Error(err)
		}
	})

	for _, tag := range []string{next, orig} {
		ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
		defer cancel()
		if err := s.setConfig(ctx, key, tag, false, true); err != nil {
			t.Fatal(err)
		}
		current = tag
		pv, err := s.preview(ctx)
		if err != nil {
			t.Fatal(err)
		}
		steps := pv.NotSame()
		ok := pv.Changes["update"] == 1 && len(steps) == 1 && steps[0].Op == "update" && steps[0].URN == dep.URN
		for op, n := range pv.Changes {
			if op != "same" && op != "update" && n > 0 {
				ok = false
			}
		}
		if !ok {
			var lines []string
			for _, st := range steps {
				lines = append(lines, fmt.Sprintf("  %s %s (diffs: %s)", st.Op, st.URN, strings.Join(st.Diffs, ", ")))
			}
			t.Fatalf("release %s → %s: preview %v, want exactly one update of %s; steps:\n%s", key, tag, pv.Changes, dep.URN, strings.Join(lines, "\n"))
		}
		t.Logf("release %s → %s: preview %v, update %v", svc, tag, pv.Changes, steps[0].Diffs)
		began := time.Now()
		if err := s.up(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("up took %s", time.Since(began).Round(100*time.Millisecond))
		checkRollout(t, ctx, ns, svc, tag)
	}
}

// checkRollout waits until the Deployment's containers carry tag and a
// ReplicaSet of that template has at least one pod (no kubelet: the
// rollout then waits forever for readiness, which is expected here).
func checkRollout(t *testing.T, ctx context.Context, ns, name, tag string) {
	t.Helper()
	var last string
	for {
		d, err := kubeList(ctx, "deployments", "-n", ns, "--field-selector", "metadata.name="+name)
		if err != nil || len(d) != 1 {
			t.Fatalf("Deployment %s/%s: %v (found %d)", ns, name, err, len(d))
		}
		containers, _ := dig(d[0], "spec", "template", "spec", "containers").([]any)
		var images []string
		for _, c := range containers {
			images = append(images, str(c.(map[string]any), "image"))
		}
		if !slices.ContainsFunc(images, func(i string) bool { return strings.HasSuffix(i, ":"+tag) }) {
			t.Fatalf("Deployment %s/%s images %v, want tag %s", ns, name, images, tag)
		}
		rss, err := kubeList(ctx, "replicasets", "-n", ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range rss {
			cs, _ := dig(rs, "spec", "template", "spec", "containers").([]any)
			if len(cs) == 0 || str(cs[0].(map[string]any), "image") != images[0] {
				continue
			}
			if n, _ := num(rs, "status", "replicas"); n >= 1 {
				return
			}
			last = fmt.Sprintf("ReplicaSet %s has no pod yet", str(rs, "metadata", "name"))
		}
		select {
		case <-ctx.Done():
			t.Fatalf("Deployment %s/%s at %s: no pod of the new template: %s", ns, name, tag, last)
		case <-time.After(time.Second):
		}
	}
}

// TestSecretsStayEncrypted: the kubeconfig and every secret config value
// reach the cluster (each canary is in a Kubernetes Secret) but appear
// nowhere in the backend directory (state, history, backups) or the stack
// files, neither plain nor base64.
func TestSecretsStayEncrypted(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()

	// Positive control: each config canary went through the engine to the
	// cluster, so its absence from the state means something.
	secrets, err := kubeList(ctx, "secrets", "-A")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range slices.Sorted(maps.Keys(s.canaries)) {
		if !strings.HasPrefix(name, "config key ") {
			continue
		}
		value := s.canaries[name]
		var holders []string
		for _, sec := range secrets {
			data, _ := sec["data"].(map[string]any)
			for k, v := range data {
				b, _ := base64.StdEncoding.DecodeString(fmt.Sprint(v))
				if strings.Contains(string(b), value) {
					holders = append(holders, fmt.Sprintf("%s/%s[%s]", str(sec, "metadata", "namespace"), str(sec, "metadata", "name"), k))
				}
			}
		}
		if len(holders) == 0 {
			t.Errorf("%s: no Secret on the server holds its canary: the program does not use it, so this test proves nothing about it", name)
		} else {
			t.Logf("%s: canary delivered to %v", name, holders)
		}
	}

	state, err := s.run(ctx, "", "stack", "export", "--stack", s.stack)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(state, secretSig) {
		t.Error("the state holds no encrypted secret value at all")
	}
	stackFile, err := os.ReadFile(s.stackFile())
	if err != nil {
		t.Fatal(err)
	}
	want := 1 // ack-platform:kubeconfig
	for name := range s.canaries {
		if strings.HasPrefix(name, "config key ") {
			want++
		}
	}
	if n := strings.Count(string(stackFile), "secure:"); n < want {
		t.Errorf("stack file has %d secure values, want at least %d (every canary key and the kubeconfig)", n, want)
	}

	var ns []needle
	for _, name := range slices.Sorted(maps.Keys(s.canaries)) {
		ns = append(ns, needles(name, s.canaries[name])...)
	}
	leaks, files, err := scanForSecrets([]string{s.backend, s.dir, s.home}, ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leaks {
		t.Errorf("secret leaked: %s in %s", l.what, l.file)
	}
	if files < 3 {
		t.Errorf("scanned only %d files: the backend is not where the test looks", files)
	}
	t.Logf("%d canaries × %d encodings, %d files scanned (backend, project, PULUMI_HOME)", len(s.canaries), len(ns)/len(s.canaries), files)
}

// TestDestroyLeavesNothing: `pulumi destroy` removes every object of the
// program from the server: nothing of the state is left, no namespace
// labelled as managed by Pulumi, nothing in the program's namespaces.
func TestDestroyLeavesNothing(t *testing.T) {
	s := deployed(t)
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	objs := exportObjects(t, ctx, s)
	var namespaces []string // the ones the program creates
	for _, o := range objs {
		if o.Ref.Kind == "Namespace" {
			namespaces = append(namespaces, o.Ref.Name)
		}
	}
	began := time.Now()
	if err := s.destroy(ctx); err != nil {
		t.Fatal(err)
	}
	s.deployed = false
	t.Logf("destroy took %s", time.Since(began).Round(100*time.Millisecond))

	// Namespace deletion finishes asynchronously (the namespace controller
	// empties it first).
	var left []string
	for {
		left = nil
		live := fetchLive(t, ctx, objs)
		for _, o := range objs {
			if l, ok := live[o.Ref.key()]; ok {
				left = append(left, fmt.Sprintf("%s (deletionTimestamp %q)", o.Ref, str(l, "metadata", "deletionTimestamp")))
			}
		}
		labelled, err := kubeList(ctx, "namespaces", "-l", "app.kubernetes.io/managed-by=pulumi")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range labelled {
			left = append(left, "namespace "+str(n, "metadata", "name")+" labelled managed-by=pulumi")
		}
		for _, ns := range namespaces {
			out, err := kubectl(ctx, "", "get", "all,configmaps,secrets,serviceaccounts,ingresses,networkpolicies,resourcequotas,limitranges,poddisruptionbudgets,persistentvolumeclaims,roles,rolebindings",
				"-n", ns, "-o", "name", "--ignore-not-found")
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range strings.Fields(out) {
				left = append(left, ns+"/"+name)
			}
		}
		if len(left) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s after destroy, still on the server:\n  %s", time.Since(began).Round(time.Second), strings.Join(left, "\n  "))
		case <-time.After(2 * time.Second):
		}
	}
	t.Logf("%d objects of %d namespaces gone %s after destroy began", len(objs), len(namespaces), time.Since(began).Round(100*time.Millisecond))
}

// exportObjects returns the Kubernetes objects of the stack's state.
func exportObjects(t *testing.T, ctx context.Context, s *localStack) []declaredObject {
	t.Helper()
	res, err := s.export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	objs := kubeObjects(res)
	if len(objs) == 0 {
		t.Fatal("the state holds no Kubernetes object")
	}
	return objs
}

// fetchLive reads every object of objs from the server.
func fetchLive(t *testing.T, ctx context.Context, objs []declaredObject) map[objRef]map[string]any {
	t.Helper()
	refs := make([]objRef, len(objs))
	for i, o := range objs {
		refs[i] = o.Ref
	}
	live, err := liveObjects(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// programNamespaces are the namespaces the program declares or puts objects in.
func programNamespaces(objs []declaredObject) []string {
	set := map[string]bool{}
	for _, o := range objs {
		if o.Ref.Kind == "Namespace" {
			set[o.Ref.Name] = true
		} else if o.Ref.Namespace != "" {
			set[o.Ref.Namespace] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// environmentNamespaces are the namespaces of the stack's environments.
func environmentNamespaces(t *testing.T, ctx context.Context, s *localStack) []string {
	t.Helper()
	var envs map[string]config.Environment
	if err := s.configJSON(ctx, config.Namespace+":environments", false, &envs); err != nil {
		t.Fatal(err)
	}
	var out []string
	for name, e := range envs {
		if e.Namespace == "" {
			e.Namespace = name
		}
		out = append(out, e.Namespace)
	}
	sort.Strings(out)
	return out
}
