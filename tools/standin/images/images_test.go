package images

import (
	"archive/tar"
	"io"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// files lists the paths of an image's filesystem.
func files(t *testing.T, role Role) map[string]bool {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	img, err := Build(role, "1.0.0", Sources{Standin: self, Busybox: self})
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out["/"+h.Name] = true
	}
}

// A distroless Java image has no shell and no curl: the stand-in must not
// have them either, or a hook that needs them would pass here and fail in
// production.
func TestJavaImagesHaveNoShell(t *testing.T) {
	for _, role := range []Role{Java, Gateway} {
		fs := files(t, role)
		for _, p := range []string{"/bin/sh", "/bin/busybox", "/usr/bin/curl", "/bin/sleep"} {
			if fs[p] {
				t.Errorf("%s image holds %s", role, p)
			}
		}
		if !fs["/app/standin"] || !fs["/tmp"] {
			t.Errorf("%s image lacks the application or /tmp: %v", role, fs)
		}
	}
}

// The images whose real base has a shell carry one.
func TestShellImagesHaveAShell(t *testing.T) {
	for _, role := range []Role{Nginx, Ingress, Nacos} {
		fs := files(t, role)
		if !fs["/bin/sh"] || !fs["/bin/sleep"] {
			t.Errorf("%s image has no /bin/sh or /bin/sleep", role)
		}
	}
}

// The same inputs give the same image: a pull after a restart of the
// registry finds the digest it knew.
func TestBuildIsReproducible(t *testing.T) {
	self, _ := os.Executable()
	a, err := Build(Java, "2.0.0", Sources{Standin: self})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Build(Java, "2.0.0", Sources{Standin: self})
	c, _ := Build(Java, "2.0.1", Sources{Standin: self})
	da, _ := a.Digest()
	db, _ := b.Digest()
	dc, _ := c.Digest()
	if da != db || da == dc {
		t.Errorf("digests: same inputs %s / %s, other tag %s", da, db, dc)
	}
}
