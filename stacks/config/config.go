// Package config is the typed configuration of an ack-platform stack: one
// struct per concern, defaults set in one place with the reason for each, and
// one validation pass that reports every problem at once, each under the
// config key to edit, before a single resource is registered.
package config

import (
	"bytes"
	"encoding/json"
	"fmt"
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
var Keys = []string{"tier", "target", "platform", "registry", "local", "kubeconfig", "catalog", "environments", "ingress", "nacos"}

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

// Config is the whole configuration of one stack.
type Config struct {
	Project string
	Stack   string
	// Region comes from the alicloud provider's own key, alicloud:region.
	Region string
	// Tier: key ack-platform:tier, "prod" or "nonprod" (default).
	Tier Tier
	// Target: key ack-platform:target, "alicloud" (default) or "local".
	Target Target
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

	cfg.Tier = Tier(orDefault(r.Get("tier"), string(TierNonProd)))
	if cfg.Tier != TierProd && cfg.Tier != TierNonProd {
		ps.Addf(key("tier"), "%q is not one of prod, nonprod", cfg.Tier)
	}
	cfg.Target = Target(orDefault(r.Get("target"), string(TargetAlicloud)))

	decode(&ps, r, "registry", &cfg.Registry)
	decode(&ps, r, "local", &cfg.Local)
	cfg.Workloads.decode(&ps, r)

	switch cfg.Target {
	case TargetAlicloud:
		if region == "" {
			ps.Addf("alicloud:region", "set the region, e.g. `pulumi config set alicloud:region cn-hangzhou`")
		}
		cfg.Platform = &Platform{}
		if r.Get("platform") == "" {
			ps.Addf(key("platform"), "required for the alicloud target")
		} else {
			decode(&ps, r, "platform", cfg.Platform)
		}
	case TargetLocal:
		if r.Get("platform") != "" {
			ps.Addf(key("platform"), "the local target creates no cloud resource; remove this key")
		}
	default:
		ps.Addf(key("target"), "%q is not one of alicloud, local", cfg.Target)
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

func (c *Config) setDefaults() {
	if c.Platform != nil {
		c.Platform.setDefaults(c.Tier)
	}
	r := &c.Registry
	if r.Edition == "" {
		r.Edition = EditionPersonal
		if c.Target == TargetLocal {
			r.Edition = EditionExternal
		}
	}
	if r.Namespace == "" {
		r.Namespace = c.Project
	}
	if r.Edition == EditionEnterprise {
		if r.InstanceName == "" {
			r.InstanceName = c.Project + "-" + c.Stack
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
	c.Workloads.validate(ps, c, r)
}

// decode strictly decodes the object at key into dst: an unknown field is a
// typo that would otherwise be silently ignored.
func decode(ps *Problems, r Reader, k string, dst any) {
	raw := r.Get(k)
	if raw == "" {
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
