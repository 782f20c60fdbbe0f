package e2e_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// needle is one encoding of a secret value to look for.
type needle struct {
	what string // e.g. `kubeconfig token, base64 (std)`
	text []byte
}

// needles returns every form in which a secret value could leak: plain,
// base64 in the standard and URL alphabets, with and without padding, at
// each of the three byte alignments it can have inside a longer encoded
// text, and base64 of its base64 (a Kubernetes Secret's data, encoded once
// more as in a kubeconfig or a rendered manifest).
func needles(name, value string) []needle {
	out := []needle{{what: name + ", plain", text: []byte(value)}}
	once := base64.StdEncoding.EncodeToString([]byte(value))
	for _, enc := range []struct {
		name string
		e    *base64.Encoding
	}{{"std", base64.StdEncoding}, {"url", base64.URLEncoding}} {
		out = append(out, needle{what: name + ", base64 " + enc.name, text: []byte(enc.e.EncodeToString([]byte(value)))})
		for shift := 0; shift < 3; shift++ {
			if mid := alignedBase64(enc.e, value, shift); len(mid) >= 8 {
				out = append(out, needle{what: fmt.Sprintf("%s, base64 %s inside a longer text (offset %d)", name, enc.name, shift), text: []byte(mid)})
			}
		}
		out = append(out, needle{what: name + ", base64 " + enc.name + " of its base64", text: []byte(enc.e.EncodeToString([]byte(once)))})
	}
	return out
}

// alignedBase64 is the part of the base64 of (shift bytes + value) that
// depends on value's bytes only: what any text holding value at that
// alignment contains once encoded, whatever surrounds it.
func alignedBase64(e *base64.Encoding, value string, shift int) string {
	enc := e.WithPadding(base64.NoPadding).EncodeToString([]byte(strings.Repeat("\x00", shift) + value))
	start := 0
	if shift > 0 {
		start = 4 // the first group mixes the filler with value's first bytes
	}
	end := (shift + len(value)) / 3 * 4 // complete groups only
	if end <= start {
		return ""
	}
	return enc[start:end]
}

// leak is a needle found in a file.
type leak struct {
	file, what string
}

// scanForSecrets walks every file under each root (gzip files are also
// read decompressed) and reports each needle it finds. It returns how many
// files it read, so a test can tell an empty walk from a clean one.
func scanForSecrets(roots []string, ns []needle) ([]leak, int, error) {
	var leaks []leak
	files := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			contents := [][]byte{b}
			if bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
				if zr, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
					if u, err := io.ReadAll(zr); err == nil {
						contents = append(contents, u)
					}
				}
			}
			for _, n := range ns {
				for _, c := range contents {
					if bytes.Contains(c, n.text) {
						leaks = append(leaks, leak{file: path, what: n.what})
						break
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, files, err
		}
	}
	return leaks, files, nil
}
