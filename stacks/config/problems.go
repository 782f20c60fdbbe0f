package config

import (
	"fmt"
	"k8s.io/apimachinery/pkg/util/validation"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// Problem is one thing wrong with the configuration, tied to the config key
// (a dotted path such as "ack-platform:platform.network.vpcCidr") a user must
// edit to fix it.
type Problem struct {
	Key     string
	Message string
}

func (p Problem) String() string { return p.Key + ": " + p.Message }

// Problems collects every problem found in one validation pass, so a user
// fixes a config in one round instead of one error per `pulumi up`.
type Problems []Problem

// Addf records a problem under key.
func (ps *Problems) Addf(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when there is no problem, else an error listing all of them
// sorted by key, so the message is stable across runs.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	sorted := append(Problems(nil), ps...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	return &InvalidError{Problems: sorted}
}

// InvalidError is returned by Load when the configuration is invalid. It
// carries every problem so tests and tools can inspect them one by one.
type InvalidError struct{ Problems Problems }

func (e *InvalidError) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	lines = append(lines, fmt.Sprintf("invalid configuration (%d problems):", len(e.Problems)))
	for _, p := range e.Problems {
		lines = append(lines, "  - "+p.String())
	}
	return strings.Join(lines, "\n")
}

// checkLabel reports a name that Kubernetes or Alibaba Cloud would refuse as
// a DNS-1123 label (lower case alphanumerics and '-', at most 63
// characters), with the API server's own rule (k8s.io/apimachinery).
func checkLabel(ps *Problems, key, name string) {
	switch {
	case name == "":
		ps.Addf(key, "must not be empty")
	case len(validation.IsDNS1123Label(name)) > 0:
		ps.Addf(key, "%q is not a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit)", name)
	}
}

// parsePrefix parses a CIDR and reports it under key when it is malformed or
// not in its canonical form (host bits set usually means a typo).
func parsePrefix(ps *Problems, key, cidr string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		ps.Addf(key, "%q is not a CIDR block: %v", cidr, err)
		return netip.Prefix{}, false
	}
	if !p.Addr().Is4() {
		ps.Addf(key, "%q: only IPv4 CIDR blocks are supported", cidr)
		return netip.Prefix{}, false
	}
	if p.Masked() != p {
		ps.Addf(key, "%q has host bits set; did you mean %s?", cidr, p.Masked())
		return netip.Prefix{}, false
	}
	return p, true
}

// namedPrefix is a CIDR with the config key it came from, for overlap reports.
type namedPrefix struct {
	key    string
	prefix netip.Prefix
}

// checkDisjoint reports every pair of blocks that overlap.
func checkDisjoint(ps *Problems, blocks []namedPrefix) {
	for i := range blocks {
		for j := i + 1; j < len(blocks); j++ {
			if blocks[i].prefix.Overlaps(blocks[j].prefix) {
				ps.Addf(blocks[j].key, "%s overlaps %s (%s)", blocks[j].prefix, blocks[i].key, blocks[i].prefix)
			}
		}
	}
}

// secretLooking matches config keys whose values are credentials.
var secretLooking = regexp.MustCompile(`(?i)(password|passwd|secret|token|apikey|api_key|accesskey|privatekey|private_key|credential)`)

// LooksSecret reports whether a config key or env var name names a credential.
func LooksSecret(name string) bool { return secretLooking.MatchString(name) }
