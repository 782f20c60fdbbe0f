// Command bench lays out a Pulumi project directory for tools/bench.sh: the
// repository's Pulumi.yaml and one of its stack files, with `main` pointing
// back at the repository so the engine runs the real program, and the stack
// file's secrets and encryption salt left out (the caller sets its own).
//
// With -services N it replaces the catalog by a synthetic one of N services
// (one gateway, a tenth frontends, the rest backends, some autoscaled) and
// the environments by -envs M generated ones that release every service.
// The result is checked with the program's own config.Parse before it is
// written, so a benchmark never measures a config the program would reject.
//
//	go run ./tools/bench -out DIR [-from local] [-stack bench] [-services 100 -envs 3]
//
// It writes DIR/Pulumi.yaml, DIR/Pulumi.<stack>.yaml and DIR/secret-keys
// (the secret config keys the stack needs, one per line) and prints the
// number of services, environments and workloads.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/stacks/stackfile"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "", "directory to write the project into (required)")
	from := flag.String("from", "local", "stack file to start from")
	stack := flag.String("stack", "bench", "name of the generated stack")
	services := flag.Int("services", 0, "synthetic catalog size; 0 keeps the project's catalog and environments")
	envs := flag.Int("envs", 3, "number of synthetic environments (with -services)")
	flag.Parse()
	if *out == "" {
		return errors.New("-out is required")
	}
	if *services < 0 || (*services > 0 && (*services < 3 || *envs < 1)) {
		return errors.New("-services needs at least 3 (gateway, backend, frontend) and -envs at least 1")
	}
	root, err := stackfile.WorkingRoot()
	if err != nil {
		return err
	}
	outDir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}

	project, err := readYAML(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		return err
	}
	stackDoc, err := readYAML(filepath.Join(root, "Pulumi."+*from+".yaml"))
	if err != nil {
		return err
	}
	rel, err := filepath.Rel(outDir, root)
	if err != nil {
		return err
	}
	set(project, "main", scalar(rel))
	for _, k := range []string{"encryptionsalt", "secretsprovider", "encryptedkey"} {
		del(stackDoc, k)
	}
	stackCfg := get(stackDoc, "config")
	if stackCfg == nil {
		return fmt.Errorf("Pulumi.%s.yaml has no config", *from)
	}
	// Secure values are encrypted under another passphrase: drop them, and
	// tell the caller which keys to set again.
	var secretKeys []string
	for i := 0; i+1 < len(stackCfg.Content); {
		k, v := stackCfg.Content[i].Value, stackCfg.Content[i+1]
		if v.Kind == yaml.MappingNode && get(v, "secure") != nil || k == config.Namespace+":kubeconfig" {
			if k != config.Namespace+":kubeconfig" {
				secretKeys = append(secretKeys, k)
			}
			stackCfg.Content = append(stackCfg.Content[:i], stackCfg.Content[i+2:]...)
			continue
		}
		i += 2
	}

	if *services > 0 {
		cat, envMap := synthetic(*services, *envs)
		catNode, err := toNode(cat)
		if err != nil {
			return err
		}
		projCfg := get(project, "config")
		if projCfg == nil {
			return errors.New("Pulumi.yaml has no config")
		}
		entry := get(projCfg, config.Namespace+":catalog")
		if entry == nil {
			entry = &yaml.Node{Kind: yaml.MappingNode}
			set(projCfg, config.Namespace+":catalog", entry)
		}
		set(entry, "value", catNode)
		envNode, err := toNode(envMap)
		if err != nil {
			return err
		}
		set(stackCfg, config.Namespace+":environments", envNode)
		// The generated environments reference no secret: drop the
		// ingress's TLS keys, which would need their secrets.
		if ing := get(stackCfg, config.Namespace+":ingress"); ing != nil && ing.Kind == yaml.MappingNode {
			del(ing, "tls")
		}
		secretKeys = nil
	}

	if err := writeYAML(filepath.Join(outDir, "Pulumi.yaml"), project); err != nil {
		return err
	}
	if err := writeYAML(filepath.Join(outDir, "Pulumi."+*stack+".yaml"), stackDoc); err != nil {
		return err
	}
	keys := strings.Join(secretKeys, "\n")
	if keys != "" {
		keys += "\n"
	}
	if err := os.WriteFile(filepath.Join(outDir, "secret-keys"), []byte(keys), 0o644); err != nil {
		return err
	}

	// Check the result as the program will read it.
	vals, err := stackfile.Load(outDir, *stack)
	if err != nil {
		return err
	}
	for _, k := range secretKeys {
		vals.Config[k], vals.Secrets[k] = "placeholder", true
	}
	var projectName struct {
		Name string `yaml:"name"`
	}
	if err := project.Decode(&projectName); err != nil {
		return err
	}
	cfg, err := config.Parse(projectName.Name, *stack, vals.Config["alicloud:region"],
		stackfile.Reader{Values: vals, Namespace: config.Namespace})
	if err != nil {
		return fmt.Errorf("the generated stack is invalid: %w", err)
	}
	workloads := 0
	for _, e := range cfg.Workloads.Environments {
		workloads += len(e.Services)
	}
	fmt.Printf("services=%d environments=%d workloads=%d\n", len(cfg.Workloads.Catalog.Services), len(cfg.Workloads.Environments), workloads)
	return nil
}

// synthetic builds a catalog of n services and m environments releasing
// all of them.
func synthetic(n, m int) (config.Catalog, map[string]config.Environment) {
	cat := config.Catalog{System: "bench", Services: map[string]config.Service{}}
	frontends := max(1, n/10)
	cat.Services["gateway"] = config.Service{
		Kind: config.KindGateway, Description: "synthetic gateway",
		Routes: []config.Route{{Host: "api"}},
	}
	for i := 1; i <= frontends; i++ {
		path := fmt.Sprintf("/app-%03d", i)
		if i == 1 {
			path = "/"
		}
		cat.Services[fmt.Sprintf("web-%03d", i)] = config.Service{
			Kind: config.KindFrontend, Description: "synthetic frontend",
			Routes: []config.Route{{Host: "www", Path: path}},
		}
	}
	for i := 1; i <= n-1-frontends; i++ {
		s := config.Service{Kind: config.KindBackend, Description: "synthetic backend"}
		switch i % 10 {
		case 0: // every tenth backend is autoscaled
			s.Autoscaling = &config.HPA{Min: 1, Max: 3}
		case 5:
			two := 2
			s.Replicas = &two
		}
		cat.Services[fmt.Sprintf("backend-%03d", i)] = s
	}
	names := []string{"dev", "test", "staging"}
	envs := map[string]config.Environment{}
	for j := 0; j < m; j++ {
		name := fmt.Sprintf("env-%d", j+1)
		if j < len(names) {
			name = names[j]
		}
		e := config.Environment{
			Namespace: "bench-" + name,
			Domain:    name + ".bench.local",
			Releases:  map[string]string{},
		}
		k := 0
		for svc := range cat.Services {
			e.Releases[svc] = fmt.Sprintf("1.%d.%d", j, k%10)
			k++
		}
		envs[name] = e
	}
	return cat, envs
}

func readYAML(path string) (*yaml.Node, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a mapping", path)
	}
	return doc.Content[0], nil
}

func writeYAML(path string, n *yaml.Node) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// toNode converts a value to YAML through its JSON form, so the config
// types' json tags (and omitempty) decide the keys.
func toNode(v any) (*yaml.Node, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := n.Encode(generic); err != nil {
		return nil, err
	}
	return &n, nil
}

func scalar(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func get(m *yaml.Node, k string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func set(m *yaml.Node, k string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, scalar(k), v)
}

func del(m *yaml.Node, k string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
