package summary

import "strings"

// Placeholders the engine writes in place of values it cannot show.
const (
	unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9" // computed, known after apply
	secretValue  = "[secret]"
)

// ImageRef is a container image reference split into its parts.
type ImageRef struct {
	// Registry is the host (with port, if any), empty for Docker Hub short names.
	Registry string
	// Repository is the path inside the registry, e.g. ack-platform/gateway.
	Repository string
	// Tag is empty when the reference names no tag.
	Tag string
	// Digest is the content digest, e.g. sha256:0f3c..., empty when absent.
	Digest string
}

// ParseImageRef splits an image reference such as
// registry-vpc.cn-hangzhou.aliyuncs.com:5000/team/svc:1.2.3@sha256:abc.
// It never fails: a reference it cannot split ends up in Repository.
func ParseImageRef(ref string) ImageRef {
	var r ImageRef
	rest := strings.TrimSpace(ref)
	if i := strings.Index(rest, "@"); i >= 0 {
		rest, r.Digest = rest[:i], rest[i+1:]
	}
	// A colon after the last slash separates the tag; one before it belongs to
	// the registry's port.
	if i := strings.LastIndex(rest, ":"); i >= 0 && i > strings.LastIndex(rest, "/") {
		rest, r.Tag = rest[:i], rest[i+1:]
	}
	// The first path component is a registry when it looks like a host name.
	if i := strings.Index(rest, "/"); i >= 0 {
		first := rest[:i]
		if strings.ContainsAny(first, ".:") || first == "localhost" {
			r.Registry, rest = first, rest[i+1:]
		}
	}
	r.Repository = rest
	return r
}

// Name is the registry and repository without tag or digest.
func (r ImageRef) Name() string {
	if r.Registry == "" {
		return r.Repository
	}
	return r.Registry + "/" + r.Repository
}

// Version is what a reviewer compares: the tag (latest when none is given,
// as the container runtime assumes) plus a shortened digest when pinned.
func (r ImageRef) Version() string {
	tag := r.Tag
	if tag == "" && r.Digest == "" {
		tag = "latest"
	}
	if r.Digest == "" {
		return tag
	}
	d := r.Digest
	if algo, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		d = algo + ":" + hex[:12]
	}
	if tag == "" {
		return "@" + d
	}
	return tag + "@" + d
}

// describeImage renders an image value from a state for the table, given the
// image on the other side of the change so that a repository change is shown too.
func describeImage(value, other string) string {
	switch value {
	case "":
		return "—"
	case unknownValue:
		return "(known after apply)"
	case secretValue:
		return secretValue
	}
	ref := ParseImageRef(value)
	version := ref.Version()
	if other == "" || other == unknownValue || other == secretValue || ParseImageRef(other).Name() == ref.Name() {
		return version
	}
	if strings.HasPrefix(version, "@") {
		return ref.Name() + version
	}
	return ref.Name() + ":" + version
}
