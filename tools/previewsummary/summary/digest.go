// Package summary turns the JSON document printed by `pulumi preview --json`
// into a compact Markdown summary for a pull-request comment.
//
// The structs below mirror the engine's own types (pkg/v3/display.PreviewDigest,
// PreviewStep, PropertyDiff and sdk/v3/go/common/apitype.ResourceV3 in
// pulumi v3.274) but keep only the fields the summary reads, so the tool does
// not pull the whole Pulumi engine into its build.
package summary

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Digest is the top-level document of `pulumi preview --json`.
type Digest struct {
	// Config holds the stack configuration used by the preview; secrets are blinded.
	Config map[string]string `json:"config,omitempty"`
	// Steps lists the steps the engine plans. Steps with op "same" appear only
	// with --show-sames (the root stack always appears), and the physical
	// replacement steps (create-replacement, delete-replaced) only with
	// --show-replacement-steps; the logical "replace" step is always there.
	Steps []Step `json:"steps,omitempty"`
	// Diagnostics are the warnings and errors (and program stdout, as info) of the preview.
	Diagnostics []Diagnostic `json:"diagnostics,omitempty"`
	// Duration is a Go time.Duration, i.e. nanoseconds.
	Duration int64 `json:"duration,omitempty"`
	// ChangeSummary is the engine's count of logical operations (one "replace" per replaced resource).
	ChangeSummary map[string]int `json:"changeSummary,omitempty"`
	// MaybeCorrupt is set when the engine thinks some resource state may be corrupt.
	MaybeCorrupt bool `json:"maybeCorrupt,omitempty"`
}

// Step is one planned operation on one resource.
type Step struct {
	Op       string `json:"op"`
	URN      string `json:"urn"`
	Provider string `json:"provider,omitempty"`
	OldState *State `json:"oldState,omitempty"`
	NewState *State `json:"newState,omitempty"`
	// DiffReasons are the changed top-level input keys as the provider reported
	// them; some providers (Kubernetes) leave them empty and report only DetailedDiff.
	DiffReasons []string `json:"diffReasons,omitempty"`
	// ReplaceReasons are the property paths that force a replacement.
	ReplaceReasons []string `json:"replaceReasons,omitempty"`
	// DetailedDiff maps property paths (e.g. spec.template.spec.containers[0].image) to their change.
	DetailedDiff map[string]PropertyDiff `json:"detailedDiff"`
}

// PropertyDiff is the change of one property path.
type PropertyDiff struct {
	// Kind is one of add, add-replace, delete, delete-replace, update, update-replace.
	Kind      string `json:"kind"`
	InputDiff bool   `json:"inputDiff"`
}

// State is the serialized state of a resource before or after the step.
type State struct {
	URN     string         `json:"urn"`
	Custom  bool           `json:"custom"`
	Delete  bool           `json:"delete,omitempty"`
	ID      string         `json:"id,omitempty"`
	Type    string         `json:"type"`
	Inputs  map[string]any `json:"inputs,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Parent  string         `json:"parent,omitempty"`
	Protect bool           `json:"protect,omitempty"`
}

// Diagnostic is a message emitted during the preview.
type Diagnostic struct {
	URN      string `json:"urn,omitempty"`
	Prefix   string `json:"prefix,omitempty"`
	Message  string `json:"message,omitempty"`
	Severity string `json:"severity,omitempty"`
}

// Parse decodes a preview document. Anything printed before the document
// (a stray line from a wrapper script, a BOM) is skipped: the document starts
// at the first line that begins with "{".
func Parse(r io.Reader) (*Digest, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading preview JSON: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	start := bytes.Index(data, []byte("{"))
	if start < 0 {
		return nil, errors.New("preview JSON: no JSON object found (was `pulumi preview --json` run?)")
	}
	if start > 0 {
		if i := bytes.Index(data, []byte("\n{")); i >= 0 {
			start = i + 1
		}
	}
	var d Digest
	dec := json.NewDecoder(bytes.NewReader(data[start:]))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("decoding preview JSON: %w", err)
	}
	return &d, nil
}
