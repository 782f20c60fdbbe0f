package graph

import (
	"fmt"

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
		v, err := stackfile.Load(root, name)
		if err != nil {
			return nil, fmt.Errorf("stack %s: %w", name, err)
		}
		cfg, err := config.Parse(Project, name, v.Config["alicloud:region"], stackfile.Reader{Values: v, Namespace: config.Namespace, AssumeSecretsSet: true, Structural: config.Keys})
		if err != nil {
			return nil, fmt.Errorf("stack %s (Pulumi.%s.yaml): %w", name, name, err)
		}
		g, err := Build(cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, Stack{Name: name, Config: cfg, Graph: g})
	}
	return out, nil
}
