// Package stackconfig loads the real Pulumi.yaml and Pulumi.<stack>.yaml for
// tests, so they run the program on the very config a user deploys.
package stackconfig

import (
	"strings"
	"testing"

	"github.com/ack-platform/ack-platform/stacks/stackfile"
)

// SecretPrefix marks an override key as a secret: "secret:ack-platform:kubeconfig".
const SecretPrefix = "secret:"

// Root returns the repository root (the folder holding go.mod and Pulumi.yaml).
func Root(t testing.TB) string {
	t.Helper()
	root, err := stackfile.WorkingRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Load returns the config map (fully qualified key to raw value, objects as
// JSON) and the secret keys of a stack, with overrides applied: a key maps
// to its raw value, or to "" to delete it; a key with SecretPrefix is set as
// a secret.
func Load(t testing.TB, stack string, overrides map[string]string) (map[string]string, []string) {
	t.Helper()
	v, err := stackfile.Load(Root(t), stack)
	if err != nil {
		t.Fatal(err)
	}
	for k, val := range overrides {
		secret := strings.HasPrefix(k, SecretPrefix)
		k = strings.TrimPrefix(k, SecretPrefix)
		if val == "" {
			delete(v.Config, k)
			delete(v.Secrets, k)
			continue
		}
		v.Config[k] = val
		if secret {
			v.Secrets[k] = true
		} else {
			delete(v.Secrets, k)
		}
	}
	return v.Config, v.SecretKeys()
}

// OperatorSecrets are the secret keys each stack file asks the operator to
// set with `pulumi config set --secret` (they cannot be committed).
var OperatorSecrets = map[string][]string{
	"dev":     {"tlsCert", "tlsKey", "devDeviceDbPassword", "nacosAuthToken", "nacosIdentityKey", "nacosIdentityValue", "nacosPassword"},
	"test":    {"tlsCert", "tlsKey", "testDeviceDbPassword", "nacosAuthToken", "nacosIdentityKey", "nacosIdentityValue", "nacosPassword"},
	"staging": {"tlsCert", "tlsKey", "stagingDeviceDbPassword", "nacosAuthToken", "nacosIdentityKey", "nacosIdentityValue", "nacosPassword"},
	"prod":    {"tlsCert", "tlsKey", "prodDeviceDbPassword", "nacosAuthToken", "nacosIdentityKey", "nacosIdentityValue", "nacosPassword", "nacosDbPassword"},
}

// WithOperatorSecrets returns overrides plus a fake secret value for every
// operator secret of stack that overrides does not set itself.
func WithOperatorSecrets(stack string, overrides map[string]string) map[string]string {
	out := map[string]string{}
	for _, k := range OperatorSecrets[stack] {
		out[SecretPrefix+"ack-platform:"+k] = "fake-operator-secret-" + k
	}
	for k, v := range overrides {
		if strings.HasPrefix(k, SecretPrefix) {
			delete(out, k)
		} else {
			delete(out, SecretPrefix+k)
		}
		out[k] = v
	}
	return out
}
