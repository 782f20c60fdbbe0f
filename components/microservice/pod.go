package microservice

import (
	"fmt"
	"path"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/ack-platform/ack-platform/components/kube"
)

// podTemplate builds the pod every kind runs.
func (a MicroserviceArgs) podTemplate(labels map[string]string, sa *corev1.ServiceAccount, cm *corev1.ConfigMap, secret *corev1.Secret, checksum pulumi.StringOutput) *corev1.PodTemplateSpecArgs {
	envFrom := corev1.EnvFromSourceArray{corev1.EnvFromSourceArgs{
		ConfigMapRef: &corev1.ConfigMapEnvSourceArgs{Name: cm.Metadata.Name()},
	}}
	if secret != nil {
		envFrom = append(envFrom, corev1.EnvFromSourceArgs{SecretRef: &corev1.SecretEnvSourceArgs{Name: secret.Metadata.Name()}})
	}
	// The pod IP is what a Java service registers in Nacos and deregisters
	// in its preStop hook.
	env := corev1.EnvVarArray{corev1.EnvVarArgs{
		Name:      pulumi.String("POD_IP"),
		ValueFrom: &corev1.EnvVarSourceArgs{FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("status.podIP")}},
	}}
	if a.Kind.Java() {
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("SPRING_CLOUD_NACOS_DISCOVERY_IP"), Value: pulumi.String("$(POD_IP)")})
	}

	ports := corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(a.Port), Protocol: pulumi.String("TCP")}}
	if a.Kind.Java() {
		ports = append(ports, corev1.ContainerPortArgs{Name: pulumi.String("management"), ContainerPort: pulumi.Int(a.ManagementPort), Protocol: pulumi.String("TCP")})
	}
	for _, p := range a.Ports {
		ports = append(ports, corev1.ContainerPortArgs{Name: pulumi.String(p.Name), ContainerPort: pulumi.Int(p.Port), Protocol: pulumi.String("TCP")})
	}

	volumes, mounts := kube.EmptyDirs(a.WritableDirs)
	var inits corev1.ContainerArray
	for i, d := range a.SeededDirs {
		vol := fmt.Sprintf("seed-%d", i)
		volumes = append(volumes, corev1.VolumeArgs{Name: pulumi.String(vol), EmptyDir: &corev1.EmptyDirVolumeSourceArgs{SizeLimit: pulumi.String("64Mi")}})
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String(vol), MountPath: pulumi.String(d)})
		inits = append(inits, corev1.ContainerArgs{
			Name:            pulumi.Sprintf("seed-%s", path.Base(d)),
			Image:           a.Image,
			ImagePullPolicy: pulumi.String("Always"),
			Command:         pulumi.ToStringArray([]string{"/bin/sh", "-c", fmt.Sprintf("cp -a %s/. /seed/", d)}),
			VolumeMounts:    corev1.VolumeMountArray{corev1.VolumeMountArgs{Name: pulumi.String(vol), MountPath: pulumi.String("/seed")}},
			Resources:       smallResources(),
			SecurityContext: kube.ContainerSecurity(),
		})
	}
	if a.Storage != nil {
		mounts = append(mounts, corev1.VolumeMountArgs{Name: pulumi.String("data"), MountPath: pulumi.String(a.Storage.MountPath)})
	}

	var pullSecrets corev1.LocalObjectReferenceArray
	for _, s := range a.ImagePullSecrets {
		pullSecrets = append(pullSecrets, corev1.LocalObjectReferenceArgs{Name: s})
	}
	spread, affinity := kube.Spread(kube.Selector(a.ServiceName, a.Instance))
	if a.ZoneSpreadRequired {
		spread, affinity = kube.SpreadRequired(kube.Selector(a.ServiceName, a.Instance))
	}
	var nodeSelector pulumi.StringMapInput
	if len(a.NodeSelector) > 0 {
		nodeSelector = pulumi.ToStringMap(a.NodeSelector)
	}

	container := corev1.ContainerArgs{
		Name:  pulumi.String(a.ServiceName),
		Image: a.Image,
		// Always: a pull re-checks the pull credentials; the tag is pinned,
		// so the image never changes under the pod.
		ImagePullPolicy: pulumi.String("Always"),
		Ports:           ports,
		EnvFrom:         envFrom,
		Env:             env,
		Resources:       a.Resources.Args(),
		ReadinessProbe:  probe(a.Probes.Readiness, 5, 3),
		LivenessProbe:   probe(a.Probes.Liveness, 10, 3),
		Lifecycle:       &corev1.LifecycleArgs{PreStop: a.preStop()},
		VolumeMounts:    mounts,
		SecurityContext: kube.ContainerSecurity(),
	}
	if a.Probes.Startup != nil {
		// A JVM may take minutes to start; liveness only counts afterwards.
		container.StartupProbe = probe(a.Probes.Startup, 5, 36)
	}

	return &corev1.PodTemplateSpecArgs{
		Metadata: &metav1.ObjectMetaArgs{
			Labels:      pulumi.ToStringMap(labels),
			Annotations: pulumi.StringMap{ChecksumAnnotation: checksum},
		},
		Spec: &corev1.PodSpecArgs{
			ServiceAccountName:            sa.Metadata.Name(),
			AutomountServiceAccountToken:  pulumi.Bool(false),
			EnableServiceLinks:            pulumi.Bool(false),
			HostNetwork:                   pulumi.Bool(false),
			HostPID:                       pulumi.Bool(false),
			HostIPC:                       pulumi.Bool(false),
			TerminationGracePeriodSeconds: pulumi.Int(a.TerminationGracePeriodSeconds),
			SecurityContext:               kube.PodSecurity(),
			TopologySpreadConstraints:     spread,
			Affinity:                      affinity,
			NodeSelector:                  nodeSelector,
			Tolerations:                   kube.Tolerations(a.Tolerations),
			ImagePullSecrets:              pullSecrets,
			InitContainers:                inits,
			Containers:                    corev1.ContainerArray{container},
			Volumes:                       volumes,
		},
	}
}

// preStop delays SIGTERM until the load balancers and the callers
// stopped sending traffic. A Java service first leaves Nacos (Nacos 2.x
// clients register over gRPC: only the client's own deregistration removes
// the instance at once), then keeps serving until the callers'
// load-balancer caches expired; a failed deregistration shows as a
// FailedPreStopHook event instead of being swallowed. nginx drains its
// connections with `nginx -s quit`; other images use the kubelet's native
// sleep (no shell needed).
func (a MicroserviceArgs) preStop() *corev1.LifecycleHandlerArgs {
	switch {
	case a.Kind.Java() && a.Deregistration.Mode == DeregisterHTTP:
		return &corev1.LifecycleHandlerArgs{HttpGet: &corev1.HTTPGetActionArgs{
			Path: pulumi.Sprintf("%s?waitSeconds=%d", a.Deregistration.Path, a.PreStopSleepSeconds),
			Port: pulumi.String("management"),
		}}
	case a.Kind.Java():
		// The actuator's ServiceRegistryEndpoint takes a POST of the new
		// status; the sleep runs whatever the outcome, the exit status tells it.
		script := fmt.Sprintf(`curl -fsS -m 5 -X POST -H 'Content-Type: application/json' -d '{"status":"DOWN"}' "http://127.0.0.1:%d/actuator/serviceregistry"; rc=$?; sleep %d; exit $rc`, a.ManagementPort, a.PreStopSleepSeconds)
		return &corev1.LifecycleHandlerArgs{Exec: &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{"/bin/sh", "-c", script})}}
	case a.Kind == Frontend:
		// SIGTERM makes nginx stop at once; QUIT (nginx -s quit) finishes
		// open requests. The hook waits for the master to exit, bounded by
		// the shutdown time.
		script := fmt.Sprintf(`sleep %d; nginx -s quit; i=0; while [ -f /tmp/nginx.pid ] || [ -f /var/run/nginx.pid ]; do [ $i -ge %d ] && break; sleep 1; i=$((i+1)); done`, a.PreStopSleepSeconds, a.ShutdownSeconds)
		return &corev1.LifecycleHandlerArgs{Exec: &corev1.ExecActionArgs{Command: pulumi.ToStringArray([]string{"/bin/sh", "-c", script})}}
	default:
		return &corev1.LifecycleHandlerArgs{Sleep: &corev1.SleepActionArgs{Seconds: pulumi.Int(a.PreStopSleepSeconds)}}
	}
}

func probe(p *Probe, period, failures int) *corev1.ProbeArgs {
	if p == nil {
		return nil
	}
	pa := &corev1.ProbeArgs{
		PeriodSeconds:    pulumi.Int(period),
		TimeoutSeconds:   pulumi.Int(3),
		FailureThreshold: pulumi.Int(failures),
		SuccessThreshold: pulumi.Int(1),
	}
	if p.Path == "" {
		pa.TcpSocket = &corev1.TCPSocketActionArgs{Port: pulumi.String(p.Port)}
	} else {
		pa.HttpGet = &corev1.HTTPGetActionArgs{Path: pulumi.String(p.Path), Port: pulumi.String(p.Port)}
	}
	return pa
}

// smallResources bound init containers that only copy files.
func smallResources() corev1.ResourceRequirementsArgs {
	return kube.Resources{
		Requests: kube.ResourceList{CPU: "50m", Memory: "64Mi", EphemeralStorage: "64Mi"},
		Limits:   kube.ResourceList{CPU: "200m", Memory: "128Mi", EphemeralStorage: "128Mi"},
	}.Args()
}
