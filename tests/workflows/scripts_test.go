package workflows_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce    sync.Once
	summaryTool  string
	summaryError error
)

// previewSummaryTool builds tools/previewsummary once for the script tests.
func previewSummaryTool(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "previewsummary")
		if err != nil {
			summaryError = err
			return
		}
		summaryTool = filepath.Join(dir, "previewsummary")
		cmd := exec.Command("go", "build", "-o", summaryTool, "./tools/previewsummary")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			summaryError = errors.New(string(out))
		}
	})
	require.NoError(t, summaryError)
	return summaryTool
}

// fakePulumi puts a `pulumi` on PATH that prints a recorded preview for
// `pulumi preview` and logs every `pulumi up` to a file.
func fakePulumi(t *testing.T, fixture string) (env []string, upLog string) {
	t.Helper()
	dir := t.TempDir()
	upLog = filepath.Join(dir, "up.log")
	preview := filepath.Join(repoRoot(t), "tools", "previewsummary", "summary", "testdata", fixture)
	script := "#!/usr/bin/env bash\ncase $1 in\npreview) echo \"$*\" >> " + filepath.Join(dir, "preview.log") + "; cat " + preview + " ;;\n" +
		"up) echo \"$*\" >> " + upLog + " ;;\nlogin) ;;\n*) exit 9 ;;\nesac\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755))
	env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "PREVIEWSUMMARY="+previewSummaryTool(t))
	return env, upLog
}

func runScript(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", args...)
	cmd.Dir = repoRoot(t)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	require.NoError(t, err, "%s", out)
	return 0, string(out)
}

func fingerprint(t *testing.T, fixture string) string {
	t.Helper()
	out, err := exec.Command(previewSummaryTool(t), "-fingerprint", "-in",
		filepath.Join(repoRoot(t), "tools", "previewsummary", "summary", "testdata", fixture)).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// tools/ci/deploy.sh applies the approved plan and refuses any other.
func TestDeployScriptEnforcesTheApprovedPlan(t *testing.T) {
	t.Parallel()
	approved := fingerprint(t, "crafted-image-update.json")

	env, upLog := fakePulumi(t, "crafted-image-update.json")
	code, out := runScript(t, env, "tools/ci/deploy.sh", "prod", t.TempDir(), approved)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "is the approved one")
	up, err := os.ReadFile(upLog)
	require.NoError(t, err)
	assert.Equal(t, "up --stack prod --yes --non-interactive --diff\n", string(up))

	// Another plan than the approved one: nothing is updated.
	env, upLog = fakePulumi(t, "crafted-replace.json")
	code, out = runScript(t, env, "tools/ci/deploy.sh", "prod", t.TempDir(), approved)
	assert.Equal(t, 4, code, out)
	assert.Contains(t, out, "changed since it was approved")
	assert.NoFileExists(t, upLog)

	// Without an approval (non-production), it previews and updates.
	env, upLog = fakePulumi(t, "crafted-replace.json")
	code, out = runScript(t, env, "tools/ci/deploy.sh", "dev", t.TempDir())
	require.Equal(t, 0, code, out)
	assert.FileExists(t, upLog)
}

// tools/ci/drift.sh: exit 3 on drift, 0 when only the credential was renewed.
func TestDriftScript(t *testing.T) {
	t.Parallel()
	for fixture, want := range map[string]int{
		"crafted-no-changes.json":      0,
		"crafted-credential-only.json": 0,
		"crafted-image-update.json":    3,
	} {
		env, upLog := fakePulumi(t, fixture)
		out := t.TempDir()
		code, log := runScript(t, env, "tools/ci/drift.sh", "dev", out)
		assert.Equal(t, want, code, "%s: %s", fixture, log)
		summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(summary), "### Pulumi preview for `dev`"), fixture)
		previews, err := os.ReadFile(filepath.Join(filepath.Dir(upLog), "preview.log"))
		require.NoError(t, err)
		assert.Contains(t, string(previews), "--refresh --run-program", "drift compares with the real resources, reached with a fresh credential")
		assert.NoFileExists(t, upLog, "a drift check changes nothing")
	}
}

// tools/ci/flow-run.sh gives the command the identity it names, and only that one.
func TestFlowRunPicksTheIdentity(t *testing.T) {
	t.Parallel()
	env, _ := fakePulumi(t, "crafted-no-changes.json")
	env = append(env, "PULUMI_BACKEND_URL=s3://state", "OSS_ACCESS_KEY_ID=oss-id", "OSS_ACCESS_KEY_SECRET=oss-secret",
		"PULUMI_CONFIG_PASSPHRASE=p", "PREVIEW_ACCESS_KEY_ID=preview-id", "PREVIEW_ACCESS_KEY_SECRET=preview-secret",
		"PROD_ACCESS_KEY_ID=prod-id", "PROD_ACCESS_KEY_SECRET=prod-secret")
	show := `echo "$ALICLOUD_ACCESS_KEY $ALICLOUD_SECRET_KEY $AWS_ACCESS_KEY_ID"`
	code, out := runScript(t, env, "tools/ci/flow-run.sh", "PREVIEW", "bash", "-c", show)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "preview-id preview-secret oss-id")
	code, out = runScript(t, env, "tools/ci/flow-run.sh", "PROD", "bash", "-c", show)
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "prod-id prod-secret oss-id")
	code, out = runScript(t, env, "tools/ci/flow-run.sh", "NONPROD", "true")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "NONPROD_ACCESS_KEY_ID")
	code, _ = runScript(t, env, "tools/ci/flow-run.sh", "ADMIN", "true")
	assert.Equal(t, 2, code)
}
