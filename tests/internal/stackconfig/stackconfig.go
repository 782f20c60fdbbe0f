// Package stackconfig loads the real Pulumi.yaml and Pulumi.<stack>.yaml the
// way the engine hands them to the program, so tests run the program on the
// very config a user deploys.
package stackconfig

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// SecretPrefix marks an override key as a secret: "secret:ack-platform:kubeconfig".
const SecretPrefix = "secret:"

// Root returns the repository root (the folder holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
				return dir
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no Pulumi.yaml beside a go.mod above the working directory")
		}
		dir = parent
	}
}

// Load returns the config map (fully qualified key → raw value, objects as
// JSON) and the secret keys of a stack. Project-level values from Pulumi.yaml
// come first, the stack file overrides them, then overrides: a key maps to
// its raw value, or to "" to delete it; a key with SecretPrefix is set as a
// secret. `secure:` values of the stack file, which tests cannot decrypt,
// become a recognisable fake.
func Load(t testing.TB, stack string, overrides map[string]string) (map[string]string, []string) {
	t.Helper()
	root := Root(t)
	project, err := readConfig(filepath.Join(root, "Pulumi.yaml"), true)
	if err != nil {
		t.Fatal(err)
	}
	stackCfg, err := readConfig(filepath.Join(root, "Pulumi."+stack+".yaml"), false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := map[string]string{}
	secrets := map[string]bool{}
	for _, layer := range []map[string]value{project, stackCfg} {
		for k, v := range layer {
			cfg[k] = v.raw
			if v.secret {
				secrets[k] = true
			}
		}
	}
	for k, v := range overrides {
		secret := strings.HasPrefix(k, SecretPrefix)
		k = strings.TrimPrefix(k, SecretPrefix)
		if v == "" {
			delete(cfg, k)
			delete(secrets, k)
			continue
		}
		cfg[k] = v
		if secret {
			secrets[k] = true
		} else {
			delete(secrets, k)
		}
	}
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return cfg, keys
}

type value struct {
	raw    string
	secret bool
}

// readConfig reads the `config:` block of a project or stack file.
func readConfig(path string, project bool) (map[string]value, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Name   string               `yaml:"name"`
		Config map[string]yaml.Node `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]value{}
	for k, node := range doc.Config {
		var v any
		if err := node.Decode(&v); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		if project {
			// Project-level keys without a namespace belong to the project.
			if !strings.Contains(k, ":") {
				k = "ack-platform:" + k
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: %s: project config entries are objects with value or default", path, k)
			}
			if pv, ok := m["value"]; ok {
				v = pv
			} else if dv, ok := m["default"]; ok {
				v = dv
			} else {
				continue
			}
		}
		if m, ok := v.(map[string]any); ok && len(m) == 1 {
			if _, ok := m["secure"]; ok {
				out[k] = value{raw: "fake-secret-for-" + k, secret: true}
				continue
			}
		}
		raw, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, k, err)
		}
		out[k] = value{raw: raw}
	}
	return out, nil
}

// encode renders a value the way the engine passes config to a program:
// strings as they are, everything else as JSON.
func encode(v any) (string, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}
