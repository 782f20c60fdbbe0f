package emulated

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// The credential invoke answers with a kubeconfig for the harness's local
// cluster. Each call asks the API server for a new service-account token
// (TokenRequest), so every call returns a different, valid credential, as
// cs GetClusterCredential / DescribeClusterUserKubeconfig does: the
// rehearsal sees a credential change on every run, for real.
const (
	credentialNamespace = "kube-system"
	credentialAccount   = "ack-emulated-cluster-admin"
)

type kubeconfig struct {
	Clusters []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server string `yaml:"server"`
			CAData string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		User struct {
			Token string `yaml:"token"`
		} `yaml:"user"`
	} `yaml:"users"`
}

// localCluster is the admin access the harness hands the emulator.
type localCluster struct {
	server, caData, token string
	client                *http.Client
}

func openLocalCluster(path string) (*localCluster, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var kc kubeconfig
	if err := yaml.Unmarshal(b, &kc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(kc.Clusters) == 0 || len(kc.Users) == 0 || kc.Users[0].User.Token == "" {
		return nil, fmt.Errorf("%s: want a cluster and a user with a bearer token", path)
	}
	ca, err := base64.StdEncoding.DecodeString(kc.Clusters[0].Cluster.CAData)
	if err != nil {
		return nil, fmt.Errorf("%s: certificate-authority-data: %w", path, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s: no CA certificate", path)
	}
	return &localCluster{
		server: kc.Clusters[0].Cluster.Server,
		caData: kc.Clusters[0].Cluster.CAData,
		token:  kc.Users[0].User.Token,
		client: &http.Client{
			Timeout:   20 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
		},
	}, nil
}

// call sends a JSON request as admin; codes lists the accepted statuses.
func (c *localCluster) call(ctx context.Context, method, path string, body any, out any, codes ...int) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, code := range codes {
		if resp.StatusCode == code {
			if out != nil {
				return json.Unmarshal(data, out)
			}
			return nil
		}
	}
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
}

// issue returns a kubeconfig with a new token valid for ttl, and its expiry.
func (c *localCluster) issue(ctx context.Context, clusterID string, ttl time.Duration) (string, time.Time, error) {
	sa := map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": credentialAccount, "namespace": credentialNamespace}}
	if err := c.call(ctx, http.MethodPost, "/api/v1/namespaces/"+credentialNamespace+"/serviceaccounts", sa, nil,
		http.StatusCreated, http.StatusConflict); err != nil {
		return "", time.Time{}, err
	}
	crb := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": credentialAccount},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": credentialAccount, "namespace": credentialNamespace}}}
	if err := c.call(ctx, http.MethodPost, "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", crb, nil,
		http.StatusCreated, http.StatusConflict); err != nil {
		return "", time.Time{}, err
	}
	treq := map[string]any{"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
		"spec": map[string]any{"expirationSeconds": int64(ttl.Seconds())}}
	var tresp struct {
		Status struct {
			Token               string    `json:"token"`
			ExpirationTimestamp time.Time `json:"expirationTimestamp"`
		} `json:"status"`
	}
	if err := c.call(ctx, http.MethodPost,
		"/api/v1/namespaces/"+credentialNamespace+"/serviceaccounts/"+credentialAccount+"/token", treq, &tresp,
		http.StatusCreated, http.StatusOK); err != nil {
		return "", time.Time{}, err
	}
	user := "kubernetes-admin-" + clusterID
	cfg := map[string]any{
		"apiVersion": "v1", "kind": "Config",
		"clusters": []any{map[string]any{"name": clusterID, "cluster": map[string]any{
			"server": c.server, "certificate-authority-data": c.caData}}},
		"users": []any{map[string]any{"name": user, "user": map[string]any{"token": tresp.Status.Token}}},
		"contexts": []any{map[string]any{"name": user + "@" + clusterID, "context": map[string]any{
			"cluster": clusterID, "user": user}}},
		"current-context": user + "@" + clusterID,
		"preferences":     map[string]any{},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return "", time.Time{}, err
	}
	return string(out), tresp.Status.ExpirationTimestamp, nil
}
