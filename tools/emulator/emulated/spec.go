// Package emulated is an emulated Alibaba Cloud behind the alicloud provider
// protocol, for rehearsals with the real Pulumi engine. It is generic: what a
// resource accepts comes from the SDK subset's Pulumi schema; which inputs are
// required, replace the resource when changed (ForceNew), conflict or must
// come alone comes from the Terraform provider's attribute flags (the Pulumi
// schema does not carry them). A few documented API refusals (refusals.go)
// and plausible computed outputs (outputs.go) make it behave like the cloud
// where the program depends on it.
package emulated

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Flag is what terraform-provider-alicloud declares about one attribute,
// as tools/tfflags writes it. Nested attributes are keyed "parent.child" by
// Pulumi property names; TFName is then the Terraform path.
type Flag struct {
	TFName        string   `json:"tfName"`
	TFType        string   `json:"tfType"`
	Required      bool     `json:"required"`
	Optional      bool     `json:"optional"`
	Computed      bool     `json:"computed"`
	ForceNew      bool     `json:"forceNew"`
	ConflictsWith []string `json:"conflictsWith"`
	ExactlyOneOf  []string `json:"exactlyOneOf"`
	// Default is the Go source text of the Default (string literals unquoted).
	Default *string `json:"default"`
	// InSchema: the (top-level) name is a property of the Pulumi schema.
	InSchema   bool `json:"inSchema"`
	Nested     bool `json:"nested,omitempty"`
	Deprecated bool `json:"deprecated,omitempty"`
	Sensitive  bool `json:"sensitive,omitempty"`
	MaxItems   int  `json:"maxItems,omitempty"`
}

// Flags is the committed flags file: Pulumi token -> property path -> flags,
// plus metadata under keys starting with "_".
type Flags map[string]map[string]Flag

// ParseFlags reads a flags file, skipping its metadata keys.
func ParseFlags(data []byte) (Flags, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("flags: %w", err)
	}
	flags := Flags{}
	for token, body := range raw {
		if strings.HasPrefix(token, "_") {
			continue
		}
		var props map[string]Flag
		if err := json.Unmarshal(body, &props); err != nil {
			return nil, fmt.Errorf("flags of %s: %w", token, err)
		}
		flags[token] = props
	}
	return flags, nil
}

// TypeSpec is the part of a Pulumi schema type the emulator reads.
type TypeSpec struct {
	Type                 string               `json:"type"`
	Ref                  string               `json:"$ref"`
	Items                *TypeSpec            `json:"items"`
	AdditionalProperties *TypeSpec            `json:"additionalProperties"`
	Properties           map[string]*PropSpec `json:"properties"`
	Required             []string             `json:"required"`
	OneOf                []*TypeSpec          `json:"oneOf"`
}

// PropSpec is a schema property.
type PropSpec struct {
	TypeSpec
	Secret             bool   `json:"secret"`
	DeprecationMessage string `json:"deprecationMessage"`
	Description        string `json:"description"`
}

// ResourceSpec is a schema resource.
type ResourceSpec struct {
	Properties      map[string]*PropSpec `json:"properties"`
	InputProperties map[string]*PropSpec `json:"inputProperties"`
	RequiredInputs  []string             `json:"requiredInputs"`
	Description     string               `json:"description"`
}

// FunctionSpec is a schema function (an invoke).
type FunctionSpec struct {
	Inputs  *TypeSpec `json:"inputs"`
	Outputs *TypeSpec `json:"outputs"`
}

// Schema is the part of the Pulumi package schema the emulator reads.
type Schema struct {
	Name      string                   `json:"name"`
	Version   string                   `json:"version"`
	Resources map[string]*ResourceSpec `json:"resources"`
	Functions map[string]*FunctionSpec `json:"functions"`
	Types     map[string]*TypeSpec     `json:"types"`
}

// ParseSchema reads a Pulumi package schema.
func ParseSchema(data []byte) (*Schema, error) {
	var s Schema
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if s.Name != "alicloud" {
		return nil, fmt.Errorf("schema: package %q, want alicloud", s.Name)
	}
	return &s, nil
}

// resolve follows a local "#/types/..." reference.
func (s *Schema) resolve(t *TypeSpec) *TypeSpec {
	for t != nil && t.Ref != "" {
		name := strings.TrimPrefix(t.Ref, "#/types/")
		next, ok := s.Types[name]
		if !ok {
			return nil
		}
		t = next
	}
	return t
}

// Resource joins a resource's schema and its flags.
type Resource struct {
	Token  string
	Spec   *ResourceSpec
	Flags  map[string]Flag
	schema *Schema
	// byTF maps a Terraform attribute name (top level) to its Pulumi name.
	byTF map[string]string
}

// Lookup returns the resource of a type token, joined with its flags.
func (s *Schema) Lookup(flags Flags, token string) (*Resource, error) {
	spec, ok := s.Resources[token]
	if !ok {
		return nil, fmt.Errorf("the emulated provider does not know resource type %s: it is not in the SDK subset's schema", token)
	}
	f := flags[token]
	if f == nil {
		return nil, fmt.Errorf("no Terraform flags for %s: regenerate the flags file (go run ./tools/tfflags)", token)
	}
	r := &Resource{Token: token, Spec: spec, Flags: f, schema: s, byTF: map[string]string{}}
	for name, fl := range f {
		if !fl.Nested {
			r.byTF[fl.TFName] = name
		}
	}
	return r, nil
}

// pulumiName maps a Terraform reference as ConflictsWith/ExactlyOneOf write
// it ("zone_id", "scaling_config.0.x") to a Pulumi property path.
func (r *Resource) pulumiName(tf string) string {
	parts := strings.Split(tf, ".")
	var out []string
	for _, p := range parts {
		if p == "0" || p == "" {
			continue
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return tf
	}
	if name, ok := r.byTF[out[0]]; ok {
		out[0] = name
	} else {
		out[0] = camel(out[0])
	}
	for i := 1; i < len(out); i++ {
		out[i] = camel(out[i])
	}
	return strings.Join(out, ".")
}

// Required lists the top-level inputs Terraform or the schema requires.
func (r *Resource) Required() []string {
	set := map[string]bool{}
	for _, n := range r.Spec.RequiredInputs {
		set[n] = true
	}
	for name, f := range r.Flags {
		if f.Required && !f.Nested {
			if _, ok := r.Spec.InputProperties[name]; ok {
				set[name] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// camel turns a Terraform snake_case name into a Pulumi camelCase one.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
