package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fixture(name string) string { return "summary/testdata/" + name }

func TestDriftExitsOnChangesOnly(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fixture string
		drift   bool
	}{
		{"crafted-no-changes.json", false},
		{"crafted-credential-only.json", false}, // a fresh credential is no drift
		{"crafted-image-update.json", true},
		{"crafted-provider-change.json", true},
	}
	for _, tc := range cases {
		t.Run(tc.fixture, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := run([]string{"-drift", "-in", fixture(tc.fixture)}, nil, &out)
			if tc.drift {
				assert.ErrorIs(t, err, errDrift)
			} else {
				assert.NoError(t, err)
			}
			assert.True(t, strings.HasPrefix(out.String(), "### Pulumi preview"), "the summary is written either way")
		})
	}
}

func TestFingerprintFlag(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	require.NoError(t, run([]string{"-fingerprint", "-in", fixture("crafted-credential-refresh.json")}, nil, &a))
	data, err := os.ReadFile(fixture("crafted-credential-only.json"))
	require.NoError(t, err)
	require.NoError(t, run([]string{"-fingerprint"}, bytes.NewReader(data), &b))
	assert.Regexp(t, `^[0-9a-f]{64}\n$`, a.String())
	assert.NotEqual(t, a.String(), b.String(), "an image update changes the plan")
}
