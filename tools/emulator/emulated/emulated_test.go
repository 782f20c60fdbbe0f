package emulated_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/emulator/emulated"
)

const (
	vpcT    = "alicloud:vpc/network:Network"
	vswT    = "alicloud:vpc/switch:Switch"
	natT    = "alicloud:vpc/natGateway:NatGateway"
	snatT   = "alicloud:vpc/snatEntry:SnatEntry"
	clbT    = "alicloud:slb/applicationLoadBalancer:ApplicationLoadBalancer"
	poolT   = "alicloud:cs/nodePool:NodePool"
	clusT   = "alicloud:cs/managedKubernetes:ManagedKubernetes"
	project = "urn:pulumi:test::ack-platform::"
)

func root(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "sdks", "alicloud", "schema.json")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "repository root not found")
		dir = parent
	}
}

// newProvider is an emulated provider over a fresh account in state (a new
// temporary directory when empty).
func newProvider(t *testing.T, state string) *emulated.Provider {
	t.Helper()
	r := root(t)
	schema, err := os.ReadFile(filepath.Join(r, "sdks", "alicloud", "schema.json"))
	require.NoError(t, err)
	flags, err := os.ReadFile(filepath.Join(r, "tools", "emulator", "alicloud-tf-flags.json"))
	require.NoError(t, err)
	if state == "" {
		state = t.TempDir()
	}
	p, err := emulated.New(emulated.Options{Schema: schema, Flags: flags, StateDir: state})
	require.NoError(t, err)
	return p
}

func props(m map[string]any) resource.PropertyMap { return resource.NewPropertyMapFromMap(m) }

func urn(typ, name string) resource.URN {
	return resource.URN(project + typ + "::" + name)
}

func check(t *testing.T, p *emulated.Provider, typ string, news map[string]any) []string {
	t.Helper()
	resp, err := p.Check(context.Background(), plugin.CheckRequest{URN: urn(typ, "x"), Type: tokens.Type(typ), News: props(news)})
	require.NoError(t, err)
	var reasons []string
	for _, f := range resp.Failures {
		reasons = append(reasons, string(f.Property)+": "+f.Reason)
	}
	return reasons
}

func create(t *testing.T, p *emulated.Provider, typ, name string, in map[string]any) (string, resource.PropertyMap, error) {
	t.Helper()
	resp, err := p.Create(context.Background(), plugin.CreateRequest{URN: urn(typ, name), Type: tokens.Type(typ), Properties: props(in)})
	return string(resp.ID), resp.Properties, err
}

func mustCreate(t *testing.T, p *emulated.Provider, typ, name string, in map[string]any) (string, resource.PropertyMap) {
	t.Helper()
	id, out, err := create(t, p, typ, name, in)
	require.NoError(t, err)
	return id, out
}

func TestCheckRequiredTypesConflictsExactlyOne(t *testing.T) {
	p := newProvider(t, "")
	assert.Empty(t, check(t, p, vswT, map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "zoneId": "cn-hangzhou-h"}))

	fails := strings.Join(check(t, p, natT, map[string]any{"natType": "Enhanced"}), "\n")
	assert.Contains(t, fails, "vpcId: Missing required argument vpcId", "Required from the Terraform flags")

	fails = strings.Join(check(t, p, vpcT, map[string]any{"cidrBlock": 10}), "\n")
	assert.Contains(t, fails, "cidrBlock: expected string, got number")

	fails = strings.Join(check(t, p, vpcT, map[string]any{"vpcName": "a", "name": "b"}), "\n")
	assert.Regexp(t, `vpcName conflicts with name|name conflicts with vpcName`, fails)

	both := strings.Join(check(t, p, vswT, map[string]any{"vpcId": "vpc-1", "zoneId": "z", "availabilityZone": "z"}), "\n")
	assert.Contains(t, both, "exactly one of availabilityZone, zoneId must be set (2 are)")
	none := strings.Join(check(t, p, vswT, map[string]any{"vpcId": "vpc-1"}), "\n")
	assert.Contains(t, none, "exactly one of availabilityZone, zoneId must be set (0 are)")

	// Nested: a taint without its required key.
	fails = strings.Join(check(t, p, poolT, map[string]any{"clusterId": "c1", "nodePoolName": "np",
		"taints": []any{map[string]any{"value": "v"}}}), "\n")
	assert.Contains(t, fails, "Missing required argument taints[0].key")

	// An unknown value (preview) counts as set and is not type-checked.
	unknown := resource.PropertyMap{"natType": resource.NewStringProperty("Enhanced"),
		"vpcId": resource.MakeComputed(resource.NewStringProperty(""))}
	resp, err := p.Check(context.Background(), plugin.CheckRequest{URN: urn(natT, "x"), Type: natT, News: unknown})
	require.NoError(t, err)
	assert.Empty(t, resp.Failures)
}

func diff(t *testing.T, p *emulated.Provider, typ string, oldIn, oldOut, newIn map[string]any) plugin.DiffResult {
	t.Helper()
	resp, err := p.Diff(context.Background(), plugin.DiffRequest{URN: urn(typ, "x"), Type: tokens.Type(typ), ID: "id",
		OldInputs: props(oldIn), OldOutputs: props(oldOut), NewInputs: props(newIn)})
	require.NoError(t, err)
	return resp
}

func TestDiffReplaceForceNewUpdateOtherwise(t *testing.T) {
	p := newProvider(t, "")
	old := map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "zoneId": "z1", "vswitchName": "a"}
	out := map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "zoneId": "z1", "vswitchName": "a", "status": "Available"}

	same := diff(t, p, vswT, old, out, old)
	assert.Equal(t, plugin.DiffNone, same.Changes)

	moved := map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "zoneId": "z1", "vswitchName": "a"}
	d := diff(t, p, vswT, old, out, moved)
	assert.Equal(t, plugin.DiffSome, d.Changes)
	assert.Equal(t, []resource.PropertyKey{"cidrBlock"}, d.ReplaceKeys, "cidrBlock is ForceNew")
	assert.Equal(t, plugin.DiffUpdateReplace, d.DetailedDiff["cidrBlock"].Kind)

	renamed := map[string]any{"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24", "zoneId": "z1", "vswitchName": "b"}
	d = diff(t, p, vswT, old, out, renamed)
	assert.Equal(t, plugin.DiffSome, d.Changes)
	assert.Empty(t, d.ReplaceKeys, "vswitchName updates in place")
	assert.Equal(t, plugin.DiffUpdate, d.DetailedDiff["vswitchName"].Kind)
}

func TestDiffOptionalComputedLeftUnsetIsNoChange(t *testing.T) {
	p := newProvider(t, "")
	// resourceGroupId is Optional+Computed: the cloud filled it in.
	old := map[string]any{"cidrBlock": "10.0.0.0/8", "resourceGroupId": "rg-1"}
	out := map[string]any{"cidrBlock": "10.0.0.0/8", "resourceGroupId": "rg-1", "routerId": "vrt-1"}
	d := diff(t, p, vpcT, old, out, map[string]any{"cidrBlock": "10.0.0.0/8"})
	assert.Equal(t, plugin.DiffNone, d.Changes, "unset Optional+Computed keeps the cloud's value: %v", d.DetailedDiff)

	// The same input, set to what the cloud reports, is no change either.
	d = diff(t, p, vpcT, map[string]any{"cidrBlock": "10.0.0.0/8"}, out,
		map[string]any{"cidrBlock": "10.0.0.0/8", "resourceGroupId": "rg-1"})
	assert.Equal(t, plugin.DiffNone, d.Changes)

	// A plain Optional input removed is a change.
	d = diff(t, p, vpcT, map[string]any{"cidrBlock": "10.0.0.0/8", "description": "x"}, out,
		map[string]any{"cidrBlock": "10.0.0.0/8"})
	assert.Equal(t, plugin.DiffSome, d.Changes)
	assert.Equal(t, plugin.DiffDelete, d.DetailedDiff["description"].Kind)
}

func TestDiffNestedForceNewReplaces(t *testing.T) {
	p := newProvider(t, "")
	base := map[string]any{"clusterId": "c1", "nodePoolName": "np",
		"autoMode": map[string]any{"enabled": false}, "labels": []any{map[string]any{"key": "a", "value": "1"}}}
	on := map[string]any{"clusterId": "c1", "nodePoolName": "np",
		"autoMode": map[string]any{"enabled": true}, "labels": []any{map[string]any{"key": "a", "value": "1"}}}
	d := diff(t, p, poolT, base, base, on)
	assert.Equal(t, []resource.PropertyKey{"autoMode"}, d.ReplaceKeys, "autoMode.enabled is ForceNew")
	assert.Equal(t, plugin.DiffUpdateReplace, d.DetailedDiff["autoMode.enabled"].Kind)

	relabel := map[string]any{"clusterId": "c1", "nodePoolName": "np",
		"autoMode": map[string]any{"enabled": false}, "labels": []any{map[string]any{"key": "a", "value": "2"}}}
	d = diff(t, p, poolT, base, base, relabel)
	assert.Empty(t, d.ReplaceKeys, "labels update in place")
	assert.Equal(t, plugin.DiffUpdate, d.DetailedDiff["labels[0].value"].Kind)
}

func TestCreateComputesConsistentOutputsWithStableIDs(t *testing.T) {
	stateA, stateB := t.TempDir(), t.TempDir()
	p := newProvider(t, stateA)
	vpcID, vpc := mustCreate(t, p, vpcT, "vpc", map[string]any{"cidrBlock": "192.168.0.0/16", "vpcName": "v"})
	assert.Regexp(t, `^vpc-[0-9a-f]{20}$`, vpcID)
	assert.Regexp(t, `^vtb-`, vpc["routeTableId"].StringValue())
	assert.Equal(t, "v", vpc["name"].StringValue(), "deprecated name reports vpcName")

	vswID, vsw := mustCreate(t, p, vswT, "vsw", map[string]any{"vpcId": vpcID, "cidrBlock": "192.168.1.0/24", "zoneId": "cn-hangzhou-h"})
	assert.Equal(t, "cn-hangzhou-h", vsw["availabilityZone"].StringValue(), "a vSwitch's zone is its zoneId")
	assert.Equal(t, "Available", vsw["status"].StringValue())

	clusID, clus := mustCreate(t, p, clusT, "ack", map[string]any{"name": "k", "workerVswitchIds": []any{vswID}, "enableRrsa": true})
	assert.Equal(t, vpcID, clus["vpcId"].StringValue(), "the cluster's VPC is its vSwitch's")
	rrsa := clus["rrsaMetadata"].ObjectValue()
	assert.Contains(t, rrsa["rrsaOidcIssuerUrl"].StringValue(), clusID)

	read, err := p.Read(context.Background(), plugin.ReadRequest{URN: urn(vswT, "vsw"), Type: vswT, ID: resource.ID(vswID)})
	require.NoError(t, err)
	assert.True(t, read.Outputs.DeepEquals(vsw), "Read returns what Create reported")

	// Another account, same URNs: the same ids (a rehearsal is reproducible).
	q := newProvider(t, stateB)
	again, _ := mustCreate(t, q, vpcT, "vpc", map[string]any{"cidrBlock": "192.168.0.0/16", "vpcName": "v"})
	assert.Equal(t, vpcID, again)
	// A replacement of the same URN, while the old one exists, gets a new id.
	repl, _ := mustCreate(t, p, vpcT, "vpc", map[string]any{"cidrBlock": "192.168.0.0/16", "vpcName": "v"})
	assert.NotEqual(t, vpcID, repl)

	// Delete removes it: Read then reports it gone.
	_, err = p.Delete(context.Background(), plugin.DeleteRequest{URN: urn(vswT, "vsw"), Type: vswT, ID: resource.ID(vswID)})
	require.NoError(t, err)
	read, err = p.Read(context.Background(), plugin.ReadRequest{URN: urn(vswT, "vsw"), Type: vswT, ID: resource.ID(vswID)})
	require.NoError(t, err)
	assert.Empty(t, read.ID)
}

func TestUpdateKeepsComputedOutputs(t *testing.T) {
	p := newProvider(t, "")
	id, out := mustCreate(t, p, vpcT, "vpc", map[string]any{"cidrBlock": "10.0.0.0/8", "vpcName": "a", "description": "d"})
	resp, err := p.Update(context.Background(), plugin.UpdateRequest{URN: urn(vpcT, "vpc"), Type: vpcT, ID: resource.ID(id),
		OldInputs: props(map[string]any{"cidrBlock": "10.0.0.0/8", "vpcName": "a", "description": "d"}), OldOutputs: out,
		NewInputs: props(map[string]any{"cidrBlock": "10.0.0.0/8", "vpcName": "b"})})
	require.NoError(t, err)
	assert.Equal(t, out["routerId"], resp.Properties["routerId"], "computed ids stay")
	assert.Equal(t, "b", resp.Properties["vpcName"].StringValue())
	assert.False(t, resp.Properties.HasValue("description"), "a removed input is gone")
}

func TestDocumentedRefusals(t *testing.T) {
	p := newProvider(t, "")
	_, _, err := create(t, p, clbT, "clb", map[string]any{"instanceChargeType": "PayBySpec", "loadBalancerSpec": "slb.s2.small"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rule clb-billing-payg-only")
	assert.Contains(t, err.Error(), "https://www.alibabacloud.com/help/doc-detail/127268.html")
	clbID, clb := mustCreate(t, p, clbT, "clb2", map[string]any{"instanceChargeType": "PayByCLCU", "deleteProtection": "on"})
	_, err = p.Update(context.Background(), plugin.UpdateRequest{URN: urn(clbT, "clb2"), Type: clbT, ID: resource.ID(clbID),
		OldOutputs: clb, NewInputs: props(map[string]any{"instanceChargeType": "PayBySpec"})})
	assert.ErrorContains(t, err, "rule clb-billing-payg-only", "nor can an instance switch to it")
	_, err = p.Delete(context.Background(), plugin.DeleteRequest{Type: clbT, ID: resource.ID(clbID)})
	assert.ErrorContains(t, err, "rule clb-deletion-protection")

	vpcID, _ := mustCreate(t, p, vpcT, "vpc", map[string]any{"cidrBlock": "10.0.0.0/16"})
	_, _, err = create(t, p, vswT, "outside", map[string]any{"vpcId": vpcID, "cidrBlock": "10.1.0.0/24", "zoneId": "z"})
	assert.ErrorContains(t, err, "rule vswitch-cidr-in-vpc")
	_, _, err = create(t, p, vswT, "wide", map[string]any{"vpcId": vpcID, "cidrBlock": "10.0.0.0/30", "zoneId": "z"})
	assert.ErrorContains(t, err, "rule vswitch-mask-16-29")
	vswID, _ := mustCreate(t, p, vswT, "vsw", map[string]any{"vpcId": vpcID, "cidrBlock": "10.0.1.0/24", "zoneId": "z"})
	_, _, err = create(t, p, vswT, "overlap", map[string]any{"vpcId": vpcID, "cidrBlock": "10.0.1.128/25", "zoneId": "z"})
	assert.ErrorContains(t, err, "overlaps vSwitch "+vswID)

	_, _, err = create(t, p, clbT, "clb3", map[string]any{"instanceChargeType": "PayByCLCU", "internetChargeType": "PayByBandwidth"})
	assert.ErrorContains(t, err, "rule clb-internet-pay-by-traffic")
	_, _, err = create(t, p, "alicloud:ecs/eipAddress:EipAddress", "eip", map[string]any{"internetChargeType": "PayByTraffic", "bandwidth": "500"})
	assert.ErrorContains(t, err, "rule eip-traffic-bandwidth-200")
	mustCreate(t, p, "alicloud:ecs/eipAddress:EipAddress", "eip2", map[string]any{"internetChargeType": "PayByTraffic", "bandwidth": "200"})

	mustCreate(t, p, snatT, "snat1", map[string]any{"snatTableId": "stb-1", "snatIp": "47.0.0.1", "sourceVswitchId": vswID})
	_, _, err = create(t, p, snatT, "snat2", map[string]any{"snatTableId": "stb-1", "snatIp": "47.0.0.2", "sourceVswitchId": vswID})
	assert.ErrorContains(t, err, "rule snat-one-entry-per-vswitch")

	clusID, _ := mustCreate(t, p, clusT, "ack", map[string]any{"name": "k", "workerVswitchIds": []any{vswID}, "deletionProtection": true})
	_, err = p.Delete(context.Background(), plugin.DeleteRequest{Type: clusT, ID: resource.ID(clusID)})
	assert.ErrorContains(t, err, "rule ack-deletion-protection")
	natID, _ := mustCreate(t, p, natT, "nat", map[string]any{"vpcId": vpcID, "deletionProtection": false})
	_, err = p.Delete(context.Background(), plugin.DeleteRequest{Type: natT, ID: resource.ID(natID)})
	assert.NoError(t, err, "without deletion protection the NAT gateway goes")
}

// Every refusal cites a document and shares its id with a row of the
// platform's rules doc (docs/alicloud-rules.md, first column).
func TestRefusalsCiteDocsAndRules(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range emulated.Refusals {
		assert.Regexp(t, `^[a-z0-9]+(-[a-z0-9]+)+$`, r.ID)
		assert.False(t, ids[r.ID], "duplicate id %s", r.ID)
		ids[r.ID] = true
		assert.Regexp(t, `^https://`, r.URL, r.ID)
		assert.NotEmpty(t, r.Doc, r.ID)
	}
	rules, err := os.ReadFile(filepath.Join(root(t), "docs", "alicloud-rules.md"))
	if os.IsNotExist(err) {
		t.Skip("docs/alicloud-rules.md does not exist yet: refusal ids cannot be matched against it")
	}
	require.NoError(t, err)
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\|\\s*`?([a-z0-9]+(?:-[a-z0-9]+)+)`?\\s*\\|").FindAllStringSubmatch(string(rules), -1) {
		rows[m[1]] = true
	}
	for id := range ids {
		assert.True(t, rows[id], "refusal %s has no row in docs/alicloud-rules.md", id)
	}
}
