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

// milliCPU is a CPU quantity in whole millicores. Quantities are exact to
// the millicore, so rounding only removes floating-point noise.
func milliCPU(s string) int64 {
	v, _ := ParseQuantity(s)
	return int64(math.Round(v * 1000))
}

// mebibytes is a memory quantity in whole MiB, rounded up.
func mebibytes(s string) int64 {
	v, _ := ParseQuantity(s)
	return int64(math.Ceil(v/(1<<20) - 1e-9))
}

// formatMilli renders millicores the way the API server stores them
// ("12", "12500m"), so the live object never differs from the input.
func formatMilli(m int64) string {
	if m%1000 == 0 {
		return fmt.Sprint(m / 1000)
	}
	return fmt.Sprintf("%dm", m)
}

// formatMi renders MiB with the largest binary suffix that keeps the number
// whole ("75Gi", "1536Mi"), which is how the API server stores it.
func formatMi(mi int64) string {
	units := []string{"Mi", "Gi", "Ti", "Pi"}
	u := 0
	for mi != 0 && mi%1024 == 0 && u < len(units)-1 {
		mi /= 1024
		u++
	}
	return fmt.Sprintf("%d%s", mi, units[u])
}
