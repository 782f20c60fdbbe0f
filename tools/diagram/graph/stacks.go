package graph

import (
	"fmt"
	"strings"

	"github.com/ack-platform/ack-platform/stacks/config"
	"github.com/ack-platform/ack-platform/stacks/stackfile"
)

// Project is the name in Pulumi.yaml; config defaults derive from it.
const Project = "ack-platform"

// Stack is one stack's parsed config and its graph.
type Stack struct {
	Name   string
	Config *config.Config
	Graph  *Graph
}

// LoadStacks reads Pulumi.yaml and every Pulumi.<stack>.yaml in root, the
// way the engine would hand them to the program, and builds each graph. No
// cloud access, no engine: secrets stay unread.
func LoadStacks(root string) ([]Stack, error) {
	names, err := stackfile.Stacks(root)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no Pulumi.<stack>.yaml in %s", root)
	}
	out := make([]Stack, 0, len(names))
	for _, name := range names {
		cfg, err := parse(root, name)
		if err != nil {
			return nil, err
		}
		if cfg.Layer == config.LayerPlatform {
			// A platform stack is drawn inside each of its workload stacks.
			continue
		}
		if cfg.Target == config.TargetAlicloud {
			// A workload stack deploys to its platform stack's cluster.
			platform, err := parse(root, cfg.PlatformStack[strings.LastIndex(cfg.PlatformStack, "/")+1:])
			if err != nil {
				return nil, fmt.Errorf("stack %s: platform stack: %w", name, err)
			}
			cfg.Platform, cfg.Registry = platform.Platform, platform.Registry
		}
		g, err := Build(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, Stack{Name: name, Config: cfg, Graph: g})
	}
	return out, nil
}

// parse reads and validates one stack file the way the program does.
func parse(root, name string) (*config.Config, error) {
	v, err := stackfile.Load(root, name)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	cfg, err := config.Parse(Project, name, v.Config["alicloud:region"], stackfile.Reader{Values: v, Namespace: config.Namespace, AssumeSecretsSet: true, Structural: config.Keys})
	if err != nil {
		return nil, fmt.Errorf("stack %s (Pulumi.%s.yaml): %w", name, name, err)
	}
	return cfg, nil
}
