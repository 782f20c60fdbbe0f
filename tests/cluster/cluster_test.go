package cluster_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ack-platform/ack-platform/tests/internal/localcluster"
)

const ns = "quota-demo"

// Quota and defaults for every container that sets no resources.
const policy = `
apiVersion: v1
kind: Namespace
metadata:
  name: quota-demo
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute
  namespace: quota-demo
spec:
  hard:
    pods: "4"
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "2"
    limits.memory: 2Gi
---
apiVersion: v1
kind: LimitRange
metadata:
  name: defaults
  namespace: quota-demo
spec:
  limits:
  - type: Container
    default:
      cpu: 200m
      memory: 256Mi
    defaultRequest:
      cpu: 100m
      memory: 128Mi
`

// deployment returns a Deployment whose pods never run (no kubelet): the
// image is never pulled.
func deployment(name string, replicas int, resources string) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  namespace: quota-demo
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      automountServiceAccountToken: false
      containers:
      - name: app
        image: registry.invalid/%[1]s:1
%[3]s
`, name, replicas, resources)
}

type resources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

type podList struct {
	Items []struct {
		Metadata struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
		Spec struct {
			Containers []struct {
				Resources resources `json:"resources"`
			} `json:"containers"`
		} `json:"spec"`
	} `json:"items"`
}

type quota struct {
	Status struct {
		Hard map[string]string `json:"hard"`
		Used map[string]string `json:"used"`
	} `json:"status"`
}

type eventList struct {
	Items []struct {
		Reason         string `json:"reason"`
		Message        string `json:"message"`
		InvolvedObject struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"involvedObject"`
	} `json:"items"`
}

func TestQuotaAndLimitRangeAdmission(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a local control plane: not in -short mode")
	}
	c := localcluster.Start(t)

	// The namespace, its quota and its defaults first: the pods must not be
	// created before the LimitRange exists, nor before the quota has a status.
	if err := c.Apply(policy); err != nil {
		t.Fatal(err)
	}
	eventually(t, "ServiceAccount quota-demo/default and the quota status", func() (bool, string) {
		if _, err := c.Kubectl("-n", ns, "get", "serviceaccount", "default"); err != nil {
			return false, err.Error()
		}
		var q quota
		if err := getJSON(c, &q, "-n", ns, "get", "resourcequota", "compute"); err != nil {
			return false, err.Error()
		}
		return q.Status.Hard["pods"] == "4", fmt.Sprintf("status.hard: %v", q.Status.Hard)
	})

	// Deployment → ReplicaSet → Pods, created by the controller manager and
	// admitted with the LimitRange defaults.
	if err := c.Apply(deployment("web", 2, "")); err != nil {
		t.Fatal(err)
	}
	var pods podList
	eventually(t, "2 pods of Deployment web", func() (bool, string) {
		if err := getJSON(c, &pods, "-n", ns, "get", "pods", "-l", "app=web"); err != nil {
			return false, err.Error()
		}
		return len(pods.Items) == 2, fmt.Sprintf("%d pods", len(pods.Items))
	})
	want := resources{
		Requests: map[string]string{"cpu": "100m", "memory": "128Mi"},
		Limits:   map[string]string{"cpu": "200m", "memory": "256Mi"},
	}
	for _, p := range pods.Items {
		got := p.Spec.Containers[0].Resources
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("pod %s: resources %+v, want the LimitRange defaults %+v", p.Metadata.Name, got, want)
		}
		if !strings.Contains(p.Metadata.Annotations["kubernetes.io/limit-ranger"], "LimitRanger plugin set") {
			t.Errorf("pod %s: no kubernetes.io/limit-ranger annotation: %v", p.Metadata.Name, p.Metadata.Annotations)
		}
	}
	wantUsed := map[string]string{
		"pods": "2", "requests.cpu": "200m", "requests.memory": "256Mi",
		"limits.cpu": "400m", "limits.memory": "512Mi",
	}
	eventually(t, "quota usage of 2 pods", func() (bool, string) {
		var q quota
		if err := getJSON(c, &q, "-n", ns, "get", "resourcequota", "compute"); err != nil {
			return false, err.Error()
		}
		return fmt.Sprint(q.Status.Used) == fmt.Sprint(wantUsed), fmt.Sprintf("status.used: %v", q.Status.Used)
	})

	// A pod asking for more memory than the quota has left: the ReplicaSet
	// controller's create is refused, which it reports as an event.
	hog := `        resources:
          requests: {cpu: 100m, memory: 2Gi}
          limits: {cpu: 200m, memory: 2Gi}`
	if err := c.Apply(deployment("hog", 1, hog)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a FailedCreate event for exceeded quota on ReplicaSet hog-*", func() (bool, string) {
		var events eventList
		if err := getJSON(c, &events, "-n", ns, "get", "events",
			"--field-selector", "reason=FailedCreate,involvedObject.kind=ReplicaSet"); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range events.Items {
			if strings.HasPrefix(e.InvolvedObject.Name, "hog-") && strings.Contains(e.Message, "exceeded quota: compute") {
				return true, ""
			}
			seen = append(seen, e.InvolvedObject.Name+": "+e.Message)
		}
		return false, fmt.Sprintf("FailedCreate events: %q", seen)
	})
	var hogPods podList
	if err := getJSON(c, &hogPods, "-n", ns, "get", "pods", "-l", "app=hog"); err != nil {
		t.Fatal(err)
	}
	if len(hogPods.Items) != 0 {
		t.Errorf("%d pods of Deployment hog were admitted despite the quota", len(hogPods.Items))
	}

	// `down` leaves nothing running.
	pids, err := c.Pids()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range append([]string{"watchdog"}, localcluster.Components...) {
		if pids[name] == 0 {
			t.Errorf("no pid recorded for %s: %v", name, pids)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for name, pid := range pids {
		if localcluster.ProcessRunning(pid) {
			t.Errorf("%s (pid %d) still runs after down", name, pid)
		}
	}
	if _, err := os.Stat(c.Dir + "/pids"); !os.IsNotExist(err) {
		t.Errorf("pid file still there after down (stat: %v)", err)
	}
}

func getJSON(c *localcluster.Cluster, v any, args ...string) error {
	out, err := c.Kubectl(append(args, "-o", "json")...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), v)
}

// eventually polls cond every half second for up to 90 s; cond returns
// whether it holds and, when not, what it saw.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		ok, saw := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen: %s", what, saw)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
