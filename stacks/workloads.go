package stacks

import (
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

// deployWorkloads lays out the Kubernetes layer on target: the ingress
// controller once (managed mode), then per environment its namespace,
// Nacos and every catalog service. It adds to outputs, under
// "environments", each environment's namespace, route table
// (host+path → service) and service images.
func deployWorkloads(ctx *pulumi.Context, cfg *config.Config, target WorkloadTarget, outputs pulumi.Map) error {
	w := cfg.Workloads
	provider := pulumi.Provider(target.Provider)
	partOf := w.Catalog.System

	var ingressPods map[string]string
	if w.Ingress.Controller == config.IngressManaged {
		ctrl, err := ingress.NewController(ctx, "ingress", &ingress.ControllerArgs{
			Namespace:      w.Ingress.Namespace,
			Class:          w.Ingress.Class,
			Image:          w.Ingress.Image,
			Version:        w.Ingress.Version,
			Replicas:       w.Ingress.Replicas,
			Resources:      resources(w.Ingress.Resources),
			LoadBalancerID: target.LoadBalancerID,
			SSLRedirect:    *w.Ingress.SSLRedirect,
			PartOf:         partOf,
		}, provider)
		if err != nil {
			return err
		}
		ingressPods = ctrl.PodLabels
	}

	registry := target.RegistryEndpoint
	if registry == nil {
		registry = pulumi.String(cfg.Registry.Endpoint)
	}
	image := func(repo, tag string) pulumi.StringOutput {
		return pulumi.Sprintf("%s/%s/%s:%s", registry, cfg.Registry.Namespace, repo, tag)
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
			Isolation:        isolated,
			IngressNamespace: w.Ingress.Namespace,
			IngressPodLabels: ingressPods,
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
			if _, err := nacos.NewNacos(ctx, envName+"-nacos", &nacos.NacosArgs{
				Namespace: env.Namespace, NamespaceName: e.Namespace,
				Instance: "nacos-" + envName, PartOf: partOf,
				Image: image(w.Nacos.Repository, w.Nacos.Version), Version: w.Nacos.Version,
				Replicas: w.Nacos.Replicas, StorageSize: w.Nacos.StorageSize, StorageClass: w.Nacos.StorageClass,
				Resources: resources(w.Nacos.Resources), Isolation: isolated, ImagePullSecrets: pullSecrets,
			}, provider); err != nil {
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
				Ports:                         ports(s.Ports),
				Probes:                        probes(s.Probes),
				Resources:                     resources(s.Resources),
				Replicas:                      s.Replicas,
				Env:                           s.Env,
				SecretEnv:                     secretEnv,
				IngressClass:                  w.Ingress.Class,
				PreStopSleepSeconds:           s.PreStopSleepSeconds,
				ShutdownSeconds:               s.ShutdownSeconds,
				TerminationGracePeriodSeconds: s.TerminationGracePeriodSeconds,
				WritableDirs:                  s.WritableDirs,
				Pdb:                           microservice.Pdb{MaxUnavailable: s.Pdb.MaxUnavailable, MinAvailable: s.Pdb.MinAvailable},
				ImagePullSecrets:              pullSecrets,
			}
			if ms.Kind.Java() {
				ms.NacosAddress = nacosAddr
			}
			if a := s.Autoscaling; a != nil {
				ms.Replicas = 0
				ms.Autoscaling = &microservice.Autoscaling{Min: a.Min, Max: a.Max, CPUUtilization: a.CPUUtilization}
			}
			for _, r := range s.Routes {
				ms.Routes = append(ms.Routes, microservice.Route{Host: r.Host, Path: r.Path})
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

// imageVersion is the tag of a full image reference.
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
