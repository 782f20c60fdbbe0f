// Package kubeapi is the little of the Kubernetes API the host-side
// stand-ins read (pods, services, endpoint slices, ingresses) and the
// statuses they write, over HTTPS with a bearer
// token. client-go would pull most of Kubernetes into a tool that only lists
// four kinds.
package kubeapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Client talks to one API server.
type Client struct {
	server, token string
	http          *http.Client
}

// New returns a client for server (https://host:port), authenticating with
// the token in tokenFile and trusting the CA in caFile.
func New(server, tokenFile, caFile string) (*Client, error) {
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s: no certificate", caFile)
	}
	return &Client{
		server: strings.TrimRight(server, "/"),
		token:  strings.TrimSpace(string(tok)),
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		}},
	}, nil
}

// Get decodes the JSON at path into out.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, "", nil, out)
}

// do sends one request with the client's token and, when out is set,
// decodes the JSON answer into it; anything but 200 is an error.
func (c *Client) do(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.server+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Meta is the part of metadata the stand-ins use.
type Meta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

// Container is an image and a name.
type Container struct {
	Name  string `json:"name"`
	Image string `json:"image"`
}

// Pod is a pod's labels and containers.
type Pod struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		Containers     []Container `json:"containers"`
		InitContainers []Container `json:"initContainers"`
	} `json:"spec"`
}

// Pods lists every pod of the cluster.
func (c *Client) Pods(ctx context.Context) ([]Pod, error) {
	var l struct{ Items []Pod }
	err := c.Get(ctx, "/api/v1/pods", &l)
	return l.Items, err
}

// Service is a service's name, type, cluster IP ("None" when headless)
// and load balancer status.
type Service struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		Type      string `json:"type"`
		ClusterIP string `json:"clusterIP"`
	} `json:"spec"`
	Status struct {
		LoadBalancer LoadBalancerStatus `json:"loadBalancer"`
	} `json:"status"`
}

// LoadBalancerStatus is the address a load balancer publishes.
type LoadBalancerStatus struct {
	Ingress []struct {
		IP string `json:"ip,omitempty"`
	} `json:"ingress,omitempty"`
}

// Ingress is an Ingress's name, class and status.
type Ingress struct {
	Metadata Meta `json:"metadata"`
	Spec     struct {
		IngressClassName string `json:"ingressClassName"`
	} `json:"spec"`
	Status struct {
		LoadBalancer LoadBalancerStatus `json:"loadBalancer"`
	} `json:"status"`
}

// Ingresses lists every Ingress of the cluster.
func (c *Client) Ingresses(ctx context.Context) ([]Ingress, error) {
	var l struct{ Items []Ingress }
	err := c.Get(ctx, "/apis/networking.k8s.io/v1/ingresses", &l)
	return l.Items, err
}

// PatchStatus merges patch (JSON) into the status subresource at path
// (the object's own path, without /status).
func (c *Client) PatchStatus(ctx context.Context, path string, patch []byte) error {
	return c.do(ctx, http.MethodPatch, path+"/status", "application/merge-patch+json", patch, nil)
}

// Services lists every service of the cluster.
func (c *Client) Services(ctx context.Context) ([]Service, error) {
	var l struct{ Items []Service }
	err := c.Get(ctx, "/api/v1/services", &l)
	return l.Items, err
}

// EndpointSlice holds a service's endpoints.
type EndpointSlice struct {
	Metadata    Meta `json:"metadata"`
	AddressType string
	Endpoints   []struct {
		Addresses  []string `json:"addresses"`
		Hostname   string   `json:"hostname"`
		Conditions struct {
			Ready *bool `json:"ready"`
		} `json:"conditions"`
	} `json:"endpoints"`
}

// EndpointSlices lists every endpoint slice of the cluster.
func (c *Client) EndpointSlices(ctx context.Context) ([]EndpointSlice, error) {
	var l struct{ Items []EndpointSlice }
	err := c.Get(ctx, "/apis/discovery.k8s.io/v1/endpointslices", &l)
	return l.Items, err
}
