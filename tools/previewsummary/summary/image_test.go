package summary_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/ack-platform/ack-platform/tools/previewsummary/summary"
)

func TestParseImageRef(t *testing.T) {
	t.Parallel()
	const digest = "sha256:9b2c6d0a5f4e3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a49"
	cases := []struct {
		ref     string
		want    summary.ImageRef
		version string
	}{
		{
			ref:     "nginx",
			want:    summary.ImageRef{Repository: "nginx"},
			version: "latest",
		},
		{
			ref:     "nginx:1.27-alpine",
			want:    summary.ImageRef{Repository: "nginx", Tag: "1.27-alpine"},
			version: "1.27-alpine",
		},
		{
			ref:     "registry-vpc.cn-hangzhou.aliyuncs.com/ack-platform/gateway:1.4.3",
			want:    summary.ImageRef{Registry: "registry-vpc.cn-hangzhou.aliyuncs.com", Repository: "ack-platform/gateway", Tag: "1.4.3"},
			version: "1.4.3",
		},
		{
			ref:     "localhost:5000/gateway",
			want:    summary.ImageRef{Registry: "localhost:5000", Repository: "gateway"},
			version: "latest",
		},
		{
			ref:     "registry.local:5000/team/order-service:2.8.0@" + digest,
			want:    summary.ImageRef{Registry: "registry.local:5000", Repository: "team/order-service", Tag: "2.8.0", Digest: digest},
			version: "2.8.0@sha256:9b2c6d0a5f4e",
		},
		{
			ref:     "registry.local:5000/team/order-service@" + digest,
			want:    summary.ImageRef{Registry: "registry.local:5000", Repository: "team/order-service", Digest: digest},
			version: "@sha256:9b2c6d0a5f4e",
		},
		{
			ref:     "localhost/app:dev",
			want:    summary.ImageRef{Registry: "localhost", Repository: "app", Tag: "dev"},
			version: "dev",
		},
		{
			ref:     "library/busybox:1.36",
			want:    summary.ImageRef{Repository: "library/busybox", Tag: "1.36"},
			version: "1.36",
		},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			t.Parallel()
			got := summary.ParseImageRef(tc.ref)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.version, got.Version())
		})
	}
}

// TestImageChangeColumns covers the table cells: repository moves show the
// repository, unknown and secret values are named, not printed raw.
func TestImageChangeColumns(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name               string
		oldImage, newImage string
		wantOld, wantNew   string
	}{
		{"tag only", "r.example.com/a/svc:1", "r.example.com/a/svc:2", "1", "2"},
		{"registry moves", "registry.cn-hangzhou.aliyuncs.com/a/svc:1", "registry-vpc.cn-hangzhou.aliyuncs.com/a/svc:1",
			"registry.cn-hangzhou.aliyuncs.com/a/svc:1", "registry-vpc.cn-hangzhou.aliyuncs.com/a/svc:1"},
		{"pinned by digest", "svc:1", "svc:1@sha256:0123456789abcdef0123", "1", "1@sha256:0123456789ab"},
		{"known after apply", "svc:1", "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "1", "(known after apply)"},
		{"secret", "svc:1", "[secret]", "1", "[secret]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			doc := `{"steps": [{"op": "update", "urn": "urn:pulumi:dev::p::kubernetes:apps/v1:StatefulSet::dev-svc",
				"oldState": ` + stsState(tc.oldImage) + `, "newState": ` + stsState(tc.newImage) + `, "detailedDiff": null}]}`
			d, err := summary.Parse(strings.NewReader(doc))
			assert.NoError(t, err)
			rep := summary.Build(d, "dev")
			if assert.Len(t, rep.Images, 1) {
				img := rep.Images[0]
				assert.Equal(t, "dev", img.Environment)
				assert.Equal(t, "svc", img.Service)
				assert.Equal(t, tc.wantOld, img.Old)
				assert.Equal(t, tc.wantNew, img.New)
			}
		})
	}
}

func stsState(image string) string {
	return `{"urn": "urn:pulumi:dev::p::kubernetes:apps/v1:StatefulSet::dev-svc", "custom": true,
		"type": "kubernetes:apps/v1:StatefulSet", "inputs": {"metadata": {"name": "svc", "namespace": "dev"},
		"spec": {"template": {"spec": {"containers": [{"name": "svc", "image": "` + image + `"}]}}}}}`
}
