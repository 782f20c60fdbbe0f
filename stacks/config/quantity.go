package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// k8s.io/apimachinery is not in the module graph (pulumi-kubernetes' Go SDK
// does not need it), so this is a small parser of the Kubernetes quantity
// syntax, enough to reject malformed values and compare requests to limits.

var quantityRE = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$`)

var quantitySuffixes = map[string]float64{
	"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}

// ParseQuantity returns the value of a Kubernetes quantity such as "250m",
// "1.5", "512Mi" or "1e3" in base units (cores, bytes).
func ParseQuantity(s string) (float64, error) {
	m := quantityRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	suffix := m[2]
	if len(suffix) > 0 && (suffix[0] == 'e' || suffix[0] == 'E') {
		exp, err := strconv.Atoi(suffix[1:])
		if err != nil {
			return 0, fmt.Errorf("%q: bad exponent", s)
		}
		return n * math.Pow10(exp), nil
	}
	if n < 0 {
		return 0, fmt.Errorf("%q is negative", s)
	}
	return n * quantitySuffixes[suffix], nil
}

// formatMilli renders cores as a milli-CPU quantity.
func formatMilli(cores float64) string { return fmt.Sprintf("%dm", int64(math.Ceil(cores*1000))) }

// formatMi renders bytes as a Mi quantity.
func formatMi(bytes float64) string { return fmt.Sprintf("%dMi", int64(math.Ceil(bytes/(1<<20)))) }
