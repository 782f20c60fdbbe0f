// Package kube holds the Kubernetes building blocks every workload of the
// program shares, so the ingress controller, Nacos and the Microservice
// component pass the same reliability and security checklist
// (/work/shared/RELIABILITY.md) by construction.
package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Recommended labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/).
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelVersion   = "app.kubernetes.io/version"
	LabelComponent = "app.kubernetes.io/component"
	LabelPartOf    = "app.kubernetes.io/part-of"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelEnvironment marks an environment namespace; the ingress
	// controller's egress policy selects on it.
	LabelEnvironment = "ack-platform.io/environment"
	// ManagedBy is the managed-by value of every object of the program.
	ManagedBy = "pulumi"
	// UID and GID every container runs as: above 10000 so it never maps to
	// a user of the node.
	UID = 10001
)

// Labels returns the recommended labels.
func Labels(name, instance, version, component, partOf string) map[string]string {
	return map[string]string{
		LabelName: name, LabelInstance: instance, LabelVersion: version,
		LabelComponent: component, LabelPartOf: partOf, LabelManagedBy: ManagedBy,
	}
}

// Selector is the immutable subset of the labels that selects the pods:
// the version changes on every release, so it is never part of a selector.
func Selector(name, instance string) map[string]string {
	return map[string]string{LabelName: name, LabelInstance: instance}
}

// ResourceList holds the three resources every container bounds.
type ResourceList struct {
	CPU              string
	Memory           string
	EphemeralStorage string
}

// Resources are a container's requests and limits.
type Resources struct {
	Requests ResourceList
	Limits   ResourceList
}

func (l ResourceList) args() pulumi.StringMap {
	return pulumi.StringMap{
		"cpu": pulumi.String(l.CPU), "memory": pulumi.String(l.Memory),
		"ephemeral-storage": pulumi.String(l.EphemeralStorage),
	}
}

// Args converts to the Kubernetes type.
func (r Resources) Args() corev1.ResourceRequirementsArgs {
	return corev1.ResourceRequirementsArgs{Requests: r.Requests.args(), Limits: r.Limits.args()}
}

// Complete reports whether every request and limit is set.
func (r Resources) Complete() bool {
	for _, v := range []string{r.Requests.CPU, r.Requests.Memory, r.Requests.EphemeralStorage, r.Limits.CPU, r.Limits.Memory, r.Limits.EphemeralStorage} {
		if v == "" {
			return false
		}
	}
	return true
}

// PodSecurity is the pod-level security context of the restricted Pod
// Security Standard, with a high UID/GID.
func PodSecurity() *corev1.PodSecurityContextArgs {
	return &corev1.PodSecurityContextArgs{
		RunAsNonRoot:   pulumi.Bool(true),
		RunAsUser:      pulumi.Int(UID),
		RunAsGroup:     pulumi.Int(UID),
		FsGroup:        pulumi.Int(UID),
		SeccompProfile: &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// ContainerSecurity is the container-level security context: read-only
// root, no privilege escalation, no capabilities.
func ContainerSecurity() *corev1.SecurityContextArgs {
	return ContainerSecurityWith()
}

// ContainerSecurityWith is ContainerSecurity keeping the given
// capabilities in the bounding set: an image whose binaries carry file
// capabilities (setcap ...=+ep) cannot be executed at all when the
// capability is dropped (execve fails with EPERM). The restricted Pod
// Security Standard allows adding NET_BIND_SERVICE only. With
// allowPrivilegeEscalation false the binary runs, without the capability
// in its effective set.
func ContainerSecurityWith(add ...string) *corev1.SecurityContextArgs {
	caps := &corev1.CapabilitiesArgs{Drop: pulumi.StringArray{pulumi.String("ALL")}}
	if len(add) > 0 {
		caps.Add = pulumi.ToStringArray(add)
	}
	return &corev1.SecurityContextArgs{
		RunAsNonRoot:             pulumi.Bool(true),
		RunAsUser:                pulumi.Int(UID),
		RunAsGroup:               pulumi.Int(UID),
		Privileged:               pulumi.Bool(false),
		AllowPrivilegeEscalation: pulumi.Bool(false),
		ReadOnlyRootFilesystem:   pulumi.Bool(true),
		Capabilities:             caps,
		SeccompProfile:           &corev1.SeccompProfileArgs{Type: pulumi.String("RuntimeDefault")},
	}
}

// SpreadRequired is Spread with the zone spread a hard rule: members of a
// quorum (Nacos' Raft group) must not share a zone, or one zone outage
// takes the majority. Their disks follow (WaitForFirstConsumer).
func SpreadRequired(selector map[string]string) (corev1.TopologySpreadConstraintArrayInput, *corev1.AffinityArgs) {
	_, affinity := Spread(selector)
	return corev1.TopologySpreadConstraintArray{corev1.TopologySpreadConstraintArgs{
		MaxSkew:           pulumi.Int(1),
		TopologyKey:       pulumi.String("topology.kubernetes.io/zone"),
		WhenUnsatisfiable: pulumi.String("DoNotSchedule"),
		LabelSelector:     &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)},
	}}, affinity
}

// Toleration is a Kubernetes toleration.
type Toleration struct{ Key, Operator, Value, Effect string }

// Tolerations converts to the Kubernetes type; nil for none.
func Tolerations(ts []Toleration) corev1.TolerationArray {
	var out corev1.TolerationArray
	for _, t := range ts {
		a := corev1.TolerationArgs{Key: pulumi.String(t.Key)}
		if t.Operator != "" {
			a.Operator = pulumi.String(t.Operator)
		}
		if t.Value != "" {
			a.Value = pulumi.String(t.Value)
		}
		if t.Effect != "" {
			a.Effect = pulumi.String(t.Effect)
		}
		out = append(out, a)
	}
	return out
}

// Spread places replicas across zones and hosts. Both are preferences
// (ScheduleAnyway, preferred anti-affinity): a hard rule would leave pods
// Pending on a cluster with fewer zones or nodes than replicas, while the
// scheduler still spreads whenever it can.
func Spread(selector map[string]string) (corev1.TopologySpreadConstraintArrayInput, *corev1.AffinityArgs) {
	sel := &metav1.LabelSelectorArgs{MatchLabels: pulumi.ToStringMap(selector)}
	spread := corev1.TopologySpreadConstraintArray{
		corev1.TopologySpreadConstraintArgs{
			MaxSkew:           pulumi.Int(1),
			TopologyKey:       pulumi.String("topology.kubernetes.io/zone"),
			WhenUnsatisfiable: pulumi.String("ScheduleAnyway"),
			LabelSelector:     sel,
		},
	}
	affinity := &corev1.AffinityArgs{
		PodAntiAffinity: &corev1.PodAntiAffinityArgs{
			PreferredDuringSchedulingIgnoredDuringExecution: corev1.WeightedPodAffinityTermArray{
				corev1.WeightedPodAffinityTermArgs{
					Weight: pulumi.Int(100),
					PodAffinityTerm: corev1.PodAffinityTermArgs{
						TopologyKey:   pulumi.String("kubernetes.io/hostname"),
						LabelSelector: sel,
					},
				},
			},
		},
	}
	return spread, affinity
}

// Checksum hashes config data, so a pod template annotation changes (and
// pods roll) when the data does. The result of secret inputs stays secret.
func Checksum(plain map[string]string, secret map[string]pulumi.StringInput) pulumi.StringOutput {
	names := slices.Sorted(maps.Keys(secret))
	inputs := make([]any, len(names))
	for i, n := range names {
		inputs[i] = secret[n]
	}
	return pulumi.All(inputs...).ApplyT(func(vals []any) string {
		h := sha256.New()
		for _, k := range slices.Sorted(maps.Keys(plain)) {
			h.Write([]byte("c\x00" + k + "\x00" + plain[k] + "\x00"))
		}
		for i, k := range names {
			h.Write([]byte("s\x00" + k + "\x00" + vals[i].(string) + "\x00"))
		}
		return hex.EncodeToString(h.Sum(nil))
	}).(pulumi.StringOutput)
}

// EmptyDirs returns a volume and a mount per writable directory; volume
// names are tmp, dir-1, dir-2...
func EmptyDirs(dirs []string) (corev1.VolumeArray, corev1.VolumeMountArray) {
	var vols corev1.VolumeArray
	var mounts corev1.VolumeMountArray
	for i, d := range dirs {
		name := VolumeName(i)
		vols = append(vols, corev1.VolumeArgs{
			Name: pulumi.String(name),
			// Bounded so a runaway writer fills its own limit, not the node.
			EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("256Mi")},
		})
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(name), MountPath: pulumi.String(d)})
	}
	return vols, mounts
}

// VolumeName is the name EmptyDirs gives the i-th directory.
func VolumeName(i int) string {
	if i == 0 {
		return "tmp"
	}
	return "dir-" + string(rune('0'+i/10)) + string(rune('0'+i%10))
}
