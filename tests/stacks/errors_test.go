package stacks_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/harness"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// environments returns an override of ack-platform:environments for stack
// with mutate applied to the decoded map.
func environments(t *testing.T, stack string, mutate func(envs map[string]any)) map[string]string {
	t.Helper()
	cfg, _ := stackconfig.Load(t, stack, nil)
	var envs map[string]any
	require.NoError(t, json.Unmarshal([]byte(cfg["ack-platform:environments"]), &envs))
	mutate(envs)
	b, err := json.Marshal(envs)
	require.NoError(t, err)
	return map[string]string{"ack-platform:environments": string(b)}
}

func override(envs map[string]any, env, svc string) map[string]any {
	e := envs[env].(map[string]any)
	ovs, _ := e["overrides"].(map[string]any)
	if ovs == nil {
		ovs = map[string]any{}
		e["overrides"] = ovs
	}
	o, _ := ovs[svc].(map[string]any)
	if o == nil {
		o = map[string]any{}
		ovs[svc] = o
	}
	return o
}

// A misspelt or wrongly typed key is reported under its full path, with the
// environment and the service in it, before anything is registered.
func TestKeyProblemsNameTheFullPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, stack string
		mutate      func(map[string]any)
		key, msg    string
	}{
		{"misspelt override", "staging", func(e map[string]any) { override(e, "staging", "gateway")["replcas"] = 2 },
			"ack-platform:environments.staging.overrides.gateway.replcas", "unknown field; did you mean replicas?"},
		{"wrongly typed replicas", "test", func(e map[string]any) { override(e, "test", "device-service")["replicas"] = "two" },
			"ack-platform:environments.test.overrides.device-service.replicas", `expected a whole number, got the string "two"`},
		{"wrongly typed autoscaling bound", "prod", func(e map[string]any) {
			override(e, "prod", "gateway")["autoscaling"] = map[string]any{"min": 3, "max": "ten"}
		}, "ack-platform:environments.prod.overrides.gateway.autoscaling.max", "expected a whole number"},
		{"misspelt PDB field", "dev", func(e map[string]any) { override(e, "dev", "auth-service")["pdb"] = map[string]any{"maxUnavailabe": 1} },
			"ack-platform:environments.dev.overrides.auth-service.pdb.maxUnavailabe", "unknown field; did you mean maxUnavailable?"},
		{"route of the wrong shape", "dev", func(e map[string]any) {
			e["dev"].(map[string]any)["routes"] = []any{map[string]any{"host": "m", "service": "web-console", "paht": "/m"}}
		}, "ack-platform:environments.dev.routes[0].paht", "unknown field; did you mean path?"},
		{"release tag as a number", "test", func(e map[string]any) { e["test"].(map[string]any)["releases"].(map[string]any)["gateway"] = 2 },
			"ack-platform:environments.test.releases.gateway", "expected a string, got 2 (quote it)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res, err := harness.Run(t, c.stack, environments(t, c.stack, c.mutate))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.key+": "+c.msg)
			assert.Empty(t, res.Resources, "nothing may be registered")
		})
	}
}

// One malformed value does not hide the other problems: every key's
// problems are reported in the same run.
func TestOneMalformedValueHidesNothing(t *testing.T) {
	t.Parallel()
	overrides := environments(t, "staging", func(e map[string]any) {
		override(e, "staging", "gateway")["replcas"] = 2
		override(e, "staging", "device-service")["resources"] = map[string]any{"limits": map[string]any{"memory": 2048}}
	})
	overrides["ack-platform:nacos"] = `{"mode":"in-cluster","replicas":"three"}`
	overrides["ack-platform:ingress"] = `{"controler":"existing"}`
	overrides["ack-platform:tier"] = "production"
	res, err := harness.Run(t, "staging", overrides)
	require.Error(t, err)
	for _, want := range []string{
		"ack-platform:environments.staging.overrides.gateway.replcas: unknown field",
		"ack-platform:environments.staging.overrides.device-service.resources.limits.memory: expected a string",
		"ack-platform:nacos.replicas: expected a whole number",
		"ack-platform:ingress.controler: unknown field; did you mean controller?",
		"ack-platform:tier: \"production\" is not one of prod, nonprod",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Empty(t, res.Resources, "nothing may be registered")
}
