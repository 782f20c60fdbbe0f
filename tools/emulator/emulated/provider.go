package emulated

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
)

// CredentialToken is the invoke that returns a cluster's kubeconfig.
const CredentialToken = "alicloud:cs/getClusterCredential:getClusterCredential"

const clusterToken = "alicloud:cs/managedKubernetes:ManagedKubernetes"

// Provider is the emulated alicloud provider.
type Provider struct {
	plugin.UnimplementedProvider

	schema     *Schema
	rawSchema  []byte
	flags      Flags
	cloud      *Cloud
	kubeconfig string
	// now gives creation times; tests fix it.
	now func() time.Time

	mu     sync.Mutex
	region string
}

// Options configure a Provider.
type Options struct {
	Schema, Flags []byte
	// StateDir holds the emulated account (Cloud).
	StateDir string
	// Kubeconfig is the local cluster's admin kubeconfig, for the
	// credential invoke; empty when the harness has no cluster.
	Kubeconfig string
}

// New returns a provider over the account in opts.StateDir.
func New(opts Options) (*Provider, error) {
	s, err := ParseSchema(opts.Schema)
	if err != nil {
		return nil, err
	}
	f, err := ParseFlags(opts.Flags)
	if err != nil {
		return nil, err
	}
	c, err := OpenCloud(opts.StateDir)
	if err != nil {
		return nil, err
	}
	return &Provider{schema: s, rawSchema: opts.Schema, flags: f, cloud: c, kubeconfig: opts.Kubeconfig,
		now: time.Now, region: "cn-hangzhou"}, nil
}

func (p *Provider) Handshake(context.Context, plugin.ProviderHandshakeRequest) (*plugin.ProviderHandshakeResponse, error) {
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.Parse(p.schema.Version)
	if err != nil {
		return plugin.PluginInfo{}, err
	}
	return plugin.PluginInfo{Version: &v}, nil
}

func (p *Provider) GetSchema(context.Context, plugin.GetSchemaRequest) (plugin.GetSchemaResponse, error) {
	return plugin.GetSchemaResponse{Schema: p.rawSchema}, nil
}

func (p *Provider) SignalCancellation(context.Context) error { return nil }

func (p *Provider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *Provider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *Provider) Configure(_ context.Context, req plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	if r := str(req.Inputs, "region"); r != "" {
		p.mu.Lock()
		p.region = r
		p.mu.Unlock()
	}
	return plugin.ConfigureResponse{}, nil
}

func (p *Provider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	r, err := p.schema.Lookup(p.flags, string(req.Type))
	if err != nil {
		return plugin.CheckResponse{}, err
	}
	return plugin.CheckResponse{Properties: req.News, Failures: r.Check(req.News)}, nil
}

func (p *Provider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	r, err := p.schema.Lookup(p.flags, string(req.Type))
	if err != nil {
		return plugin.DiffResponse{}, err
	}
	return r.Diff(req.OldInputs, req.OldOutputs, req.NewInputs, req.IgnoreChanges), nil
}

// previewOutputs are the inputs with every other property unknown, as a
// provider answers a preview before the cloud has assigned anything.
func previewOutputs(r *Resource, inputs, prev resource.PropertyMap) resource.PropertyMap {
	out := inputs.Copy()
	for name := range r.Spec.Properties {
		k := resource.PropertyKey(name)
		if isSet(out[k]) {
			continue
		}
		if prev != nil && isSet(prev[k]) {
			out[k] = prev[k]
			continue
		}
		out[k] = resource.MakeComputed(resource.NewStringProperty(""))
	}
	return out
}

func (p *Provider) Create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	r, err := p.schema.Lookup(p.flags, string(req.Type))
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	if req.Preview {
		return plugin.CreateResponse{Properties: previewOutputs(r, req.Properties, nil)}, nil
	}
	var resp plugin.CreateResponse
	err = p.cloud.locked(func() error {
		if err := refuse(p.cloud, r.Token, "create", req.Properties); err != nil {
			return err
		}
		id, err := p.cloud.NewID(string(req.URN), idPrefix(r.Token))
		if err != nil {
			return err
		}
		created := p.now().UTC().Format(time.RFC3339)
		out, err := p.outputs(r, id, created, req.Properties, nil)
		if err != nil {
			return err
		}
		if err := p.cloud.Put(&Record{Type: r.Token, URN: string(req.URN), ID: id, Created: created, Outputs: out}); err != nil {
			return err
		}
		resp = plugin.CreateResponse{ID: resource.ID(id), Properties: out, Status: resource.StatusOK}
		return nil
	})
	return resp, err
}

func (p *Provider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	rec, err := p.cloud.Get(string(req.ID))
	if err != nil {
		return plugin.ReadResponse{}, err
	}
	if rec == nil {
		return plugin.ReadResponse{Status: resource.StatusOK}, nil // gone
	}
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: rec.Outputs},
		Status: resource.StatusOK}, nil
}

func (p *Provider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	r, err := p.schema.Lookup(p.flags, string(req.Type))
	if err != nil {
		return plugin.UpdateResponse{}, err
	}
	prev := keptOnUpdate(r, req.OldOutputs)
	if req.Preview {
		return plugin.UpdateResponse{Properties: previewOutputs(r, req.NewInputs, prev)}, nil
	}
	var resp plugin.UpdateResponse
	err = p.cloud.locked(func() error {
		rec, err := p.cloud.Get(string(req.ID))
		if err != nil {
			return err
		}
		if rec == nil {
			return fmt.Errorf("%s %s does not exist in the emulated account", r.Token, req.ID)
		}
		if err := refuse(p.cloud, r.Token, "update", req.NewInputs); err != nil {
			return err
		}
		out, err := p.outputs(r, rec.ID, rec.Created, req.NewInputs, prev)
		if err != nil {
			return err
		}
		rec.Outputs = out
		if err := p.cloud.Put(rec); err != nil {
			return err
		}
		resp = plugin.UpdateResponse{Properties: out, Status: resource.StatusOK}
		return nil
	})
	return resp, err
}

// keptOnUpdate: the old outputs an update keeps when the program leaves
// them unset: what the cloud computed, never a removed plain input.
func keptOnUpdate(r *Resource, old resource.PropertyMap) resource.PropertyMap {
	kept := resource.PropertyMap{}
	for k, v := range old {
		_, input := r.Spec.InputProperties[string(k)]
		if !input || r.Flags[string(k)].Computed {
			kept[k] = v
		}
	}
	return kept
}

func (p *Provider) Delete(_ context.Context, req plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	err := p.cloud.locked(func() error {
		rec, err := p.cloud.Get(string(req.ID))
		if err != nil || rec == nil {
			return err
		}
		if err := refuse(p.cloud, rec.Type, "delete", rec.Outputs); err != nil {
			return err
		}
		return p.cloud.Remove(rec.ID)
	})
	return plugin.DeleteResponse{Status: resource.StatusOK}, err
}

func (p *Provider) Invoke(ctx context.Context, req plugin.InvokeRequest) (plugin.InvokeResponse, error) {
	if string(req.Tok) != CredentialToken {
		return plugin.InvokeResponse{}, fmt.Errorf("the emulated provider does not answer %s", req.Tok)
	}
	id := str(req.Args, "clusterId")
	if id == "" {
		return plugin.InvokeResponse{Failures: []plugin.CheckFailure{{Property: "clusterId", Reason: "Missing required argument clusterId"}}}, nil
	}
	rec, err := p.cloud.Get(id)
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	if rec == nil || rec.Type != clusterToken {
		return plugin.InvokeResponse{}, fmt.Errorf("ErrorClusterNotFound: cluster %s does not exist in the emulated account", id)
	}
	if p.kubeconfig == "" {
		return plugin.InvokeResponse{}, fmt.Errorf("cluster %s: the emulator has no local cluster to hand out (the harness sets %s)", id, EnvKubeconfig)
	}
	ttl := 60 * time.Minute
	if v := unwrap(req.Args["temporaryDurationMinutes"]); v.IsNumber() {
		ttl = time.Duration(v.NumberValue()) * time.Minute
	}
	lc, err := openLocalCluster(p.kubeconfig)
	if err != nil {
		return plugin.InvokeResponse{}, err
	}
	cfg, exp, err := lc.issue(ctx, id, ttl)
	if err != nil {
		return plugin.InvokeResponse{}, fmt.Errorf("credential of cluster %s: %w", id, err)
	}
	name := str(rec.Outputs, "name")
	out := resource.PropertyMap{
		"id":          resource.NewStringProperty(id),
		"clusterId":   resource.NewStringProperty(id),
		"clusterName": resource.NewStringProperty(name),
		"expiration":  resource.NewStringProperty(exp.UTC().Format(time.RFC3339)),
		"kubeConfig":  resource.MakeSecret(resource.NewStringProperty(cfg)),
		"certificateAuthority": resource.NewObjectProperty(resource.PropertyMap{
			"clusterCert": resource.NewStringProperty(lc.caData),
			"clientCert":  resource.NewStringProperty(""),
			"clientKey":   resource.NewStringProperty(""),
		}),
	}
	if v, ok := req.Args["temporaryDurationMinutes"]; ok {
		out["temporaryDurationMinutes"] = v
	}
	return plugin.InvokeResponse{Properties: out}, nil
}

// Environment the harness sets; the plugin refuses to start without Env=1.
const (
	Env           = "ACK_ALICLOUD_EMULATOR"
	EnvRoot       = "ACK_ALICLOUD_EMULATOR_ROOT"
	EnvState      = "ACK_ALICLOUD_EMULATOR_STATE"
	EnvKubeconfig = "ACK_ALICLOUD_EMULATOR_KUBECONFIG"
)
