// Command release sets one service's image tag in one environment of a
// stack file, the whole of a release or a rollback:
//
//	go run ./tools/release [-check] ENV SERVICE TAG [STACK]
//
// Each environment is its own stack, so STACK defaults to ENV and the tag
// lands in the environment's own stack file, Pulumi.<ENV>.yaml. STACK names
// another stack only for one holding several environments (local).
//
// It refuses a service that is not in the catalog, an environment the stack
// does not have, and any tag the program would refuse (it runs the
// program's own config validation on the edited config). It then replaces
// just the tag in Pulumi.<STACK>.yaml, leaving every other byte (comments,
// order, secure values) as it was. -check validates without writing.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/stacks/stackfile"
)

func main() {
	check := flag.Bool("check", false, "validate only; do not write the stack file")
	flag.Parse()
	if flag.NArg() != 3 && flag.NArg() != 4 {
		fmt.Fprintln(os.Stderr, "usage: release [-check] ENV SERVICE TAG [STACK]")
		os.Exit(2)
	}
	env := flag.Arg(0)
	stack := env
	if flag.NArg() == 4 {
		stack = flag.Arg(3)
	}
	root, err := stackfile.WorkingRoot()
	if err == nil {
		err = run(root, env, flag.Arg(1), flag.Arg(2), stack, *check)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(root, env, service, tag, stack string, check bool) error {
	vals, err := stackfile.Load(root, stack)
	if err != nil {
		return err
	}
	const envKey = config.Namespace + ":environments"
	var cat config.Catalog
	if err := json.Unmarshal([]byte(vals.Config[config.Namespace+":catalog"]), &cat); err != nil {
		return fmt.Errorf("Pulumi.yaml: ack-platform:catalog: %w", err)
	}
	if _, ok := cat.Services[service]; !ok {
		return fmt.Errorf("service %q is not in the catalog (Pulumi.yaml): %s", service, strings.Join(sortedKeys(cat.Services), ", "))
	}
	var envs map[string]any
	if err := json.Unmarshal([]byte(vals.Config[envKey]), &envs); err != nil || envs == nil {
		return fmt.Errorf("Pulumi.%s.yaml has no ack-platform:environments", stack)
	}
	e, ok := envs[env].(map[string]any)
	if !ok {
		return fmt.Errorf("environment %q is not in stack %s: %s", env, stack, strings.Join(sortedKeys(envs), ", "))
	}
	rel, _ := e["releases"].(map[string]any)
	if rel == nil {
		rel = map[string]any{}
		e["releases"] = rel
	}
	old, _ := rel[service].(string)
	rel[service] = tag
	b, _ := json.Marshal(envs)
	vals.Config[envKey] = string(b)
	// The program's own validation: a bad tag fails here, not at `pulumi up`.
	if _, err := config.Parse("ack-platform", stack, vals.Config["alicloud:region"], stackfile.Reader{Values: vals, Namespace: config.Namespace, AssumeSecretsSet: true, Structural: config.Keys}); err != nil {
		var inv *config.InvalidError
		if errors.As(err, &inv) {
			var mine []string
			for _, p := range inv.Problems {
				if strings.HasPrefix(p.Key, envKey+"."+env+".releases."+service) || strings.HasPrefix(p.Key, envKey+"."+env+".overrides."+service) {
					mine = append(mine, p.String())
				}
			}
			if len(mine) > 0 {
				return fmt.Errorf("tag %q refused:\n  %s", tag, strings.Join(mine, "\n  "))
			}
		}
		// Other problems of the stack are not this release's business, but say so.
		fmt.Fprintf(os.Stderr, "release: note: stack %s has other config problems:\n%v\n", stack, err)
	}
	if check {
		fmt.Printf("ok: %s %s %s -> %s (stack %s)\n", env, service, orNone(old), tag, stack)
		return nil
	}
	path := filepath.Join(root, "Pulumi."+stack+".yaml")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := setTag(data, env, service, tag)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %s %s %s -> %s\n", filepath.Base(path), env, service, orNone(old), tag)
	return nil
}

// setTag replaces the scalar of config → ack-platform:environments → env →
// releases → service in place, or adds the key under releases with the
// indentation of its siblings.
func setTag(data []byte, env, service, tag string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty file")
	}
	releases := find(doc.Content[0], "config", config.Namespace+":environments", env, "releases")
	if releases == nil || releases.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("no block mapping at config.%s:environments.%s.releases", config.Namespace, env)
	}
	if releases.Style&yaml.FlowStyle != 0 {
		return nil, errors.New("releases is a flow mapping ({...}); write it as a block mapping, one service a line")
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	quoted := quote(tag)
	for i := 0; i+1 < len(releases.Content); i += 2 {
		if releases.Content[i].Value != service {
			continue
		}
		v := releases.Content[i+1]
		line := lines[v.Line-1]
		start := v.Column - 1
		end := start + len(tokenAt(line[start:]))
		lines[v.Line-1] = slices.Concat(line[:start], []byte(quoted), line[end:])
		return bytes.Join(lines, nil), nil
	}
	// A new service: after the last entry, same indentation.
	last := releases.Content[len(releases.Content)-2]
	newLine := []byte(strings.Repeat(" ", last.Column-1) + service + ": " + quoted + "\n")
	at := releases.Content[len(releases.Content)-1].Line
	return bytes.Join(slices.Insert(lines, at, newLine), nil), nil
}

// tokenAt is the scalar token at the start of s: a quoted string or a
// plain scalar up to a comment or the end of the line.
func tokenAt(s []byte) []byte {
	if len(s) > 0 && (s[0] == '"' || s[0] == '\'') {
		if j := bytes.IndexByte(s[1:], s[0]); j >= 0 {
			return s[:j+2]
		}
	}
	end := len(s)
	if j := bytes.Index(s, []byte(" #")); j >= 0 {
		end = j
	}
	return bytes.TrimRight(s[:end], " \t\r\n")
}

// quote keeps tags that YAML would read as numbers (1.10, 2) strings.
func quote(tag string) string {
	var v any
	if err := yaml.Unmarshal([]byte(tag), &v); err == nil {
		if _, isString := v.(string); isString {
			return tag
		}
	}
	return `"` + tag + `"`
}

func find(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
