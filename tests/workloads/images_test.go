package workloads_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tests/internal/kubecheck"
	"github.com/ack-platform/ack-platform/tests/internal/stackconfig"
)

// imageRow is one row of docs/images.md: what an image needs.
type imageRow struct {
	repository string   // match by image repository
	components []string // or by app.kubernetes.io/component
	caps       []string
	shell      bool
}

// imageTable parses docs/images.md, the committed table of each image's
// documented requirements.
func imageTable(t *testing.T) []imageRow {
	t.Helper()
	f, err := os.Open(filepath.Join(stackconfig.Root(t), "docs", "images.md"))
	require.NoError(t, err)
	defer f.Close()
	var rows []imageRow
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| image ") {
			continue
		}
		cols := strings.Split(line, "|")
		require.GreaterOrEqual(t, len(cols), 6, "row %q", line)
		match, caps, shell := strings.TrimSpace(cols[2]), strings.TrimSpace(cols[3]), strings.TrimSpace(cols[4])
		r := imageRow{shell: shell == "yes"}
		switch {
		case strings.HasPrefix(match, "repository "):
			r.repository = strings.Trim(strings.TrimPrefix(match, "repository "), "`")
		case strings.HasPrefix(match, "component "):
			for _, c := range strings.Split(strings.TrimPrefix(match, "component "), ",") {
				r.components = append(r.components, strings.Trim(strings.TrimSpace(c), "`"))
			}
		default:
			t.Fatalf("docs/images.md: match %q is neither `repository x` nor `component a, b`", match)
		}
		if caps != "none" {
			r.caps = strings.Split(strings.ReplaceAll(caps, " ", ""), ",")
		}
		require.Contains(t, cols[5], "(", "row %q cites no source", match)
		rows = append(rows, r)
	}
	require.GreaterOrEqual(t, len(rows), 4)
	return rows
}

func (r imageRow) String() string {
	if r.repository != "" {
		return "repository " + r.repository
	}
	return "component " + strings.Join(r.components, ",")
}

// Every container of every workload gets the capabilities its image
// needs and no more, runs a shell only where its image has one, and pulls
// from the company registry: never registry.k8s.io or Docker Hub.
func TestContainersGetWhatTheirImageNeeds(t *testing.T) {
	t.Parallel()
	table := imageTable(t)
	cases := map[string]map[string]string{
		"local":           nil,
		"local-prod-tier": merge(prodNacos(true), map[string]string{"ack-platform:tier": "prod"}),
	}
	checked := map[string]bool{}
	for name, overrides := range cases {
		res, _ := mustRun(t, "local", overrides)
		for _, w := range kubecheck.Workloads(objects(res)) {
			in := kubecheck.Plain(w.Inputs)
			component := kubecheck.StrMap(in, "spec.template.metadata.labels")["app.kubernetes.io/component"]
			pod := kubecheck.Get(in, "spec.template.spec")
			containers := append(kubecheck.List(pod, "initContainers"), kubecheck.List(pod, "containers")...)
			for _, c := range containers {
				id := fmt.Sprintf("%s: %s %s container %s", name, kubecheck.Kind(w.Type), kubecheck.Str(in, "metadata.name"), kubecheck.Str(c, "name"))
				image := kubecheck.Str(c, "image")
				host := image[:strings.Index(image, "/")]
				assert.Equal(t, "registry.cn-hangzhou.aliyuncs.com", host, "%s pulls %s from outside the company registry", id, image)
				repo := image[strings.LastIndex(image, "/")+1:]
				repo = repo[:strings.IndexAny(repo+":@", ":@")]
				var row *imageRow
				for i, r := range table {
					if r.repository == repo || (r.repository == "" && slices.Contains(r.components, component)) {
						row = &table[i]
						break
					}
				}
				if !assert.NotNil(t, row, "%s: image %s has no row in docs/images.md", id, image) {
					continue
				}
				checked[row.String()] = true
				added := stringsOf(kubecheck.Get(c, "securityContext.capabilities.add"))
				isInit := slices.ContainsFunc(kubecheck.List(pod, "initContainers"), func(ic kubecheck.M) bool { return kubecheck.Str(ic, "name") == kubecheck.Str(c, "name") })
				if !isInit {
					// The image's entrypoint needs the row's capabilities;
					// an init container runs its own command (a shell copy).
					for _, need := range row.caps {
						assert.Contains(t, added, need, "%s: %s needs %s in its bounding set (docs/images.md)", id, row, need)
					}
				}
				for _, a := range added {
					assert.Contains(t, row.caps, a, "%s adds %s, which docs/images.md does not document for %s", id, a, row)
				}
				usesShell := strings.HasPrefix(strings.Join(stringsOf(kubecheck.Get(c, "command")), " "), "/bin/sh") ||
					strings.HasPrefix(strings.Join(stringsOf(kubecheck.Get(c, "lifecycle.preStop.exec.command")), " "), "/bin/sh")
				if usesShell {
					assert.True(t, row.shell, "%s runs /bin/sh, which %s does not have", id, row)
				}
			}
		}
	}
	for _, r := range table {
		assert.True(t, checked[r.String()], "docs/images.md row %s matched no container", r)
	}
}

func stringsOf(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}
