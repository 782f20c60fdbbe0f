package config

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Name checks use k8s.io/apimachinery's validation package, the API
// server's own rules: a name the program accepts is one the cluster accepts.

func isDNS1035(s string) string       { return strings.Join(validation.IsDNS1035Label(s), "; ") }
func isPortName(s string) string      { return strings.Join(validation.IsValidPortName(s), "; ") }
func isQualifiedName(s string) string { return strings.Join(validation.IsQualifiedName(s), "; ") }
func isLabelValue(s string) string    { return strings.Join(validation.IsValidLabelValue(s), "; ") }
func isEnvVarName(s string) string    { return strings.Join(validation.IsEnvVarName(s), "; ") }

// isDNSName reports a host name of dot-separated DNS-1123 labels.
func isDNSName(s string) bool {
	return s != "" && len(validation.IsDNS1123Subdomain(s)) == 0
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func mustRE(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// checkSecretKey makes sure a reference names a config key that is set as a
// secret: a plaintext value would sit in Pulumi.<stack>.yaml and in git.
func checkSecretKey(ps *Problems, k, ref string, r Reader) {
	switch {
	case ref == "":
		ps.Addf(k, "name the secret config key")
	case !configKeyRE.MatchString(ref):
		ps.Addf(k, "%q is not a config key name of the ack-platform namespace", ref)
	case r.Get(ref) == "":
		ps.Addf(k, "config key %s is not set: `pulumi config set --secret %s ...`", key(ref), ref)
	case !r.Secret(ref):
		ps.Addf(k, "config key %s is set in plaintext; set it with `pulumi config set --secret %s` so it is encrypted", key(ref), ref)
	}
}

var configKeyRE = mustRE(`^[A-Za-z][A-Za-z0-9_-]*$`)

// checkSettings checks the values of a catalog entry or an override that
// can be checked on their own.
func checkSettings(ps *Problems, k string, s Settings, r Reader) {
	if s.Replicas != nil && s.Autoscaling != nil {
		ps.Addf(k+".replicas", "replicas is set while autoscaling owns the replica count; remove one")
	}
	for _, name := range slices.Sorted(maps.Keys(s.Env)) {
		if msgs := isEnvVarName(name); msgs != "" {
			ps.Addf(k+".env."+name, "%q is not an environment variable name: %s", name, msgs)
		}
		if LooksSecret(name) {
			ps.Addf(k+".env."+name, "looks like a credential given as plain config: move it to secretEnv, referencing a key set with `pulumi config set --secret`")
		}
	}
	for _, name := range slices.Sorted(maps.Keys(s.SecretEnv)) {
		if msgs := isEnvVarName(name); msgs != "" {
			ps.Addf(k+".secretEnv."+name, "%q is not an environment variable name: %s", name, msgs)
		}
		if _, dup := s.Env[name]; dup {
			ps.Addf(k+".secretEnv."+name, "also set in env")
		}
		checkSecretKey(ps, k+".secretEnv."+name, s.SecretEnv[name], r)
	}
	checkNodeSelector(ps, k+".nodeSelector", s.NodeSelector)
	checkTolerations(ps, k+".tolerations", s.Tolerations)
}

// checkResources requires every request and limit, parseable, not
// negative, above zero, requests not above limits. It reports whether all
// values parsed.
func checkResources(ps *Problems, k string, res Resources) bool {
	ok := true
	for _, p := range []struct{ name, req, lim string }{
		{"cpu", res.Requests.CPU, res.Limits.CPU},
		{"memory", res.Requests.Memory, res.Limits.Memory},
		{"ephemeralStorage", res.Requests.EphemeralStorage, res.Limits.EphemeralStorage},
	} {
		rq, rerr := parseQuantity(p.req)
		if rerr != nil {
			ps.Addf(k+".requests."+p.name, "%v", rerr)
		}
		lm, lerr := parseQuantity(p.lim)
		if lerr != nil {
			ps.Addf(k+".limits."+p.name, "%v", lerr)
		}
		if rerr != nil || lerr != nil {
			ok = false
			continue
		}
		if rq.Cmp(lm) > 0 {
			ps.Addf(k+".requests."+p.name, "request %s is above the limit %s", p.req, p.lim)
		}
		if rq.IsZero() || lm.IsZero() {
			ps.Addf(k+".requests."+p.name, "requests and limits must be above zero")
		}
	}
	return ok
}

// checkResourceList checks a list of maximums; it reports whether all parsed.
func checkResourceList(ps *Problems, k string, l ResourceList) bool {
	ok := true
	for _, f := range []struct{ name, v string }{{"cpu", l.CPU}, {"memory", l.Memory}, {"ephemeralStorage", l.EphemeralStorage}} {
		if q, err := parseQuantity(f.v); err != nil {
			ps.Addf(k+"."+f.name, "%v", err)
			ok = false
		} else if q.IsZero() {
			ps.Addf(k+"."+f.name, "must be above zero")
			ok = false
		}
	}
	return ok
}

// checkWithinLimitRange reports limits above the LimitRange maximum the
// program creates in the namespace: the API server would reject the pods.
func checkWithinLimitRange(ps *Problems, k string, lim, max ResourceList, maxKey string) {
	for _, f := range []struct{ name, v, max string }{{"cpu", lim.CPU, max.CPU}, {"memory", lim.Memory, max.Memory}, {"ephemeralStorage", lim.EphemeralStorage, max.EphemeralStorage}} {
		v, err := parseQuantity(f.v)
		if err != nil {
			continue
		}
		if m := mustQuantity(f.max); v.Cmp(m) > 0 {
			ps.Addf(k+"."+f.name, "%s is above the namespace's LimitRange maximum %s (%s): the API server would refuse the pods", f.v, f.max, maxKey+"."+f.name)
		}
	}
}

func checkRepoPath(ps *Problems, k, repo string) {
	for _, part := range strings.Split(repo, "/") {
		if !repoRE.MatchString(part) {
			ps.Addf(k, "%q is not an image repository name (lower case, digits, '.', '_', '-')", repo)
			return
		}
	}
}

var (
	repoRE   = mustRE(`^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$`)
	digestRE = mustRE(`^sha256:[a-f0-9]{64}$`)
)

// checkImage checks a full image reference given by an override: a host,
// a lower-case repository (registries refuse upper case), a version tag,
// optionally pinned by digest as well (repo:tag@sha256:...: the tag
// names the version in the labels, the digest fixes the content), and the
// project's registry and namespace.
func checkImage(ps *Problems, k, image string, c *Config) {
	slash := strings.Index(image, "/")
	if slash < 0 {
		ps.Addf(k, "%q has no registry: images come from the project's registry (%s/%s)", image, c.Registry.Endpoint, c.Registry.Namespace)
		return
	}
	host, rest := image[:slash], image[slash+1:]
	if at := strings.Index(rest, "@"); at >= 0 {
		if !digestRE.MatchString(rest[at+1:]) {
			ps.Addf(k, "%q: the digest must be sha256: and 64 lower-case hex digits", image)
		}
		rest = rest[:at]
	}
	colon := strings.LastIndex(rest, ":")
	repo, tag := rest, ""
	if colon >= 0 {
		repo, tag = rest[:colon], rest[colon+1:]
	}
	switch {
	case tag == "":
		ps.Addf(k, "%q has no tag: pin a version tag (a digest may follow it: repo:tag@sha256:...)", image)
	case tag == "latest":
		ps.Addf(k, "%q uses `latest`: pin a version tag", image)
	case !imageTagRE.MatchString(tag):
		ps.Addf(k, "%q: %q is not an image tag", image, tag)
	}
	if strings.ToLower(host) != host {
		ps.Addf(k, "%q: the registry host must be lower case", image)
	}
	for _, part := range strings.Split(repo, "/") {
		if !repoRE.MatchString(part) {
			ps.Addf(k, "%q: the repository %q must be lower case letters, digits and separators; a registry refuses it otherwise", image, repo)
			break
		}
	}
	ownHost := c.Registry.Endpoint == "" || host == c.Registry.Endpoint ||
		host == strings.Replace(c.Registry.Endpoint, "registry-vpc.", "registry.", 1) ||
		host == strings.Replace(c.Registry.Endpoint, "-registry-vpc.", "-registry.", 1)
	if !ownHost || !strings.HasPrefix(repo, c.Registry.Namespace+"/") {
		ps.Addf(k, "%q is not in the project's registry %s/%s: push the image there so every stack pulls reviewed images from one place", image, orDefault(c.Registry.Endpoint, "<registry>"), c.Registry.Namespace)
	}
}

// QuantityValue parses a quantity validation accepted, for the stacks.
func QuantityValue(s string) resource.Quantity { return mustQuantity(s) }
