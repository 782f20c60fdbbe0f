package config

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Quantities are parsed by k8s.io/apimachinery's resource package, the
// API server's own code: the program accepts exactly the quantities the
// cluster accepts, with exact arithmetic and the canonical form the API
// server stores (so a computed quota never shows a spurious diff).

// parseQuantity parses a Kubernetes quantity that must not be negative
// (resources, disk sizes): "250m", "1", "512Mi", "2Gi", "1e3".
func parseQuantity(s string) (resource.Quantity, error) {
	q, err := resource.ParseQuantity(s)
	if err != nil {
		return q, fmt.Errorf("%q is not a Kubernetes quantity such as 250m, 1, 512Mi or 2Gi", s)
	}
	if q.Sign() < 0 {
		return q, fmt.Errorf("%q is negative", s)
	}
	return q, nil
}

// mustQuantity is parseQuantity for values validation already accepted;
// a malformed value counts as zero.
func mustQuantity(s string) resource.Quantity {
	q, err := parseQuantity(s)
	if err != nil {
		return resource.Quantity{}
	}
	return q
}

// mebibytes is a memory quantity in whole MiB, rounded down.
func mebibytes(s string) int64 {
	q := mustQuantity(s)
	return q.Value() / (1 << 20)
}

// canonical renders a quantity the way the API server stores it.
func canonical(q resource.Quantity) string {
	// A round trip through the parser drops any cached form of the inputs.
	c := resource.MustParse(q.String())
	return c.String()
}
