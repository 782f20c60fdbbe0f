// Package registry serves the stand-in images to containerd, which the
// local node points at it for every registry host (a hosts.toml mirror per
// host). An image is built the first time a reference is asked for: its role
// comes from the pod that runs it (the program's app.kubernetes.io/component
// label), so the registry serves exactly the references the program renders
// and needs no list of them. Images the cluster itself needs (the pause
// image, the DNS, the tests' client) are named on the command line.
package registry

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ack-platform/tools/standin/images"
	"ack-platform/tools/standin/kubeapi"
)

// Server is the registry.
type Server struct {
	// Self is host:port the server listens on; it pushes built images to itself.
	Self string
	// System maps a normalised reference to the role of a cluster image.
	System map[string]images.Role
	API    *kubeapi.Client
	Src    images.Sources

	once  sync.Once
	inner http.Handler
	mu    sync.Mutex
	built map[string]bool
}

// Normalize returns the canonical form of an image reference
// (index.docker.io/library/nginx:latest for nginx).
func Normalize(ref string) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", err
	}
	return r.Context().RegistryStr() + "/" + r.Context().RepositoryStr() + ":" + r.Identifier(), nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(func() {
		s.inner = ggcr.New(ggcr.Logger(log.New(log.Writer(), "[registry] ", log.LstdFlags)))
		s.built = map[string]bool{}
	})
	// containerd asks a mirror for /v2/<repository>/manifests/<tag> with the
	// original registry host in ?ns=.
	if repo, tag, ok := manifestPath(r.URL.Path); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// Without ?ns= the request is the server's own push (remote.Write
		// checks what exists first): serve what is stored.
		host := r.URL.Query().Get("ns")
		if host == "" {
			s.inner.ServeHTTP(w, r)
			return
		}
		if err := s.ensure(r.Context(), host, repo, tag); err != nil {
			log.Printf("%s/%s:%s: %v", host, repo, tag, err)
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
	}
	s.inner.ServeHTTP(w, r)
}

func manifestPath(p string) (repo, tag string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	i := strings.LastIndex(rest, "/manifests/")
	if i < 0 {
		return "", "", false
	}
	return rest[:i], rest[i+len("/manifests/"):], true
}

// ensure builds and stores host/repo:tag unless it is there already.
func (s *Server) ensure(ctx context.Context, host, repo, tag string) error {
	if strings.HasPrefix(tag, "sha256:") {
		return nil // a digest: only images built here have one
	}
	want, err := Normalize(host + "/" + repo + ":" + tag)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.built[want] {
		return nil
	}
	role, err := s.roleOf(ctx, want)
	if err != nil {
		return err
	}
	img, err := images.Build(role, tag, s.Src)
	if err != nil {
		return err
	}
	dst, err := name.ParseReference(s.Self+"/"+repo+":"+tag, name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.Write(dst, img, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("storing the %s image: %w", role, err)
	}
	s.built[want] = true
	log.Printf("built %s as the %s stand-in", want, role)
	return nil
}

// roleOf finds the role of an image: a cluster image named on the command
// line, else the component label of a pod running it.
func (s *Server) roleOf(ctx context.Context, ref string) (images.Role, error) {
	if role, ok := s.System[ref]; ok {
		return role, nil
	}
	if s.API == nil {
		return "", fmt.Errorf("%s is not a cluster image and no API server is configured", ref)
	}
	pods, err := s.API.Pods(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range pods {
		for _, c := range append(p.Spec.Containers, p.Spec.InitContainers...) {
			if n, err := Normalize(c.Image); err != nil || n != ref {
				continue
			}
			comp := p.Metadata.Labels["app.kubernetes.io/component"]
			if role, ok := images.ByComponent[comp]; ok {
				return role, nil
			}
			return "", fmt.Errorf("pod %s/%s runs %s with component label %q, which no stand-in plays",
				p.Metadata.Namespace, p.Metadata.Name, ref, comp)
		}
	}
	return "", fmt.Errorf("no pod runs %s", ref)
}
