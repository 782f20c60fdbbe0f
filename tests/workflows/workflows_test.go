// Package workflows_test checks the delivery pipelines: the GitHub Actions
// workflows with actionlint and a few policies, the Yunxiao Flow pipeline by
// its structure (stages, manual approval before prod).
package workflows_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// TestActionlint fails on any actionlint finding, and fails (not skips)
// when actionlint is missing so that CI cannot pass without the check.
func TestActionlint(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	bin := filepath.Join(root, ".tools", "bin", "actionlint")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("actionlint not found at %s: run `make tools` (or tools/install-tools.sh actionlint)", bin)
	}
	files := workflowFiles(t, root)
	cmd := exec.Command(bin, append([]string{"-no-color", "-oneline"}, files...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("actionlint reported problems (%v):\n%s", err, out)
	}
}

// workflow is the part of a GitHub workflow the policies look at.
type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Needs       stringList        `yaml:"needs"`
		Environment string            `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
	} `yaml:"jobs"`
}

func TestWorkflowPolicies(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	cases := []struct {
		file  string
		check func(t *testing.T, w workflow)
	}{
		{"preview.yml", func(t *testing.T, w workflow) {
			assert.Equal(t, map[string]string{"contents": "read", "pull-requests": "write"}, w.Permissions)
		}},
		{"deploy.yml", func(t *testing.T, w workflow) {
			assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions)
			require.Contains(t, w.Jobs, "prod")
			assert.Equal(t, stringList{"dev"}, w.Jobs["prod"].Needs, "prod deploys only after dev")
			assert.Equal(t, "prod", w.Jobs["prod"].Environment, "the prod environment carries the required reviewers")
		}},
		{"ci.yml", func(t *testing.T, w workflow) {
			assert.Equal(t, map[string]string{"contents": "read"}, w.Permissions)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", tc.file))
			require.NoError(t, err)
			var w workflow
			require.NoError(t, yaml.Unmarshal(data, &w))
			tc.check(t, w)
			for name, job := range w.Jobs {
				assert.Empty(t, job.Permissions, "job %s widens the workflow's permissions", name)
			}
		})
	}
}

// TestNoSecretEcho guards against shell tracing, which prints expanded secrets.
func TestNoSecretEcho(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	files := append(workflowFiles(t, root), filepath.Join(root, ".yunxiao", "flow.yml"))
	more, err := filepath.Glob(filepath.Join(root, "tools", "ci", "*.sh"))
	require.NoError(t, err)
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, bad := range []string{"set -x", "set -o xtrace", "bash -x"} {
			assert.NotContains(t, string(data), bad, f)
		}
	}
}

// flowJob is one job of a Yunxiao Flow pipeline: steps, or a component.
type flowJob struct {
	Name      string `yaml:"name"`
	Component string `yaml:"component"`
	Steps     map[string]struct {
		Step string `yaml:"step"`
		With struct {
			Run string `yaml:"run"`
		} `yaml:"with"`
	} `yaml:"steps"`
}

type flowStage struct {
	Name  string             `yaml:"name"`
	Needs stringList         `yaml:"needs"`
	Jobs  map[string]flowJob `yaml:"jobs"`
}

// TestYunxiaoPipeline checks the Flow pipeline's shape: Codeup source,
// preview of both stacks, deploy dev, a manual approval, then deploy prod.
func TestYunxiaoPipeline(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".yunxiao", "flow.yml"))
	require.NoError(t, err)

	var doc struct {
		Sources map[string]struct {
			Type string `yaml:"type"`
		} `yaml:"sources"`
		Stages yaml.Node `yaml:"stages"`
	}
	require.NoError(t, yaml.Unmarshal(data, &doc))
	require.NotEmpty(t, doc.Sources)
	for id, src := range doc.Sources {
		assert.Equal(t, "codeup", src.Type, "source %s", id)
	}

	// Keep the stages in file order: Flow runs them in that order.
	require.Equal(t, yaml.MappingNode, doc.Stages.Kind)
	var order []string
	stages := map[string]flowStage{}
	for i := 0; i+1 < len(doc.Stages.Content); i += 2 {
		id := doc.Stages.Content[i].Value
		var s flowStage
		require.NoError(t, doc.Stages.Content[i+1].Decode(&s), "stage %s", id)
		order = append(order, id)
		stages[id] = s
	}
	require.Subset(t, order, []string{"preview", "deploy_dev", "approve_prod", "deploy_prod"})

	runs := func(stage string) string {
		var b strings.Builder
		for _, job := range stages[stage].Jobs {
			for _, step := range job.Steps {
				b.WriteString(step.With.Run)
			}
		}
		return b.String()
	}
	t.Run("preview covers both stacks", func(t *testing.T) {
		assert.Contains(t, runs("preview"), "tools/ci/preview-summary.sh")
		assert.Contains(t, runs("preview"), "STACK=dev")
		assert.Contains(t, runs("preview"), "STACK=prod")
		assert.Contains(t, runs("preview"), "tools/ci/codeup-comment.sh")
	})
	t.Run("deploys", func(t *testing.T) {
		assert.Contains(t, runs("deploy_dev"), "pulumi up --stack dev")
		assert.Contains(t, runs("deploy_prod"), "pulumi up --stack prod")
		for _, id := range order {
			if id != "deploy_prod" {
				assert.NotContains(t, runs(id), "pulumi up --stack prod", "only deploy_prod updates prod")
			}
		}
	})
	t.Run("manual approval before prod", func(t *testing.T) {
		approval := -1
		for i, id := range order {
			for _, job := range stages[id].Jobs {
				if job.Component == "ManualValidate" {
					approval = i
				}
			}
		}
		require.GreaterOrEqual(t, approval, 0, "no ManualValidate job")
		prod := slices.Index(order, "deploy_prod")
		assert.Less(t, slices.Index(order, "deploy_dev"), approval, "approval comes after dev is deployed")
		assert.Less(t, approval, prod, "approval comes before prod is deployed")
		assert.Contains(t, stages["deploy_prod"].Needs, order[approval], "deploy_prod waits for the approval")
	})
}

// stringList accepts a YAML scalar or sequence (`needs: dev` or `needs: [dev]`).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = stringList{n.Value}
		return nil
	}
	var s []string
	if err := n.Decode(&s); err != nil {
		return err
	}
	*l = s
	return nil
}

func workflowFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	for _, pattern := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(root, ".github", "workflows", pattern))
		require.NoError(t, err)
		files = append(files, m...)
	}
	require.NotEmpty(t, files, "no workflows under .github/workflows")
	return files
}

// repoRoot is the repository root.
func repoRoot(t *testing.T) string { return stackconfig.Root(t) }
