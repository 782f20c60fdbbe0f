package emulated_test

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ack-platform/ack-platform/tools/emulator/emulated"
)

// fakeAPIServer answers the three calls the credential invoke makes, as
// kube-apiserver does, with a new token on each TokenRequest.
func fakeAPIServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var issued atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer admin-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch {
		case r.URL.Path == "/api/v1/namespaces/kube-system/serviceaccounts":
			w.WriteHeader(http.StatusConflict) // exists already
		case r.URL.Path == "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings":
			w.WriteHeader(http.StatusCreated)
		case strings.HasSuffix(r.URL.Path, "/serviceaccounts/ack-emulated-cluster-admin/token"):
			n := issued.Add(1)
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"status":{"token":"token-%d","expirationTimestamp":%q}}`, n,
				time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &issued
}

func TestCredentialInvokeIssuesANewTokenEachCall(t *testing.T) {
	srv, issued := fakeAPIServer(t)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kc, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: admin
  user:
    token: admin-token
`, srv.URL, base64.StdEncoding.EncodeToString(ca))), 0o600))

	r := root(t)
	schema, err := os.ReadFile(filepath.Join(r, "sdks", "alicloud", "schema.json"))
	require.NoError(t, err)
	flags, err := os.ReadFile(filepath.Join(r, "tools", "emulator", "alicloud-tf-flags.json"))
	require.NoError(t, err)
	p, err := emulated.New(emulated.Options{Schema: schema, Flags: flags, StateDir: t.TempDir(), Kubeconfig: kc})
	require.NoError(t, err)

	invoke := func(id string) (resource.PropertyMap, error) {
		resp, err := p.Invoke(context.Background(), plugin.InvokeRequest{Tok: emulated.CredentialToken,
			Args: props(map[string]any{"clusterId": id, "temporaryDurationMinutes": 120})})
		return resp.Properties, err
	}
	_, err = invoke("c-missing")
	assert.ErrorContains(t, err, "ErrorClusterNotFound", "no credential for a cluster that does not exist")

	id, _ := mustCreate(t, p, clusT, "ack", map[string]any{"name": "prod"})
	first, err := invoke(id)
	require.NoError(t, err)
	second, err := invoke(id)
	require.NoError(t, err)
	assert.EqualValues(t, 2, issued.Load())

	require.True(t, first["kubeConfig"].IsSecret(), "the kubeconfig is a secret")
	a, b := first["kubeConfig"].SecretValue().Element.StringValue(), second["kubeConfig"].SecretValue().Element.StringValue()
	assert.Contains(t, a, "token: token-1")
	assert.Contains(t, b, "token: token-2")
	assert.Contains(t, a, "server: "+srv.URL)
	assert.Equal(t, "prod", first["clusterName"].StringValue())
	assert.Equal(t, "2030-01-01T00:00:00Z", first["expiration"].StringValue())
}
