// Package stackfile reads Pulumi.yaml and Pulumi.<stack>.yaml the way the
// engine hands their config to the program, for tools that work from the
// same typed config without running the engine (the diagram, the tests).
package stackfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// FakeSecretPrefix starts the stand-in value of a `secure:` entry, which
// cannot be decrypted without the stack's passphrase.
const FakeSecretPrefix = "fake-secret-for-"

// Root returns the nearest folder at or above dir holding Pulumi.yaml and go.mod.
func Root(dir string) (string, error) {
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "Pulumi.yaml")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no Pulumi.yaml beside a go.mod above " + dir)
		}
		dir = parent
	}
}

// WorkingRoot is Root of the working directory: where the tools and tests
// run from inside the repository.
func WorkingRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return Root(wd)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Values is a stack's config: fully qualified key to raw value (objects as
// JSON, like the engine passes them), and which keys are secrets.
type Values struct {
	Config  map[string]string
	Secrets map[string]bool
}

// SecretKeys returns the secret keys, sorted.
func (v Values) SecretKeys() []string {
	keys := make([]string, 0, len(v.Secrets))
	for k := range v.Secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Load returns the config of stack: project-level values of Pulumi.yaml,
// overridden by Pulumi.<stack>.yaml. `secure:` values become a fake
// starting with FakeSecretPrefix.
func Load(root, stack string) (Values, error) {
	v := Values{Config: map[string]string{}, Secrets: map[string]bool{}}
	project, err := readConfig(filepath.Join(root, "Pulumi.yaml"), true)
	if err != nil {
		return v, err
	}
	stackCfg, err := readConfig(filepath.Join(root, "Pulumi."+stack+".yaml"), false)
	if err != nil {
		return v, err
	}
	for _, layer := range []map[string]value{project, stackCfg} {
		for k, val := range layer {
			v.Config[k] = val.raw
			if val.secret {
				v.Secrets[k] = true
			} else {
				delete(v.Secrets, k)
			}
		}
	}
	return v, nil
}

// Stacks lists the stacks that have a Pulumi.<stack>.yaml in root.
func Stacks(root string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range matches {
		name := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(m), "Pulumi."), ".yaml")
		if !strings.Contains(name, ".") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Reader adapts Values to config.Reader for the project's namespace.
type Reader struct {
	Values    Values
	Namespace string
	// AssumeSecretsSet is for tools that never see the operator's secrets
	// (set with `pulumi config set --secret` on their machine, not in the
	// repository): a key that is not in the files and not one of Structural
	// reads as a set secret, so a cloud stack's config still parses.
	AssumeSecretsSet bool
	// Structural are the program's own keys (config.Keys), never secrets.
	Structural []string
}

// unsetSecret stands for a secret the tool cannot see.
const unsetSecret = "(secret set by the operator)"

func (r Reader) Get(key string) string {
	if v, ok := r.Values.Config[r.Namespace+":"+key]; ok {
		return v
	}
	if r.assumed(key) {
		return unsetSecret
	}
	return ""
}

func (r Reader) Secret(key string) bool {
	return r.Values.Secrets[r.Namespace+":"+key] || r.assumed(key)
}

func (r Reader) assumed(key string) bool {
	if !r.AssumeSecretsSet || slices.Contains(r.Structural, key) {
		return false
	}
	_, inFiles := r.Values.Config[r.Namespace+":"+key]
	return !inFiles
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
				out[k] = value{raw: FakeSecretPrefix + k, secret: true}
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
