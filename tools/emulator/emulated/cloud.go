package emulated

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// Cloud is the emulated account: every resource that exists, on disk, so
// that it outlives the plugin process (the engine starts one per command)
// and is shared by every stack of a rehearsal, as one real account is.
type Cloud struct {
	dir string
}

// Record is one existing resource.
type Record struct {
	Type    string               `json:"type"`
	URN     string               `json:"urn"`
	ID      string               `json:"id"`
	Created string               `json:"created"`
	Outputs resource.PropertyMap `json:"-"`
	Raw     json.RawMessage      `json:"outputs"`
}

// OpenCloud opens (creating it if needed) the account kept in dir.
func OpenCloud(dir string) (*Cloud, error) {
	if err := os.MkdirAll(filepath.Join(dir, "resources"), 0o700); err != nil {
		return nil, err
	}
	return &Cloud{dir: dir}, nil
}

// locked runs fn holding the account's lock, across processes.
func (c *Cloud) locked(fn func() error) error {
	f, err := os.OpenFile(filepath.Join(c.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN) //nolint:errcheck
	return fn()
}

func (c *Cloud) path(id string) string {
	return filepath.Join(c.dir, "resources", hex.EncodeToString([]byte(id))+".json")
}

// Get returns the resource with id, or nil when it does not exist.
func (c *Cloud) Get(id string) (*Record, error) {
	b, err := os.ReadFile(c.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("cloud record %s: %w", id, err)
	}
	var st structpb.Struct
	if err := protojson.Unmarshal(rec.Raw, &st); err != nil {
		return nil, fmt.Errorf("cloud record %s: %w", id, err)
	}
	rec.Outputs, err = plugin.UnmarshalProperties(&st, plugin.MarshalOptions{KeepSecrets: true})
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// Put stores a resource.
func (c *Cloud) Put(rec *Record) error {
	st, err := plugin.MarshalProperties(rec.Outputs, plugin.MarshalOptions{KeepSecrets: true})
	if err != nil {
		return err
	}
	rec.Raw, err = protojson.Marshal(st)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.path(rec.ID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, c.path(rec.ID))
}

// Remove deletes a resource.
func (c *Cloud) Remove(id string) error {
	err := os.Remove(c.path(id))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// List returns every resource of a type token, in id order.
func (c *Cloud) List(token string) ([]*Record, error) {
	entries, err := os.ReadDir(filepath.Join(c.dir, "resources"))
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, e := range entries {
		if filepath.Ext(e.Name()) != ".json" {
			continue
		}
		raw, err := hex.DecodeString(e.Name()[:len(e.Name())-len(".json")])
		if err != nil {
			continue
		}
		rec, err := c.Get(string(raw))
		if err != nil {
			return nil, err
		}
		if rec != nil && rec.Type == token {
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NewID returns an id for a new resource of urn: derived from the URN and
// how many resources of that URN the account has created so far, so the
// ids of a rehearsal are the same on every run, and a replacement (created
// while the old resource still exists) gets a new one.
func (c *Cloud) NewID(urn, prefix string) (string, error) {
	counts := map[string]int{}
	p := filepath.Join(c.dir, "generations.json")
	if b, err := os.ReadFile(p); err == nil {
		if err := json.Unmarshal(b, &counts); err != nil {
			return "", err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	n := counts[urn]
	counts[urn] = n + 1
	b, err := json.Marshal(counts)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(p, b, 0o600); err != nil {
		return "", err
	}
	size := 20
	if prefix == "c" {
		size = 32 // ACK cluster ids: "c" and 32 hex digits
	}
	return prefix + digest(fmt.Sprintf("%s#%d", urn, n), size), nil
}

// digest is a short lowercase hex digest of s, n characters long.
func digest(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}
