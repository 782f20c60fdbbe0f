package summary

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// OpCredentialRefresh is the summary category of a Kubernetes provider
// update whose only changed input is its kubeconfig: the workload stacks
// fetch a fresh, short-lived cluster credential on every run, so this
// "update" happens on every run and changes no cluster object by itself.
const OpCredentialRefresh = "credential refresh"

// kubernetesProviderType is the URN type of an explicit Kubernetes provider.
const kubernetesProviderType = "pulumi:providers:kubernetes"

// credentialKeys are the provider inputs that carry only the credential.
var credentialKeys = map[string]bool{"kubeconfig": true}

// isCredentialRefresh reports whether r is a Kubernetes provider update
// that changes nothing but the credential. A replacement is never one: a
// replaced provider replaces every object it manages, which must be judged.
func isCredentialRefresh(r Resource) bool {
	if r.Type != kubernetesProviderType || r.Op != OpUpdate || len(r.ChangedKeys) == 0 {
		return false
	}
	for _, k := range r.ChangedKeys {
		if !credentialKeys[k] {
			return false
		}
	}
	return true
}

// Warning is one distinct warning diagnostic of the preview.
type Warning struct {
	// Resource names the resource the warning is about ("" for the engine or program).
	Resource string
	Message  string
	// Count is how many times the engine printed this warning for this resource.
	Count int
}

// collectWarnings keeps the warning diagnostics in first-seen order, one
// entry per (resource, message), without the engine's "warning: " prefix.
func collectWarnings(diags []Diagnostic) []Warning {
	var out []Warning
	index := map[[2]string]int{}
	for _, d := range diags {
		if d.Severity != "warning" {
			continue
		}
		msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d.Message), "warning:"))
		res := ""
		if d.URN != "" {
			res = typeOfURN(d.URN) + " " + nameOfURN(d.URN)
		}
		key := [2]string{res, msg}
		if i, ok := index[key]; ok {
			out[i].Count++
			continue
		}
		index[key] = len(out)
		out = append(out, Warning{Resource: res, Message: msg, Count: 1})
	}
	return out
}

// Fingerprint identifies the plan: the operation, URN and changed keys of
// every touched resource, credential refreshes excluded (they differ on
// every run). Two previews with the same fingerprint plan the same changes,
// so a deployment can refuse to apply a plan other than the approved one.
func (r Report) Fingerprint() string {
	lines := make([]string, 0, len(r.Resources))
	for _, res := range r.Resources {
		lines = append(lines, fmt.Sprintf("%s %s %s", res.Op, res.URN, strings.Join(res.ChangedKeys, ",")))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}
