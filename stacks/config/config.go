// Package config is the typed configuration of an ack-platform stack: one
// struct per concern, defaults set in one place with the reason for each, and
// one validation pass that reports every problem at once, each under the
// config key to edit, before a single resource is registered.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

// Namespace is the config namespace of the project's own keys.
const Namespace = "ack-platform"

// Keys are the program's own top-level keys; any other key of the namespace
// is a secret that one of these refers to by name (TLS, secretEnv, ...).
var Keys = []string{"layer", "tier", "target", "platformStack", "clusterEndpoint", "name", "platform", "registry", "local", "kubeconfig", "catalog", "environments", "ingress", "nacos", "mirror"}

// Tier decides which safety rules apply.
type Tier string

const (
	// TierProd turns on the production invariants: 3 zones, Pro control
	// plane, deletion protection, Pulumi protect, ≥2 replicas, no spot.
	TierProd Tier = "prod"
	// TierNonProd is every other environment.
	TierNonProd Tier = "nonprod"
)

// Target is where a stack puts its resources.
type Target string

const (
	// TargetAlicloud builds the whole platform on Alibaba Cloud.
	TargetAlicloud Target = "alicloud"
	// TargetLocal creates no cloud resource: workloads go to the cluster of a
	// kubeconfig, or are rendered to YAML files.
	TargetLocal Target = "local"
)

// Layer is what a stack deploys: its share of the program's layers.
type Layer string

const (
	// LayerPlatform is a platform stack, one per cluster: the Alibaba Cloud
	// layer (VPC, cluster, node pools, add-ons, registry, load balancer) and
	// the outputs its workload stacks read. It needs cloud credentials only,
	// no network path into the VPC.
	LayerPlatform Layer = "platform"
	// LayerWorkloads is a workload stack, one per environment: cluster
	// access and the Kubernetes layer, on the cluster of the platform stack
	// named by ack-platform:platformStack (or a kubeconfig, local target).
	LayerWorkloads Layer = "workloads"
)

// Cluster endpoints a workload stack can reach its API server through.
const (
	EndpointPrivate = "private"
	EndpointPublic  = "public"
)

// Config is the whole configuration of one stack.
type Config struct {
	Project string
	Stack   string
	// ClusterEndpoint: key ack-platform:clusterEndpoint, which API server
	// endpoint a workload stack on the alicloud target talks to: "private"
	// (default: the platform stack's apiServerEndpoint, for a runner inside
	// the VPC) or "public" (the Internet endpoint of the credential ACK
	// returns, for a cluster whose public endpoint sits behind an
	// allow-list).
	ClusterEndpoint string
	// Name: key ack-platform:name, what a platform stack's resources are
	// named after: logical names <name>-network, <name>-cluster, ..., cloud
	// names <project>-<name>, and the default ACR instance name. Default:
	// the stack name. A platform stack moved out of a stack of the former
	// combined layout keeps that stack's name (dev, prod), so nothing is
	// renamed or recreated (docs/migration.md).
	Name string
	// Region comes from the alicloud provider's own key, alicloud:region.
	Region string
	// Layer: key ack-platform:layer, "workloads" (default) or "platform".
	Layer Layer
	// Tier: key ack-platform:tier, "prod" or "nonprod" (default).
	Tier Tier
	// Target: key ack-platform:target, "alicloud" (default) or "local".
	Target Target
	// PlatformStack: key ack-platform:platformStack, the fully qualified
	// name (organization/ack-platform/platform-nonprod on a self-managed
	// backend) of the platform stack whose cluster a workload stack deploys
	// to. Required for a workload stack on the alicloud target; optional on
	// the local target, where the cluster's kubeconfig then comes from that
	// stack's kubeconfig output instead of ack-platform:kubeconfig.
	PlatformStack string
	// Platform: key ack-platform:platform, required for the alicloud target.
	Platform *Platform
	// Registry: key ack-platform:registry.
	Registry Registry
	// Local: key ack-platform:local, for the local target.
	Local Local
	// Workloads: keys ack-platform:catalog (project level),
	// ack-platform:environments, ack-platform:ingress, ack-platform:nacos.
	Workloads Workloads
}

// Local configures the local target.
type Local struct {
	// RenderDir receives the rendered manifests when no kubeconfig is set.
	// Default rendered/<stack>.
	RenderDir string `json:"renderDir"`
	// AwaitReadiness makes `pulumi up` wait until Deployments, StatefulSets,
	// Services and Ingresses are ready, as on the cloud stacks. Default
	// false: the local API server of `make cluster-up` has no kubelet, so
	// nothing ever becomes ready there; set true for a cluster that runs
	// pods (kind, minikube, a spare ACK cluster).
	AwaitReadiness bool `json:"awaitReadiness"`
	// ClusterIdentifier names the cluster behind the kubeconfig for the
	// Kubernetes provider: a new kubeconfig for the same identifier (a
	// renewed credential) updates the provider in place instead of
	// replacing it and every object it manages. Default: the server URL
	// of the kubeconfig's current context.
	ClusterIdentifier string `json:"clusterIdentifier"`
	// Server is the API server URL of ack-platform:kubeconfig, read at
	// validation so a kubeconfig without one is refused under its key.
	Server string `json:"-"`
	// Kubeconfig is read from the secret key ack-platform:kubeconfig; when
	// set, workloads are applied to that cluster instead of rendered.
	Kubeconfig pulumi.StringOutput `json:"-"`
	// HasKubeconfig tells whether the secret key is set.
	HasKubeconfig bool `json:"-"`
}

// Registry is where the images come from.
type Registry struct {
	// Edition: "enterprise" (ACR EE instance owned by this stack),
	// "personal" (ACR Personal namespace), "stack" (the registry of another
	// stack of this project, so dev and prod run the very same images), or
	// "external" (an existing registry given by endpoint; local stacks).
	Edition string `json:"edition"`
	// Namespace groups the repositories. Default: the project name.
	Namespace string `json:"namespace"`
	// InstanceName of the ACR EE instance. Default <project>-<stack>.
	InstanceName string `json:"instanceName"`
	// InstanceType of ACR EE: Basic (default), Standard or Advanced.
	InstanceType string `json:"instanceType"`
	// Stack is the owning stack for edition "stack", e.g. organization/ack-platform/prod.
	Stack string `json:"stack"`
	// Endpoint is the registry host images are pulled from. Derived for
	// enterprise and personal (the VPC endpoint, so pulls stay off the
	// internet); given for external.
	Endpoint string `json:"endpoint"`
}

// Registry editions.
const (
	EditionEnterprise = "enterprise"
	EditionPersonal   = "personal"
	EditionStack      = "stack"
	EditionExternal   = "external"
)

// Reader gives access to raw config values; *pulumi.Context satisfies it
// through ctxReader.
type Reader interface {
	// Get returns the raw value of a key of the project's namespace, "" when unset.
	Get(key string) string
	// Secret reports whether the key was set with --secret.
	Secret(key string) bool
}

// Load reads, defaults and validates the configuration of the running stack.
// It registers nothing; on any problem it returns an *InvalidError listing all.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg, err := Parse(ctx.Project(), ctx.Stack(), config.Get(ctx, "alicloud:region"), ctxReader{ctx})
	if err != nil {
		return nil, err
	}
	if cfg.Target == TargetLocal {
		if v, err := config.TrySecret(ctx, Namespace+":kubeconfig"); err == nil {
			cfg.Local.Kubeconfig, cfg.Local.HasKubeconfig = v, true
		}
	}
	return cfg, nil
}

type ctxReader struct{ ctx *pulumi.Context }

func (r ctxReader) Get(key string) string { return config.Get(r.ctx, Namespace+":"+key) }
func (r ctxReader) Secret(key string) bool {
	return r.ctx.IsConfigSecret(Namespace + ":" + key)
}

// Parse builds the Config from raw values; it is Load without a Pulumi
// context, for tools (diagram, docs) that read the same stack files.
func Parse(project, stack, region string, r Reader) (*Config, error) {
	var ps Problems
	cfg := &Config{Project: project, Stack: stack, Region: region}

	cfg.Layer = Layer(orDefault(r.Get("layer"), string(LayerWorkloads)))
	cfg.Tier = Tier(orDefault(r.Get("tier"), string(TierNonProd)))
	if cfg.Tier != TierProd && cfg.Tier != TierNonProd {
		ps.Addf(key("tier"), "%q is not one of prod, nonprod", cfg.Tier)
	}
	cfg.Target = Target(orDefault(r.Get("target"), string(TargetAlicloud)))
	cfg.PlatformStack = r.Get("platformStack")
	cfg.Name = orDefault(r.Get("name"), stack)
	if r.Get("name") != "" && cfg.Layer != LayerPlatform {
		ps.Addf(key("name"), "only a platform stack names its resources after it; remove this key")
	}

	decode(&ps, r, "registry", &cfg.Registry)
	decode(&ps, r, "local", &cfg.Local)
	cfg.Workloads.decode(&ps, r)

	switch cfg.Target {
	case TargetAlicloud:
		if region == "" {
			ps.Addf("alicloud:region", "set the region, e.g. `pulumi config set alicloud:region cn-hangzhou`")
		}
		if r.Get("local") != "" {
			ps.Addf(key("local"), "only read on the local target; remove this key")
		}
	case TargetLocal:
		if r.Get("platform") != "" {
			ps.Addf(key("platform"), "the local target creates no cloud resource; remove this key")
		}
		if raw := r.Get("kubeconfig"); raw != "" {
			server, err := KubeconfigServer(raw)
			if err != nil {
				ps.Addf(key("kubeconfig"), "%v", err)
			}
			cfg.Local.Server = server
		}
	default:
		ps.Addf(key("target"), "%q is not one of alicloud, local", cfg.Target)
	}
	switch cfg.Layer {
	case LayerPlatform:
		cfg.parsePlatformLayer(&ps, r)
	case LayerWorkloads:
		cfg.parseWorkloadLayer(&ps, r)
	default:
		ps.Addf(key("layer"), "%q is not one of platform, workloads", cfg.Layer)
	}
	if len(ps) > 0 {
		// A value that did not decode would only cascade into misleading
		// follow-up problems.
		return nil, ps.Err()
	}

	cfg.setDefaults()
	cfg.validate(&ps, r)
	if err := ps.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parsePlatformLayer checks the keys of a platform stack: the cloud layer
// on the alicloud target, a stand-in that only exports a kubeconfig's
// cluster on the local target; never an environment.
func (c *Config) parsePlatformLayer(ps *Problems, r Reader) {
	if c.PlatformStack != "" {
		ps.Addf(key("platformStack"), "a platform stack is the one workload stacks refer to; it names no platform stack itself: remove this key (ack-platform:layer is platform)")
	}
	for _, k := range []string{"environments", "ingress", "nacos", "clusterEndpoint"} {
		if r.Get(k) != "" {
			ps.Addf(key(k), "a platform stack deploys no workloads: move this key to the workload stacks' files (ack-platform:layer is platform)")
		}
	}
	if c.Target == TargetAlicloud {
		c.Platform = &Platform{}
		if r.Get("platform") == "" {
			ps.Addf(key("platform"), "required for a platform stack on the alicloud target")
		} else {
			decode(ps, r, "platform", c.Platform)
		}
	}
	if c.Target == TargetLocal && r.Get("kubeconfig") == "" {
		ps.Addf(key("kubeconfig"), "a local platform stack stands in for a cluster: set the cluster's kubeconfig with `pulumi config set --secret ack-platform:kubeconfig < kubeconfig`")
	}
}

// parseWorkloadLayer checks the keys of a workload stack: the cluster comes
// from the platform stack (alicloud target) or a kubeconfig (local target).
func (c *Config) parseWorkloadLayer(ps *Problems, r Reader) {
	pk := key("platformStack")
	if reg := c.Registry; c.PlatformStack != "" &&
		(reg.Edition != "" || reg.InstanceName != "" || reg.InstanceType != "" || reg.Stack != "" || reg.Endpoint != "") {
		ps.Addf(key("registry"), "the registry belongs to the platform stack (its registryVpcEndpoint output); a workload stack only sets registry.namespace")
	}
	if c.PlatformStack != "" && strings.Count(c.PlatformStack, "/") != 2 {
		ps.Addf(pk, "%q is not a fully qualified stack name such as organization/ack-platform/platform-nonprod", c.PlatformStack)
	}
	switch c.Target {
	case TargetAlicloud:
		c.ClusterEndpoint = orDefault(r.Get("clusterEndpoint"), EndpointPrivate)
		if c.ClusterEndpoint != EndpointPrivate && c.ClusterEndpoint != EndpointPublic {
			ps.Addf(key("clusterEndpoint"), "%q is not one of private, public", c.ClusterEndpoint)
		}
		if c.PlatformStack == "" {
			ps.Addf(pk, "a workload stack on the alicloud target finds its cluster through its platform stack: set it, e.g. organization/ack-platform/platform-nonprod")
		}
		if r.Get("platform") != "" {
			ps.Addf(key("platform"), "the cluster belongs to the platform stack named by ack-platform:platformStack: move this key to that stack's file (ack-platform:layer is workloads)")
		}
	case TargetLocal:
		if r.Get("clusterEndpoint") != "" {
			ps.Addf(key("clusterEndpoint"), "only read by a workload stack on the alicloud target; remove this key")
		}
		if c.PlatformStack != "" && r.Get("kubeconfig") != "" {
			ps.Addf(key("kubeconfig"), "the kubeconfig comes from the platform stack named by ack-platform:platformStack; remove one of the two")
		}
	}
}

func (c *Config) setDefaults() {
	if c.Platform != nil {
		c.Platform.setDefaults(c.Tier)
	}
	r := &c.Registry
	switch {
	case c.Layer == LayerWorkloads && c.PlatformStack != "":
		// A workload stack pulls from the registry its platform stack
		// owns or references, and learns the endpoint from its outputs.
		r.Edition, r.Stack = EditionStack, c.PlatformStack
	case r.Edition == "" && c.Target == TargetLocal:
		r.Edition = EditionExternal
	case r.Edition == "":
		r.Edition = EditionPersonal
	}
	if r.Namespace == "" {
		r.Namespace = c.Project
	}
	if r.Edition == EditionEnterprise {
		if r.InstanceName == "" {
			r.InstanceName = c.Project + "-" + c.Name
		}
		if r.InstanceType == "" {
			r.InstanceType = "Basic"
		}
	}
	switch r.Edition {
	case EditionEnterprise:
		r.Endpoint = fmt.Sprintf("%s-registry-vpc.%s.cr.aliyuncs.com", r.InstanceName, c.Region)
	case EditionPersonal:
		r.Endpoint = fmt.Sprintf("registry-vpc.%s.aliyuncs.com", c.Region)
	}
	if c.Local.RenderDir == "" {
		c.Local.RenderDir = "rendered/" + c.Stack
	}
	c.Workloads.setDefaults(c)
}

func (c *Config) validate(ps *Problems, r Reader) {
	checkLabel(ps, "stack", c.Stack)
	checkLabel(ps, key("name"), c.Name)
	if c.Platform != nil {
		c.Platform.validate(ps, c, key("platform"))
	}
	reg := c.Registry
	k := key("registry")
	switch reg.Edition {
	case EditionEnterprise:
		checkLabel(ps, k+".instanceName", reg.InstanceName)
		if !slices.Contains([]string{"Basic", "Standard", "Advanced"}, reg.InstanceType) {
			ps.Addf(k+".instanceType", "%q is not one of Basic, Standard, Advanced", reg.InstanceType)
		}
	case EditionPersonal:
	case EditionStack:
		if strings.Count(reg.Stack, "/") != 2 {
			ps.Addf(k+".stack", "%q is not a fully qualified stack name such as organization/ack-platform/prod", reg.Stack)
		}
		if reg.Endpoint != "" {
			ps.Addf(k+".endpoint", "the endpoint comes from the owning stack; remove it")
		}
	case EditionExternal:
		if reg.Endpoint == "" || strings.ContainsAny(reg.Endpoint, "/ ") {
			ps.Addf(k+".endpoint", "%q: give the registry host, e.g. registry.cn-hangzhou.aliyuncs.com", reg.Endpoint)
		}
	default:
		ps.Addf(k+".edition", "%q is not one of enterprise, personal, stack, external", reg.Edition)
	}
	if c.Target == TargetAlicloud && reg.Edition == EditionExternal {
		ps.Addf(k+".edition", "cloud stacks pull from the project's ACR (enterprise, personal or stack)")
	}
	checkLabel(ps, k+".namespace", reg.Namespace)
	if c.Layer == LayerWorkloads {
		c.Workloads.validate(ps, c, r)
	}
}

// decode strictly decodes the object at key into dst. An unknown field is a
// typo that would otherwise be silently ignored: every unknown field and
// every value of the wrong type is reported under its full key, all at once.
func decode(ps *Problems, r Reader, k string, dst any) {
	raw := r.Get(k)
	if raw == "" {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		ps.Addf(key(k), "malformed value: %v", err)
		return
	}
	before := len(*ps)
	checkShape(ps, key(k), v, reflect.TypeOf(dst).Elem())
	if len(*ps) > before {
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		ps.Addf(key(k), "malformed value: %v", err)
	}
}

func key(k string) string { return Namespace + ":" + k }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func isJSONObject(s string) bool {
	var m map[string]any
	return json.Unmarshal([]byte(s), &m) == nil
}

func parseRFC3339(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }
