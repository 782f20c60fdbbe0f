// Package images builds the stand-in images: a layer of files (the
// stand-in binary under the paths the real image uses, the directories and
// configuration the real image ships) on no base, with the entrypoint of the
// real image. Each image holds only what its real counterpart is documented
// to hold (docs/e2e.md, "Real node"): no shell in a distroless Java image.
package images

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Role is what a stand-in image plays.
type Role string

// The roles, by the real image they stand in for.
const (
	// Java is a Spring Boot service on a distroless Java base.
	Java Role = "spring"
	// Gateway is Spring Cloud Gateway on a distroless Java base.
	Gateway Role = "gateway"
	// Nginx is a single-page app on nginx (unprivileged variant).
	Nginx Role = "nginx"
	// Ingress is the ingress-nginx controller.
	Ingress Role = "ingress"
	// Nacos is nacos/nacos-server.
	Nacos Role = "nacos"
	// Pause is the pod sandbox image.
	Pause Role = "pause"
	// DNS is the cluster DNS.
	DNS Role = "dns"
	// Client is the tests' prober and load generator.
	Client Role = "client"
)

// Roles lists every role.
var Roles = []Role{Java, Gateway, Nginx, Ingress, Nacos, Pause, DNS, Client}

// ByComponent maps the program's app.kubernetes.io/component label to the
// role of the image its pods run.
var ByComponent = map[string]Role{
	"backend":    Java,
	"gateway":    Gateway,
	"frontend":   Nginx,
	"controller": Ingress,
	"nacos":      Nacos,
}

// Sources are the host files an image is made of: the static stand-in
// binary and, for images whose real base has a shell, a static busybox.
type Sources struct {
	Standin string
	Busybox string
}

type file struct {
	mode int64
	data []byte
	link string // a symlink when set
	dir  bool
}

// distroless /etc/passwd and /etc/group: root, nobody and nonroot (65532).
const passwd = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
const group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"

// busyboxApplets are the commands the real shell-carrying bases (alpine,
// debian) have and the program's hooks may call.
var busyboxApplets = []string{"sh", "sleep", "cp", "cat", "ls", "kill", "test", "[", "rm", "mkdir", "echo", "true", "false", "env", "ps", "wget"}

// Build returns the image of role, tagged with version (exported to the
// stand-in as STANDIN_VERSION, so responses tell which release served them).
func Build(role Role, version string, src Sources) (v1.Image, error) {
	bin, err := os.ReadFile(src.Standin)
	if err != nil {
		return nil, err
	}
	files := map[string]file{
		"etc/passwd": {mode: 0o644, data: []byte(passwd)},
		"etc/group":  {mode: 0o644, data: []byte(group)},
		"tmp":        {mode: 0o1777, dir: true},
	}
	withShell := func() error {
		bb, err := os.ReadFile(src.Busybox)
		if err != nil {
			return fmt.Errorf("busybox (Debian busybox-static): %w", err)
		}
		files["bin/busybox"] = file{mode: 0o755, data: bb}
		for _, a := range busyboxApplets {
			files["bin/"+a] = file{link: "/bin/busybox"}
		}
		return nil
	}
	cfg := v1.Config{Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "STANDIN_VERSION=" + version}}
	switch role {
	case Java, Gateway:
		// gcr.io/distroless/java: the JVM, CA certificates, passwd, /tmp;
		// no shell, no package manager, no curl.
		files["app/standin"] = file{mode: 0o755, data: bin}
		cfg.Entrypoint = []string{"/app/standin", string(role)}
		cfg.WorkingDir = "/app"
	case Nginx:
		// nginxinc/nginx-unprivileged (alpine): busybox, nginx on 8080, pid
		// in /tmp, temp files under /var/cache/nginx.
		if err := withShell(); err != nil {
			return nil, err
		}
		files["usr/sbin/nginx"] = file{mode: 0o755, data: bin}
		files["etc/nginx/nginx.conf"] = file{mode: 0o644, data: []byte("# stand-in: listen 8080; pid /tmp/nginx.pid;\n")}
		files["usr/share/nginx/html/index.html"] = file{mode: 0o644, data: []byte("<!doctype html><title>" + version + "</title>\n")}
		files["var/cache/nginx"] = file{mode: 0o755, dir: true}
		files["var/run"] = file{mode: 0o755, dir: true}
		cfg.Entrypoint = []string{"/usr/sbin/nginx"}
		cfg.Cmd = []string{"-g", "daemon off;"}
		cfg.StopSignal = "SIGQUIT"
	case Ingress:
		// registry.k8s.io/ingress-nginx/controller (alpine): busybox, the
		// controller, /wait-shutdown, dumb-init as entrypoint, nginx config
		// under /etc/nginx and /etc/ingress-controller.
		if err := withShell(); err != nil {
			return nil, err
		}
		for _, p := range []string{"nginx-ingress-controller", "wait-shutdown", "usr/bin/dumb-init"} {
			files[p] = file{mode: 0o755, data: bin}
		}
		files["etc/nginx/nginx.conf"] = file{mode: 0o644, data: []byte("# stand-in\n")}
		files["etc/ingress-controller/ssl"] = file{mode: 0o755, dir: true}
		files["etc/ingress-controller/auth"] = file{mode: 0o755, dir: true}
		cfg.Entrypoint = []string{"/usr/bin/dumb-init", "--"}
		cfg.Cmd = []string{"/nginx-ingress-controller"}
	case Nacos:
		// nacos/nacos-server: a Linux base with a shell, the server under
		// /home/nacos, its start script as entrypoint.
		if err := withShell(); err != nil {
			return nil, err
		}
		files["home/nacos/bin/nacos-server"] = file{mode: 0o755, data: bin}
		files["home/nacos/conf/application.properties"] = file{mode: 0o644, data: []byte("server.port=8848\n")}
		cfg.Entrypoint = []string{"/home/nacos/bin/nacos-server"}
		cfg.WorkingDir = "/home/nacos"
	case Pause:
		files["pause"] = file{mode: 0o755, data: bin}
		cfg.Entrypoint = []string{"/pause"}
	case DNS, Client:
		files["standin"] = file{mode: 0o755, data: bin}
		cfg.Entrypoint = []string{"/standin", string(role)}
	default:
		return nil, fmt.Errorf("unknown role %q", role)
	}
	layer, err := layerOf(files)
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Config = cfg
	return mutate.ConfigFile(img, cf)
}

// layerOf writes files as one tar layer, parents first, in a fixed order
// with a fixed time, so the same inputs give the same digest.
func layerOf(files map[string]file) (v1.Layer, error) {
	dirs := map[string]bool{}
	for p := range files {
		for d := parent(p); d != ""; d = parent(d) {
			dirs[d] = true
		}
	}
	for d := range dirs {
		if _, ok := files[d]; !ok {
			files[d] = file{mode: 0o755, dir: true}
		}
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	for _, p := range paths {
		f := files[p]
		h := &tar.Header{Name: p, Mode: f.mode, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case f.dir:
			h.Typeflag, h.Name = tar.TypeDir, p+"/"
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.link, 0o777
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

func parent(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}
