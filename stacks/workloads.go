package stacks

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pconfig "github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/ack-platform/ack-platform/components/environment"
	"github.com/ack-platform/ack-platform/components/ingress"
	"github.com/ack-platform/ack-platform/components/kube"
	"github.com/ack-platform/ack-platform/components/microservice"
	"github.com/ack-platform/ack-platform/components/nacos"
	"github.com/ack-platform/ack-platform/stacks/config"
)

// deployWorkloads lays out the Kubernetes layer on target: the edge once
// (an AlbConfig, or ingress-nginx), then per environment its namespace,
// Nacos and every catalog service. It adds to outputs, under
// "environments", each environment's namespace, route table
// (host+path → service) and service images.
func deployWorkloads(ctx *pulumi.Context, cfg *config.Config, target WorkloadTarget, outputs pulumi.Map) error {
	w := cfg.Workloads
	provider := pulumi.Provider(target.Provider)
	partOf := w.Catalog.System

	registry := target.RegistryEndpoint
	if registry == nil {
		registry = pulumi.String(cfg.Registry.Endpoint)
	}
	image := func(repo, tag string) pulumi.StringOutput {
		return pulumi.Sprintf("%s/%s/%s:%s", registry, cfg.Registry.Namespace, repo, tag)
	}
	mirrored := func(repo, tag string) pulumi.StringOutput {
		if w.Mirror.Registry == "" {
			return pulumi.Sprintf("%s/%s/%s:%s", registry, w.Mirror.Namespace, repo, tag)
		}
		return pulumi.Sprintf("%s/%s/%s:%s", w.Mirror.Registry, w.Mirror.Namespace, repo, tag)
	}

	var ingressPods map[string]string
	var edgeCidrs []string
	dialect := "nginx"
	switch w.Ingress.Controller {
	case config.IngressALB:
		albID := target.AlbID
		if w.Ingress.Alb.ID != "" {
			albID = pulumi.String(w.Ingress.Alb.ID)
		}
		if albID == nil && len(w.Ingress.Alb.VSwitchIDs) == 0 {
			return errors.New(config.Namespace + ":ingress.alb: the platform stack exports no albId; give ingress.alb.id or ingress.alb.vSwitchIds")
		}
		if len(w.Ingress.Alb.VSwitchIDs) > 0 {
			albID = nil
		}
		if _, err := ingress.NewAlb(ctx, "ingress", &ingress.AlbArgs{
			Class: w.Ingress.Class, LoadBalancerID: albID, VSwitchIDs: w.Ingress.Alb.VSwitchIDs,
			AddressType: w.Ingress.Alb.AddressType, RequestTimeoutSeconds: longestTimeout(w),
			HTTPS: anyTLS(w), PartOf: partOf,
		}, provider); err != nil {
			return err
		}
		edgeCidrs, dialect = w.Ingress.Alb.SourceCidrs, "alb"
	case config.IngressNginx:
		n := w.Ingress.Nginx
		ctrl, err := ingress.NewController(ctx, "ingress", &ingress.ControllerArgs{
			Namespace:      w.Ingress.Namespace,
			Class:          w.Ingress.Class,
			Image:          mirrored(n.Repository, n.Version),
			Version:        n.Version,
			Replicas:       n.Replicas,
			Resources:      resources(n.Resources),
			LoadBalancerID: target.LoadBalancerID,
			SSLRedirect:    *w.Ingress.SSLRedirect,
			PartOf:         partOf,
		}, provider)
		if err != nil {
			return err
		}
		ingressPods = ctrl.PodLabels
	}

	var nacosPassword pulumi.StringInput
	if w.Nacos.AuthEnabled() {
		nacosPassword = secret(ctx, w.Nacos.Auth.PasswordKey)
	}

	envOutputs := pulumi.Map{}
	for _, envName := range slices.Sorted(maps.Keys(w.Environments)) {
		e := w.Environments[envName]
		isolated := *e.NetworkIsolation
		args := &environment.EnvironmentArgs{
			Environment: envName,
			Namespace:   e.Namespace,
			PartOf:      partOf,
			Quota: environment.Quota{
				RequestsCPU: e.Quota.RequestsCPU, RequestsMemory: e.Quota.RequestsMemory,
				LimitsCPU: e.Quota.LimitsCPU, LimitsMemory: e.Quota.LimitsMemory,
				RequestsStorage: e.Quota.RequestsStorage, Pods: e.Quota.Pods,
			},
			LimitMax:         &kube.ResourceList{CPU: e.LimitRange.Max.CPU, Memory: e.LimitRange.Max.Memory, EphemeralStorage: e.LimitRange.Max.EphemeralStorage},
			Isolation:        isolated,
			IngressNamespace: w.Ingress.Namespace,
			IngressPodLabels: ingressPods,
			EdgeCidrs:        edgeCidrs,
			Workloads:        graph(envName, e),
		}
		if l := e.Observability.Logs; l != nil {
			args.Logs = &environment.Logs{Project: l.Project, Logstore: l.Logstore}
		}
		if m := e.Observability.Metrics; m != nil {
			args.Metrics = &environment.Metrics{Namespace: m.Namespace}
		}
		if w.Nacos.Mode == config.NacosExternal {
			x := w.Nacos.External[envName]
			args.NacosCidr = x.Cidr
			args.NacosPorts = externalNacosPorts(x.Address)
		}
		if e.ImagePull.Mode == config.PullSecret {
			args.DockerConfigJSON = secret(ctx, e.ImagePull.SecretKey)
		}
		if e.TLS != nil {
			args.TLSCert, args.TLSKey = secret(ctx, e.TLS.CertKey), secret(ctx, e.TLS.KeyKey)
		}
		env, err := environment.NewEnvironment(ctx, envName, args, provider)
		if err != nil {
			return err
		}
		var pullSecrets []pulumi.StringInput
		if env.ImagePullSecret != nil {
			pullSecrets = append(pullSecrets, env.ImagePullSecret)
		}

		nacosAddr := nacos.Address(e.Namespace)
		if w.Nacos.Mode == config.NacosInCluster {
			if _, err := nacos.NewNacos(ctx, envName+"-nacos", nacosArgs(ctx, cfg, envName, e, env, mirrored, pullSecrets), provider); err != nil {
				return err
			}
		} else {
			nacosAddr = w.Nacos.External[envName].Address
		}

		routes, images := pulumi.StringMap{}, pulumi.StringMap{}
		for _, svcName := range slices.Sorted(maps.Keys(e.Services)) {
			s := e.Services[svcName]
			img, version := pulumi.StringInput(image(s.Repository, s.Tag)), s.Tag
			if s.Image != "" {
				img, version = pulumi.String(s.Image), imageVersion(s.Image)
			}
			secretEnv := map[string]pulumi.StringInput{}
			for k, ref := range s.SecretEnv {
				secretEnv[k] = secret(ctx, ref)
			}
			ms := &microservice.MicroserviceArgs{
				ServiceName:                   svcName,
				Namespace:                     env.Namespace,
				Instance:                      svcName + "-" + envName,
				Kind:                          microservice.Kind(s.Kind),
				PartOf:                        partOf,
				Description:                   s.Description,
				Image:                         img,
				Version:                       version,
				Port:                          s.Port,
				ManagementPort:                s.ManagementPort,
				Ports:                         ports(s.Ports),
				Probes:                        probes(s.Probes),
				Resources:                     resources(s.Resources),
				Replicas:                      s.Replicas,
				Env:                           s.Env,
				SecretEnv:                     secretEnv,
				IngressClass:                  w.Ingress.Class,
				IngressDialect:                dialect,
				PreStopSleepSeconds:           s.PreStopSleepSeconds,
				ShutdownSeconds:               s.ShutdownSeconds,
				TerminationGracePeriodSeconds: s.TerminationGracePeriodSeconds,
				WritableDirs:                  s.WritableDirs,
				NodeSelector:                  s.NodeSelector,
				Tolerations:                   tolerations(s.Tolerations),
				Pdb:                           microservice.Pdb{MaxUnavailable: s.Pdb.MaxUnavailable, MinAvailable: s.Pdb.MinAvailable},
				ImagePullSecrets:              pullSecrets,
			}
			if ms.Kind.Java() {
				ms.NacosAddress = nacosAddr
				ms.JavaOptions = s.JavaOptions
				ms.Deregistration = microservice.Deregistration{Mode: s.Deregistration.Mode, Path: s.Deregistration.Path}
				ms.LoadBalancerCacheSeconds = *s.Deregistration.LoadBalancerCacheSeconds
				ms.Metrics = e.Observability.Metrics != nil
				if nacosPassword != nil {
					ms.NacosUsername, ms.NacosPassword = w.Nacos.Auth.Username, nacosPassword
				}
			}
			if a := s.Autoscaling; a != nil {
				ms.Replicas = 0
				ms.Autoscaling = &microservice.Autoscaling{Min: a.Min, Max: a.Max, CPUUtilization: a.CPUUtilization}
			}
			for _, r := range s.Routes {
				ms.Routes = append(ms.Routes, microservice.Route{
					Host: r.Host, Path: r.Path, BodySize: r.BodySize, TimeoutSeconds: r.TimeoutSeconds,
					WebSocket: r.WebSocket, AllowCidrs: r.AllowCidrs,
				})
				routes[r.Host+r.Path] = pulumi.String(svcName)
			}
			if len(ms.Routes) > 0 && env.TLSSecret != nil {
				ms.TLSSecretName = env.TLSSecret
			}
			svc, err := microservice.NewMicroservice(ctx, envName+"-"+svcName, ms, provider)
			if err != nil {
				return err
			}
			images[svcName] = svc.Image
		}
		envOutputs[envName] = pulumi.Map{
			"namespace": env.Namespace,
			"routes":    routes,
			"images":    images,
		}
	}
	outputs["environments"] = envOutputs
	return nil
}

// graph is the environment's declared call graph, for its NetworkPolicies.
func graph(envName string, e config.Environment) []environment.Workload {
	var out []environment.Workload
	for _, name := range slices.Sorted(maps.Keys(e.Services)) {
		s := e.Services[name]
		wl := environment.Workload{
			Name:     name,
			Selector: kube.Selector(name, name+"-"+envName),
			Public:   len(s.Routes) > 0,
			Nacos:    config.Java(s.Kind),
			Calls:    s.Calls,
		}
		for _, ep := range s.Endpoints {
			x := environment.Endpoint{Name: ep.Name, Cidrs: ep.Cidrs}
			for _, p := range ep.Ports {
				x.Ports = append(x.Ports, environment.EndpointPort{Port: p.Port, Protocol: p.Protocol})
			}
			wl.Endpoints = append(wl.Endpoints, x)
		}
		out = append(out, wl)
	}
	return out
}

// nacosArgs translates the Nacos config of one environment.
func nacosArgs(ctx *pulumi.Context, cfg *config.Config, envName string, e config.Environment, env *environment.Environment, mirrored func(repo, tag string) pulumi.StringOutput, pullSecrets []pulumi.StringInput) *nacos.NacosArgs {
	n := cfg.Workloads.Nacos
	a := &nacos.NacosArgs{
		Namespace: env.Namespace, NamespaceName: e.Namespace,
		Instance: "nacos-" + envName, PartOf: cfg.Workloads.Catalog.System,
		Image: mirrored(n.Repository, n.Version), Version: n.Version,
		Replicas: n.Replicas, StorageSize: n.StorageSize, StorageClass: n.StorageClass,
		Resources: resources(n.Resources), Isolation: *e.NetworkIsolation, ImagePullSecrets: pullSecrets,
		NodeSelector: n.NodeSelector, Tolerations: tolerations(n.Tolerations),
	}
	if n.AuthEnabled() {
		a.Auth = &nacos.Auth{
			Token:         secret(ctx, n.Auth.TokenSecretKey),
			IdentityKey:   secret(ctx, n.Auth.IdentityKey),
			IdentityValue: secret(ctx, n.Auth.IdentityValueKey),
		}
	}
	if d := n.Database; d.Type == config.NacosMySQL {
		a.MySQL = &nacos.MySQL{Host: d.Host, Port: d.Port, Database: d.Name, User: d.User, Password: secret(ctx, d.PasswordKey), Cidr: d.Cidr}
	}
	return a
}

// longestTimeout is the ALB listeners' request timeout: the longest route's.
func longestTimeout(w config.Workloads) int {
	longest := config.DefaultTimeoutSeconds
	for _, e := range w.Environments {
		for _, s := range e.Services {
			for _, r := range s.Routes {
				longest = max(longest, r.TimeoutSeconds)
			}
		}
	}
	return longest
}

func anyTLS(w config.Workloads) bool {
	for _, e := range w.Environments {
		if e.TLS != nil {
			return true
		}
	}
	return false
}

// secret reads a secret config key of the project's namespace; validation
// made sure it is set and encrypted.
func secret(ctx *pulumi.Context, key string) pulumi.StringOutput {
	return pconfig.GetSecret(ctx, config.Namespace+":"+key)
}

func resources(r config.Resources) kube.Resources {
	list := func(l config.ResourceList) kube.ResourceList {
		return kube.ResourceList{CPU: l.CPU, Memory: l.Memory, EphemeralStorage: l.EphemeralStorage}
	}
	return kube.Resources{Requests: list(r.Requests), Limits: list(r.Limits)}
}

func tolerations(ts []config.Toleration) []kube.Toleration {
	var out []kube.Toleration
	for _, t := range ts {
		out = append(out, kube.Toleration{Key: t.Key, Operator: t.Operator, Value: t.Value, Effect: t.Effect})
	}
	return out
}

func ports(ps []config.NamedPort) []microservice.Port {
	var out []microservice.Port
	for _, p := range ps {
		out = append(out, microservice.Port{Name: p.Name, Port: p.Port})
	}
	return out
}

func probes(p config.Probes) microservice.Probes {
	conv := func(p *config.Probe) *microservice.Probe {
		if p == nil {
			return nil
		}
		return &microservice.Probe{Path: p.Path, Port: p.Port}
	}
	return microservice.Probes{Readiness: conv(p.Readiness), Liveness: conv(p.Liveness), Startup: conv(p.Startup)}
}

// imageVersion is the tag of a full image reference (repo:tag or
// repo:tag@sha256:...).
func imageVersion(image string) string {
	if at := strings.Index(image, "@"); at >= 0 {
		image = image[:at]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		return image[i+1:]
	}
	return ""
}

// externalNacosPorts are the HTTP port of an external Nacos and its gRPC
// port (+1000).
func externalNacosPorts(address string) []int {
	i := strings.LastIndex(address, ":")
	port := 0
	for _, c := range address[i+1:] {
		port = port*10 + int(c-'0')
	}
	return []int{port, port + 1000}
}
