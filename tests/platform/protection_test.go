package platform_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
)

// TestProdProtection lists every resource of the prod platform whose loss
// would hurt, and asserts each is protected: Pulumi `protect` on all of
// them, and the cloud's own deletion protection where the API has one.
func TestProdProtection(t *testing.T) {
	t.Parallel()
	res := harness.MustRun(t, "platform-prod", nil)

	// type -> why losing it hurts, and the input (with its protected value)
	// of the cloud's deletion protection, if the API has one.
	type guard struct {
		why   string
		input string
		on    any
	}
	mustKeep := map[string]guard{
		tVPC:        {why: "every node, pod and address lives in it"},
		tSwitch:     {why: "nodes and pod ENIs hold addresses in it"},
		tNAT:        {why: "all egress", input: "deletionProtection", on: true},
		tEIP:        {why: "the egress address partners allow-list", input: "deletionProtection", on: true},
		tEIPAssoc:   {why: "egress stops without the binding"},
		tCluster:    {why: "the cluster and every workload", input: "deletionProtection", on: true},
		tNodePool:   {why: "deleting a pool drains and releases its nodes"},
		tSLB:        {why: "the public address DNS points at", input: "deleteProtection", on: "on"},
		tEEInstance: {why: "every image"},
		tEENS:       {why: "every repository in it"},
		tEERepo:     {why: "the images of one service"},
		tVpcLink:    {why: "nodes pull through it"},
	}
	for typ, g := range mustKeep {
		found := res.OfType(typ)
		require.NotEmpty(t, found, "prod registers no %s (%s)", typ, g.why)
		for _, r := range found {
			assert.True(t, r.Protect, "%s %s is not protected: %s", typ, r.Name, g.why)
			if g.input == "" {
				continue
			}
			v := r.Input(g.input)
			switch want := g.on.(type) {
			case bool:
				assert.True(t, v.IsBool() && v.BoolValue() == want, "%s %s: %s must be %v", typ, r.Name, g.input, want)
			case string:
				assert.Equal(t, want, str(v), "%s %s: %s", typ, r.Name, g.input)
			}
		}
	}
	// Beyond the list: every cloud resource of the prod platform is
	// protected. A `pulumi destroy` does not refuse up front; it deletes
	// what is unprotected, in dependency order, until it meets a protected
	// resource (seen on the emulated cloud: tests/rehearsal). One
	// unprotected SNAT entry was enough to cut a zone's egress.
	for _, r := range res.Resources {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:") {
			assert.True(t, r.Protect, "prod %s %s is not protected: a destroy would delete it before refusing", r.Type, r.Name)
		}
	}

	// Console changes to the CLB are refused too; the cloud controller
	// manager still manages listeners through the API.
	assert.Equal(t, "ConsoleProtection", str(res.OfType(tSLB)[0].Input("modificationProtectionStatus")))

	// The same resources in dev carry no protection, so dev can be torn
	// down and rebuilt: the guard above is about prod, not an accident.
	dev := harness.MustRun(t, "platform-nonprod", nil)
	for _, typ := range []string{tVPC, tNAT, tEIP, tCluster, tNodePool, tSLB, tVpcLink} {
		for _, r := range dev.OfType(typ) {
			assert.False(t, r.Protect, "dev %s %s", typ, r.Name)
		}
	}
}
