// Package workflows_test checks the delivery pipelines: the GitHub Actions
// workflows with actionlint and the delivery rules (which runner each stack
// uses, which role, one concurrency group per stack, the prod approval, the
// pinned actions), and the Yunxiao Flow pipelines against Flow's documented
// keys (flow_test.go).
package workflows_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// The agreed stacks: two platform stacks (cloud credentials only, run
// anywhere) and four workload stacks (run inside their cluster's VPC).
var (
	platformStacks = []string{"platform-nonprod", "platform-prod"}
	workloadStacks = []string{"dev", "test", "staging", "prod"}
	prodStacks     = []string{"platform-prod", "prod"}
)

// Runner labels of the self-hosted runners, one pool per VPC.
const (
	nonprodRunner = "ack-vpc-nonprod"
	prodRunner    = "ack-vpc-prod"
)

func allStacks() []string { return slices.Concat(platformStacks, workloadStacks) }

// wantRunner is the runs-on label set a stack's jobs must use.
func wantRunner(stack string) []string {
	switch {
	case slices.Contains(platformStacks, stack):
		return []string{"ubuntu-latest"}
	case stack == "prod":
		return []string{"self-hosted", "linux", prodRunner}
	default:
		return []string{"self-hosted", "linux", nonprodRunner}
	}
}

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

// TestActionsPinned: one rule for every action of every workflow and local
// action: a full commit SHA followed by its version tag as a comment, and
// the same action at the same commit everywhere.
func TestActionsPinned(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	uses := regexp.MustCompile(`(?m)^\s*(?:-\s+)?uses:\s*(\S+)(.*)$`)
	pinned := regexp.MustCompile(`^([\w.-]+/[\w./-]+)@([0-9a-f]{40})$`)
	version := regexp.MustCompile(`^\s*#\s*(v\d+\.\d+\.\d+)\s*$`)
	seen := map[string]string{} // action -> "sha version"
	files := append(workflowFiles(t, root), actionFiles(t, root)...)
	count := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range uses.FindAllStringSubmatch(string(data), -1) {
			ref, rest := m[1], m[2]
			if strings.HasPrefix(ref, "./") {
				_, err := os.Stat(filepath.Join(root, ref))
				assert.NoError(t, err, "%s: local action or workflow %s", rel(root, f), ref)
				continue
			}
			count++
			p := pinned.FindStringSubmatch(ref)
			if !assert.NotNil(t, p, "%s: %s is not pinned to a full commit SHA", rel(root, f), ref) {
				continue
			}
			v := version.FindStringSubmatch(rest)
			if !assert.NotNil(t, v, "%s: %s has no `# vX.Y.Z` comment naming the pinned version", rel(root, f), ref) {
				continue
			}
			id := p[2] + " " + v[1]
			if prev, ok := seen[p[1]]; ok {
				assert.Equal(t, prev, id, "%s: %s pinned differently elsewhere", rel(root, f), p[1])
			}
			seen[p[1]] = id
		}
	}
	assert.Greater(t, count, 10, "the pin rule saw too few actions to mean anything")
}

// TestStackRunners: every job that previews, checks or updates a stack
// runs where that stack can be reached: platform stacks on GitHub-hosted
// runners, workload stacks on the self-hosted runner inside their VPC.
func TestStackRunners(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, file := range []string{"preview.yml", "drift.yml"} {
		t.Run(file, func(t *testing.T) {
			w := loadWorkflow(t, root, file)
			var stacks []string
			for _, job := range w.Jobs {
				for _, inc := range job.Strategy.Matrix.Include {
					stacks = append(stacks, inc.Stack)
					assert.Equal(t, wantRunner(inc.Stack), labels(t, inc.Runner), "%s: runner of %s", file, inc.Stack)
				}
			}
			assert.ElementsMatch(t, allStacks(), stacks, "%s covers every stack once", file)
		})
	}

	// Updates: every stack exactly once across the two workflows that update.
	deployed := map[string]string{}
	for _, file := range []string{"deploy.yml", "prod-approve.yml"} {
		w := loadWorkflow(t, root, file)
		for name, job := range w.Jobs {
			switch job.Uses {
			case "./.github/workflows/stack-deploy.yml":
				stack := job.With["stack"]
				_, dup := deployed[stack]
				assert.False(t, dup, "%s: %s updated twice", file, stack)
				deployed[stack] = file
				assert.Equal(t, wantRunner(stack), labels(t, job.With["runner"]), "%s job %s", file, name)
				tier := "NONPROD"
				if slices.Contains(prodStacks, stack) {
					tier = "PROD"
					assert.Equal(t, "prod-approve.yml", file, "%s is updated only after an approval", stack)
					assert.NotEmpty(t, job.With["approved-fingerprint"], "%s applies only the approved plan", stack)
				}
				assert.Equal(t, tier, job.With["tier"], "%s: role tier of %s", file, stack)
			case "./.github/workflows/stack-plan.yml":
				assert.Equal(t, wantRunner(job.With["stack"]), labels(t, job.With["runner"]), "%s job %s", file, name)
			}
		}
	}
	assert.ElementsMatch(t, allStacks(), keys(deployed))

	// A stack file in the repository that no pipeline knows is a gap.
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	require.NoError(t, err)
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		if stack != "local" {
			assert.Contains(t, allStacks(), stack, "%s has no pipeline jobs", filepath.Base(f))
		}
	}
}

// TestConcurrency: one group per stack for updates, never cancelled
// half-way; nothing ties the prod path to the non-production stacks, so a
// prod rollback does not wait for dev.
func TestConcurrency(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	update := loadWorkflow(t, root, "stack-deploy.yml")
	require.Len(t, update.Jobs, 1)
	for _, job := range update.Jobs {
		assert.Equal(t, "stack-${{ inputs.stack }}", job.Concurrency.Group)
		assert.Equal(t, "false", job.Concurrency.CancelInProgress)
	}
	for _, file := range []string{"deploy.yml", "prod-approve.yml", "drift.yml", "preview.yml"} {
		w := loadWorkflow(t, root, file)
		assert.Nil(t, w.Concurrency, "%s: a workflow-wide group would make stacks wait for each other", file)
		for name, job := range w.Jobs {
			if job.Concurrency.Group != "" && file != "deploy.yml" && file != "prod-approve.yml" {
				assert.NotContains(t, job.Concurrency.Group, "stack-", "%s job %s must not join a deployment group (a queued run cancels the pending one)", file, name)
			}
		}
	}
	deploy := loadWorkflow(t, root, "deploy.yml")
	prodPath := []string{"plan-platform-prod", "plan-prod", "request-prod-approval"}
	for _, name := range prodPath {
		require.Contains(t, deploy.Jobs, name)
		for _, need := range deploy.Jobs[name].Needs {
			assert.Contains(t, prodPath, need, "deploy.yml: %s waits for %s", name, need)
		}
	}
	for name, job := range loadWorkflow(t, root, "prod-approve.yml").Jobs {
		for _, need := range job.Needs {
			assert.Contains(t, []string{"check", "platform-prod", "prod"}, need, "prod-approve.yml: %s waits for %s", name, need)
		}
	}
}

// TestCredentials: previews and drift checks use the read-only role; the
// deploy roles appear only in the update workflow; OIDC is asked for only
// where a job uses it; permissions are granted per job where it matters.
func TestCredentials(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	for _, file := range []string{"preview.yml", "stack-plan.yml", "drift.yml", "stack-deploy.yml"} {
		t.Run(file, func(t *testing.T) {
			w := loadWorkflow(t, root, file)
			n := 0
			for _, job := range w.Jobs {
				for _, step := range job.Steps {
					if step.Uses != "./.github/actions/alicloud-credentials" {
						continue
					}
					n++
					if file == "stack-deploy.yml" {
						assert.Contains(t, step.With["role-arn"], "ALICLOUD_DEPLOY_ROLE_ARN_")
						continue
					}
					assert.Equal(t, "${{ vars.ALICLOUD_PREVIEW_ROLE_ARN }}", step.With["role-arn"], "preview jobs use the read-only role")
					assert.Equal(t, "${{ secrets.ALICLOUD_PREVIEW_ACCESS_KEY_ID }}", step.With["access-key-id"], "and the read-only AccessKey fallback")
				}
			}
			assert.Equal(t, 1, n, "one credentials step")
		})
	}
	for _, f := range append(workflowFiles(t, root), actionFiles(t, root)...) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		if filepath.Base(f) != "stack-deploy.yml" {
			assert.NotContains(t, string(data), "ALICLOUD_DEPLOY_ROLE_ARN", "%s: only stack-deploy.yml holds the deploy roles", rel(root, f))
			assert.NotRegexp(t, `ALICLOUD_(NON)?PROD_ACCESS_KEY`, string(data), "%s: only stack-deploy.yml holds the deploy keys", rel(root, f))
		}
	}
	for _, file := range []string{"deploy.yml", "prod-approve.yml"} {
		w := loadWorkflow(t, root, file)
		assert.Equal(t, map[string]string{}, w.Permissions, "%s grants nothing workflow-wide", file)
		for name, job := range w.Jobs {
			assert.NotEmpty(t, job.Permissions, "%s job %s states its permissions", file, name)
			if job.Uses != "" {
				assert.Equal(t, map[string]string{"contents": "read", "id-token": "write"}, job.Permissions, "%s job %s", file, name)
			}
		}
	}
	assert.Equal(t, map[string]string{"contents": "read", "pull-requests": "write", "id-token": "write"}, loadWorkflow(t, root, "preview.yml").Permissions)
	assert.Equal(t, map[string]string{"contents": "read"}, loadWorkflow(t, root, "ci.yml").Permissions)
}

// TestReleasePullRequestToken: the release pull request is opened with a
// token that triggers workflows (a GitHub App token or a PAT), never with
// the default GITHUB_TOKEN, whose pull requests start no preview.
func TestReleasePullRequestToken(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	w := loadWorkflow(t, root, "release.yml")
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", "release.yml"))
	require.NoError(t, err)
	for _, token := range []string{"secrets.GITHUB_TOKEN", "github.token"} {
		assert.NotContains(t, string(data), token)
	}
	var app, pr bool
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			switch {
			case strings.HasPrefix(step.Uses, "actions/create-github-app-token@"):
				app = true
			case strings.HasPrefix(step.Uses, "peter-evans/create-pull-request@"):
				pr = true
				assert.Equal(t, "${{ steps.token.outputs.token }}", step.With["token"])
			}
		}
	}
	assert.True(t, app, "a GitHub App token step")
	assert.True(t, pr, "a create-pull-request step")
}

// TestProdApprovalRules runs the approval checks' own tests with node (the
// same code runs in actions/github-script).
func TestProdApprovalRules(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is needed to test tools/ci/prod-approval.js")
	}
	cmd := exec.Command(node, "--test", "tools/ci/prod-approval.test.js")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Regexp(t, `(?m)^# pass [1-9]`, string(out))
	assert.Regexp(t, `(?m)^# fail 0$`, string(out))
}

// TestNoSecretEcho guards against shell tracing, which prints expanded secrets.
func TestNoSecretEcho(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	files := append(workflowFiles(t, root), actionFiles(t, root)...)
	more, err := filepath.Glob(filepath.Join(root, ".yunxiao", "*.yml"))
	require.NoError(t, err)
	scripts, err := filepath.Glob(filepath.Join(root, "tools", "ci", "*.sh"))
	require.NoError(t, err)
	for _, f := range slices.Concat(files, more, scripts) {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, bad := range []string{"set -x", "set -o xtrace", "bash -x"} {
			assert.NotContains(t, string(data), bad, f)
		}
	}
}

// workflow is the part of a GitHub workflow the rules look at.
type workflow struct {
	Permissions map[string]string `yaml:"permissions"`
	Concurrency any               `yaml:"concurrency"`
	Jobs        map[string]struct {
		Needs       stringList        `yaml:"needs"`
		Uses        string            `yaml:"uses"`
		With        map[string]string `yaml:"with"`
		Permissions map[string]string `yaml:"permissions"`
		Concurrency struct {
			Group            string `yaml:"group"`
			CancelInProgress string `yaml:"cancel-in-progress"`
		} `yaml:"concurrency"`
		Strategy struct {
			Matrix struct {
				Include []struct {
					Stack  string `yaml:"stack"`
					Runner string `yaml:"runner"`
				} `yaml:"include"`
			} `yaml:"matrix"`
		} `yaml:"strategy"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, root, file string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, ".github", "workflows", file))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(data, &w), file)
	return w
}

// labels decodes a runs-on JSON array as the workflows pass it.
func labels(t *testing.T, s string) []string {
	t.Helper()
	var l []string
	require.NoError(t, json.Unmarshal([]byte(s), &l), "runner %q", s)
	return l
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

func actionFiles(t *testing.T, root string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, ".github", "actions", "*", "action.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, m)
	return m
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func rel(root, path string) string {
	r, err := filepath.Rel(root, path)
	if err != nil {
		return path
	}
	return r
}

// repoRoot is the repository root.
func repoRoot(t *testing.T) string { return stackconfig.Root(t) }
