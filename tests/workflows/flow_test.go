package workflows_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// flowKeys is tests/workflows/flow-keys.yaml: the keys the Flow YAML
// reference documents, level by level.
type flowKeys struct {
	Pipeline      []string            `yaml:"pipeline"`
	Source        []string            `yaml:"source"`
	SourceTypes   []string            `yaml:"sourceTypes"`
	TriggerEvents []string            `yaml:"triggerEvents"`
	Certificate   []string            `yaml:"certificate"`
	Stage         []string            `yaml:"stage"`
	Job           []string            `yaml:"job"`
	Driven        []string            `yaml:"driven"`
	RunsOn        []string            `yaml:"runsOn"`
	Step          []string            `yaml:"step"`
	Steps         map[string][]string `yaml:"steps"`
	Components    map[string][]string `yaml:"components"`
}

func loadFlowKeys(t *testing.T) flowKeys {
	t.Helper()
	data, err := os.ReadFile("flow-keys.yaml")
	require.NoError(t, err)
	var k flowKeys
	require.NoError(t, yaml.Unmarshal(data, &k))
	require.Contains(t, string(data), "https://www.alibabacloud.com/help/en/yunxiao/user-guide/pipelined-task-jobs", "the list names its source")
	return k
}

func flowFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot(t), ".yunxiao", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// mapping returns the key/value pairs of a mapping node, in order.
func mapping(t *testing.T, where string, n *yaml.Node) [][2]*yaml.Node {
	t.Helper()
	require.Equal(t, yaml.MappingNode, n.Kind, "%s must be a mapping", where)
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	return out
}

// checkKeys reports every key of n that is not in allowed.
func checkKeys(where string, n *yaml.Node, allowed []string) []string {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var bad []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; !slices.Contains(allowed, k) {
			bad = append(bad, fmt.Sprintf("%s.%s (line %d) is not a documented Flow key (allowed: %s)", where, k, n.Content[i].Line, strings.Join(allowed, ", ")))
		}
	}
	return bad
}

// flowProblems checks one pipeline document against the documented keys.
func flowProblems(t *testing.T, k flowKeys, data []byte) []string {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(data, &doc))
	require.NotEmpty(t, doc.Content)
	root := doc.Content[0]
	problems := checkKeys("pipeline", root, k.Pipeline)
	for _, kv := range mapping(t, "pipeline", root) {
		switch kv[0].Value {
		case "sources":
			for _, src := range mapping(t, "sources", kv[1]) {
				where := "sources." + src[0].Value
				problems = append(problems, checkKeys(where, src[1], k.Source)...)
				for _, f := range mapping(t, where, src[1]) {
					switch f[0].Value {
					case "type":
						if !slices.Contains(k.SourceTypes, f[1].Value) {
							problems = append(problems, fmt.Sprintf("%s.type %q is not one of %v", where, f[1].Value, k.SourceTypes))
						}
					case "triggerEvents":
						events := []string{f[1].Value}
						if f[1].Kind == yaml.SequenceNode {
							events = nil
							for _, e := range f[1].Content {
								events = append(events, e.Value)
							}
						}
						for _, e := range events {
							if !slices.Contains(k.TriggerEvents, e) {
								problems = append(problems, fmt.Sprintf("%s.triggerEvents %q is not a documented event", where, e))
							}
						}
					case "certificate":
						problems = append(problems, checkKeys(where+".certificate", f[1], k.Certificate)...)
					}
				}
			}
		case "stages":
			for _, st := range mapping(t, "stages", kv[1]) {
				where := "stages." + st[0].Value
				problems = append(problems, checkKeys(where, st[1], k.Stage)...)
				for _, sf := range mapping(t, where, st[1]) {
					if sf[0].Value != "jobs" {
						continue
					}
					for _, job := range mapping(t, where+".jobs", sf[1]) {
						problems = append(problems, jobProblems(t, k, where+".jobs."+job[0].Value, job[1])...)
					}
				}
			}
		}
	}
	return problems
}

func jobProblems(t *testing.T, k flowKeys, where string, job *yaml.Node) []string {
	t.Helper()
	problems := checkKeys(where, job, k.Job)
	var component string
	var with *yaml.Node
	for _, f := range mapping(t, where, job) {
		switch f[0].Value {
		case "runsOn":
			problems = append(problems, checkKeys(where+".runsOn", f[1], k.RunsOn)...)
		case "driven":
			if !slices.Contains(k.Driven, f[1].Value) {
				problems = append(problems, fmt.Sprintf("%s.driven %q is not one of %v", where, f[1].Value, k.Driven))
			}
		case "component":
			component = f[1].Value
		case "with":
			with = f[1]
		case "steps":
			for _, step := range mapping(t, where+".steps", f[1]) {
				sw := where + ".steps." + step[0].Value
				problems = append(problems, checkKeys(sw, step[1], k.Step)...)
				var kind string
				var stepWith *yaml.Node
				for _, sf := range mapping(t, sw, step[1]) {
					switch sf[0].Value {
					case "step":
						kind = sf[1].Value
					case "with":
						stepWith = sf[1]
					}
				}
				allowed, known := k.Steps[kind]
				if !known {
					problems = append(problems, fmt.Sprintf("%s.step %q is not a step type listed in flow-keys.yaml", sw, kind))
				} else if stepWith != nil {
					problems = append(problems, checkKeys(sw+".with", stepWith, allowed)...)
				}
			}
		}
	}
	if component != "" {
		allowed, known := k.Components[component]
		if !known {
			problems = append(problems, fmt.Sprintf("%s.component %q is not listed in flow-keys.yaml", where, component))
		} else if with != nil {
			problems = append(problems, checkKeys(where+".with", with, allowed)...)
		}
	}
	return problems
}

// TestFlowKeysAreDocumented: every key of every Flow pipeline is one the
// Flow YAML reference documents.
func TestFlowKeysAreDocumented(t *testing.T) {
	t.Parallel()
	k := loadFlowKeys(t)
	for _, f := range flowFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			assert.Empty(t, flowProblems(t, k, data))
		})
	}
}

// The check itself must catch what the reference does not document.
func TestFlowKeyCheckRejects(t *testing.T) {
	t.Parallel()
	k := loadFlowKeys(t)
	cases := map[string]string{
		"stage-level needs": `
stages:
  a: {name: A, jobs: {j: {steps: {s: {step: Command, with: {run: x}}}}}}
  b: {name: B, needs: [a], jobs: {j2: {steps: {s: {step: Command, with: {run: x}}}}}}`,
		"approval with undocumented validators": `
stages:
  approve: {jobs: {ok: {component: ManualValidate, with: {validatorType: users, validators: [1]}}}}`,
		"unknown job key": `
stages:
  s: {jobs: {j: {runsOn: {group: public/cn-beijing}, environment: prod, steps: {x: {step: Command, with: {run: x}}}}}}`,
		"undocumented trigger event": `
sources: {r: {type: codeup, endpoint: e, branch: main, triggerEvents: [mergeRequest]}}
stages: {s: {jobs: {j: {steps: {x: {step: Command, with: {run: x}}}}}}}`,
		"unknown runsOn key": `
stages: {s: {jobs: {j: {runsOn: {group: public/cn-beijing, image: golang}, steps: {x: {step: Command, with: {run: x}}}}}}}`,
		"unknown step type": `
stages: {s: {jobs: {j: {steps: {x: {step: Shell, with: {run: x}}}}}}}`,
		"driven value": `
stages: {s: {jobs: {j: {driven: approval, steps: {x: {step: Command, with: {run: x}}}}}}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			assert.NotEmpty(t, flowProblems(t, k, []byte(doc)))
		})
	}
}

// flowJob is what the delivery rules read of a Flow job.
type flowJob struct {
	Needs     stringList `yaml:"needs"`
	Component string     `yaml:"component"`
	RunsOn    struct {
		Group     string `yaml:"group"`
		Container string `yaml:"container"`
	} `yaml:"runsOn"`
	Steps map[string]struct {
		With struct {
			Run string `yaml:"run"`
		} `yaml:"with"`
	} `yaml:"steps"`
}

type flowStage struct {
	ID   string
	Jobs map[string]flowJob
}

// loadFlow returns the stages of a pipeline in file order (Flow runs them in that order).
func loadFlow(t *testing.T, file string) []flowStage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".yunxiao", file))
	require.NoError(t, err)
	var doc struct {
		Stages yaml.Node `yaml:"stages"`
	}
	require.NoError(t, yaml.Unmarshal(data, &doc))
	var out []flowStage
	for _, kv := range mapping(t, file+" stages", &doc.Stages) {
		var s struct {
			Jobs map[string]flowJob `yaml:"jobs"`
		}
		require.NoError(t, kv[1].Decode(&s))
		out = append(out, flowStage{ID: kv[0].Value, Jobs: s.Jobs})
	}
	return out
}

func (j flowJob) script() string {
	var b strings.Builder
	for _, s := range j.Steps {
		b.WriteString(s.With.Run + "\n")
	}
	return b.String()
}

var stackCommand = regexp.MustCompile(`tools/ci/(preview-summary|codeup-preview|deploy|drift)\.sh (\S+)`)
var credentials = regexp.MustCompile(`tools/ci/flow-run\.sh (\w+)`)

// TestFlowDelivery: the Flow pipelines follow the same rules as the GitHub
// ones: every stack previewed on merge requests and checked for drift with
// the read-only identity; platform stacks on the public build cluster,
// workload stacks on their VPC's private build cluster; build images from
// ACR; prod updated only after a manual approval, in a pipeline of its own.
func TestFlowDelivery(t *testing.T) {
	t.Parallel()
	touched := map[string]map[string]string{} // file -> stack -> command
	for _, f := range flowFiles(t) {
		file := filepath.Base(f)
		touched[file] = map[string]string{}
		for _, stage := range loadFlow(t, file) {
			for id, job := range stage.Jobs {
				if job.Component != "" {
					continue
				}
				where := file + " job " + id
				assert.Regexp(t, `^[^/\s]+\.cr\.aliyuncs\.com/`, job.RunsOn.Container, "%s: the build image comes from ACR", where)
				assert.NotContains(t, job.RunsOn.Container, "docker.io", where)
				for _, m := range stackCommand.FindAllStringSubmatch(job.script(), -1) {
					stack := m[2]
					touched[file][stack] = m[1]
					switch {
					case slices.Contains(platformStacks, stack):
						assert.Regexp(t, `^public/(cn-beijing|cn-hongkong|ap-southeast-1)$`, job.RunsOn.Group, "%s: %s runs on a documented public cluster", where, stack)
						assert.Contains(t, job.RunsOn.Container, "-registry.", "%s: a public cluster pulls from ACR's public endpoint", where)
					default:
						want := "private/<nonprod-build-cluster-id>"
						if stack == "prod" {
							want = "private/<prod-build-cluster-id>"
						}
						assert.Equal(t, want, job.RunsOn.Group, "%s: %s runs on its VPC's private build cluster", where, stack)
						assert.Contains(t, job.RunsOn.Container, "-registry-vpc.", "%s: inside the VPC, ACR's VPC endpoint", where)
					}
					creds := credentials.FindStringSubmatch(job.script())
					require.NotNil(t, creds, "%s runs through tools/ci/flow-run.sh", where)
					switch m[1] {
					case "deploy":
						tier := "NONPROD"
						if slices.Contains(prodStacks, stack) {
							tier = "PROD"
						}
						assert.Equal(t, tier, creds[1], "%s: deploy identity of %s", where, stack)
					default:
						assert.Equal(t, "PREVIEW", creds[1], "%s: previews and drift checks are read-only", where)
					}
				}
			}
		}
	}
	for _, file := range []string{"preview.yml", "drift.yml"} {
		assert.ElementsMatch(t, allStacks(), keys(touched[file]), "%s covers every stack", file)
	}
	assert.ElementsMatch(t, []string{"platform-nonprod", "dev", "test", "staging"}, deployed(touched["nonprod.yml"]))
	assert.ElementsMatch(t, prodStacks, deployed(touched["prod.yml"]))
	for file, stacks := range touched {
		if file != "nonprod.yml" && file != "prod.yml" {
			assert.Empty(t, deployed(stacks), "%s updates no stack", file)
		}
	}

	// prod.yml: previews, then the approval, then the updates.
	stages := loadFlow(t, "prod.yml")
	approval, firstUpdate, lastPlan := -1, -1, -1
	for i, s := range stages {
		for id, job := range s.Jobs {
			switch {
			case job.Component == "ManualValidate":
				approval = i
				assert.Empty(t, job.Needs, "the approval waits only for the stage before it")
			case strings.Contains(job.script(), "tools/ci/deploy.sh"):
				if firstUpdate < 0 {
					firstUpdate = i
				}
				assert.NotEmpty(t, job.Needs, "prod.yml job %s names what it waits for", id)
			case strings.Contains(job.script(), "tools/ci/preview-summary.sh"):
				lastPlan = i
			}
		}
	}
	require.GreaterOrEqual(t, approval, 0, "prod.yml has a ManualValidate job")
	assert.Less(t, lastPlan, approval, "the approver sees the fresh previews first")
	assert.Less(t, approval, firstUpdate, "nothing in prod is updated before the approval")
}

func deployed(stacks map[string]string) []string {
	var out []string
	for s, cmd := range stacks {
		if cmd == "deploy" {
			out = append(out, s)
		}
	}
	return out
}
