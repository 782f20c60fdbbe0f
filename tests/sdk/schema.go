package sdk

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// The subset of the Pulumi package schema format that the alicloud subset
// uses. Field names follow pkg/v3/codegen/schema; encoding/json sorts map
// keys, so marshalling is deterministic.

type DefaultInfo struct {
	Environment []string `json:"environment,omitempty"`
}

type PropertySpec struct {
	Type                 string         `json:"type,omitempty"`
	Ref                  string         `json:"$ref,omitempty"`
	Items                *PropertySpec  `json:"items,omitempty"`
	AdditionalProperties *PropertySpec  `json:"additionalProperties,omitempty"`
	Description          string         `json:"description,omitempty"`
	DeprecationMessage   string         `json:"deprecationMessage,omitempty"`
	Secret               bool           `json:"secret,omitempty"`
	DefaultInfo          *DefaultInfo   `json:"defaultInfo,omitempty"`
	Language             map[string]any `json:"language,omitempty"`
}

type ObjectTypeSpec struct {
	Description string                   `json:"description,omitempty"`
	Type        string                   `json:"type,omitempty"`
	Properties  map[string]*PropertySpec `json:"properties,omitempty"`
	Required    []string                 `json:"required,omitempty"`
}

type ResourceSpec struct {
	Description        string                   `json:"description,omitempty"`
	Properties         map[string]*PropertySpec `json:"properties,omitempty"`
	Required           []string                 `json:"required,omitempty"`
	InputProperties    map[string]*PropertySpec `json:"inputProperties,omitempty"`
	RequiredInputs     []string                 `json:"requiredInputs,omitempty"`
	StateInputs        *ObjectTypeSpec          `json:"stateInputs,omitempty"`
	DeprecationMessage string                   `json:"deprecationMessage,omitempty"`
}

type FunctionSpec struct {
	Description string          `json:"description,omitempty"`
	Inputs      *ObjectTypeSpec `json:"inputs,omitempty"`
	Outputs     *ObjectTypeSpec `json:"outputs,omitempty"`
}

type ConfigSpec struct {
	Variables map[string]*PropertySpec `json:"variables,omitempty"`
}

type PackageSpec struct {
	Name        string                     `json:"name"`
	DisplayName string                     `json:"displayName,omitempty"`
	Version     string                     `json:"version"`
	Description string                     `json:"description,omitempty"`
	Keywords    []string                   `json:"keywords,omitempty"`
	Homepage    string                     `json:"homepage,omitempty"`
	License     string                     `json:"license,omitempty"`
	Repository  string                     `json:"repository,omitempty"`
	Publisher   string                     `json:"publisher,omitempty"`
	Meta        map[string]string          `json:"meta,omitempty"`
	Config      ConfigSpec                 `json:"config"`
	Provider    *ResourceSpec              `json:"provider"`
	Resources   map[string]*ResourceSpec   `json:"resources"`
	Functions   map[string]*FunctionSpec   `json:"functions"`
	Types       map[string]*ObjectTypeSpec `json:"types"`
	Language    map[string]any             `json:"language,omitempty"`
}

// LoadSchema reads a schema file.
func LoadSchema(path string) (*PackageSpec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s PackageSpec
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// Marshal renders a schema the way it is committed.
func (s *PackageSpec) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Subset lists what the subset schema holds (sdks/alicloud/subset.json).
type Subset struct {
	// Resources and Functions are Pulumi tokens.
	Resources []string `json:"resources"`
	Functions []string `json:"functions"`
	// Provider lists the provider inputs (and config variables) kept.
	Provider []string `json:"provider"`
	// TypeScript only has `number`; the schema says integer unless the
	// property ("<resource, function or type token>.<property>") is listed
	// here as a floating-point number.
	Floats []string `json:"floats"`
	// Outputs of functions to mark secret (npm cannot show this).
	SecretFunctionOutputs map[string][]string `json:"secretFunctionOutputs"`
}

func typeToken(ref string) string {
	mod, name, _ := strings.Cut(ref, ".")
	return "alicloud:" + mod + "/" + name + ":" + name
}

func refOfTypeToken(tok string) (string, error) {
	t, err := ParseToken(tok)
	if err != nil {
		return "", err
	}
	if t.File != t.Name {
		return "", fmt.Errorf("type token %q: file and name differ", tok)
	}
	return t.Mod + "." + t.Name, nil
}

// shortDoc keeps the part of a resource or function doc before its first
// "## " heading (the npm docs carry TypeScript examples there).
func shortDoc(doc string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "## ") {
			break
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

type extractor struct {
	npm     *NPM
	floats  map[string]bool
	types   map[string]*ObjectTypeSpec
	pending []string
	used    map[string]bool
}

func (e *extractor) prop(owner string, m *TSMember) (*PropertySpec, error) {
	p, err := e.conv(owner+"."+m.Name, m.Type)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", owner, m.Name, err)
	}
	p.Description = m.Doc
	p.DeprecationMessage = m.Deprecated
	return p, nil
}

func (e *extractor) conv(key string, t *TSType) (*PropertySpec, error) {
	switch t.Kind {
	case "string", "boolean":
		return &PropertySpec{Type: t.Kind}, nil
	case "number":
		if e.floats[key] {
			return &PropertySpec{Type: "number"}, nil
		}
		return &PropertySpec{Type: "integer"}, nil
	case "any":
		return &PropertySpec{Ref: "pulumi.json#/Any"}, nil
	case "array", "map":
		el, err := e.conv(key, t.Elem)
		if err != nil {
			return nil, err
		}
		if t.Kind == "array" {
			return &PropertySpec{Type: "array", Items: el}, nil
		}
		return &PropertySpec{Type: "object", AdditionalProperties: el}, nil
	case "ref":
		if !e.used[t.Ref] {
			e.used[t.Ref] = true
			e.pending = append(e.pending, t.Ref)
		}
		return &PropertySpec{Ref: "#/types/" + typeToken(t.Ref)}, nil
	}
	return nil, fmt.Errorf("unsupported type %s", t)
}

func (e *extractor) members(owner string, d *TSDecl, secret map[string]bool, keep func(string) bool) (map[string]*PropertySpec, []string, error) {
	props := map[string]*PropertySpec{}
	var req []string
	for _, m := range d.Members {
		if keep != nil && !keep(m.Name) {
			continue
		}
		p, err := e.prop(owner, m)
		if err != nil {
			return nil, nil, err
		}
		p.Secret = secret[m.Name]
		props[m.Name] = p
		if !m.Optional && !m.Type.Undefined {
			req = append(req, m.Name)
		}
	}
	sort.Strings(req)
	return props, req, nil
}

func (e *extractor) objectType(ref string) error {
	tok := typeToken(ref)
	in, out := e.npm.InputType(ref), e.npm.OutputType(ref)
	if in == nil && out == nil {
		return fmt.Errorf("type %s in neither types/input.d.ts nor types/output.d.ts", ref)
	}
	ot := &ObjectTypeSpec{Type: "object", Properties: map[string]*PropertySpec{}}
	// Required-ness follows the input shape where there is one (that is
	// what Go's ...Args types use), the output shape otherwise.
	primary := in
	if primary == nil {
		primary = out
	}
	props, req, err := e.members(tok, primary, nil, nil)
	if err != nil {
		return err
	}
	ot.Properties, ot.Required = props, req
	if in != nil && out != nil {
		for _, m := range out.Members {
			p, err := e.prop(tok, m)
			if err != nil {
				return err
			}
			q, ok := ot.Properties[m.Name]
			if !ok {
				ot.Properties[m.Name] = p
				continue
			}
			if a, b := typeString(q), typeString(p); a != b {
				return fmt.Errorf("type %s.%s: input type %s, output type %s", ref, m.Name, a, b)
			}
		}
	}
	e.types[tok] = ot
	return nil
}

func typeString(p *PropertySpec) string {
	switch {
	case p.Ref != "":
		return p.Ref
	case p.Items != nil:
		return typeString(p.Items) + "[]"
	case p.AdditionalProperties != nil:
		return "map<" + typeString(p.AdditionalProperties) + ">"
	}
	return p.Type
}

func (e *extractor) resource(tok string) (*ResourceSpec, error) {
	r, err := e.npm.Resource(tok)
	if err != nil {
		return nil, err
	}
	rs := &ResourceSpec{Description: shortDoc(r.Class.Doc)}
	if rs.InputProperties, rs.RequiredInputs, err = e.members(tok, r.Args, r.SecretInputs, nil); err != nil {
		return nil, err
	}
	if rs.Properties, rs.Required, err = e.members(tok, r.Class, r.SecretOutputs, nil); err != nil {
		return nil, err
	}
	if r.State != nil {
		st, _, err := e.members(tok, r.State, r.SecretOutputs, nil)
		if err != nil {
			return nil, err
		}
		t, _ := ParseToken(tok)
		rs.StateInputs = &ObjectTypeSpec{
			Description: fmt.Sprintf("Input properties used for looking up and filtering %s resources.", t.Name),
			Properties:  st,
		}
	}
	return rs, nil
}

func (e *extractor) function(tok string, secretOut []string) (*FunctionSpec, error) {
	f, err := e.npm.Function(tok)
	if err != nil {
		return nil, err
	}
	fs := &FunctionSpec{Description: shortDoc(f.Doc)}
	if f.Args != nil {
		props, req, err := e.members(tok, f.Args, nil, nil)
		if err != nil {
			return nil, err
		}
		fs.Inputs = &ObjectTypeSpec{Description: "A collection of arguments for invoking " + tok + ".", Properties: props, Required: req}
	}
	secret := map[string]bool{}
	for _, s := range secretOut {
		if f.Result.Member(s) == nil {
			return nil, fmt.Errorf("%s: secret output %s does not exist", tok, s)
		}
		secret[s] = true
	}
	props, req, err := e.members(tok, f.Result, secret, nil)
	if err != nil {
		return nil, err
	}
	fs.Outputs = &ObjectTypeSpec{Description: "A collection of values returned by " + tok + ".", Properties: props, Required: req}
	return fs, nil
}

// ExtractSchema builds the subset schema from the npm package: every
// property of every listed resource and function, with the nested types
// they reference.
func ExtractSchema(npm *NPM, sub *Subset) (*PackageSpec, error) {
	e := &extractor{npm: npm, floats: map[string]bool{}, types: map[string]*ObjectTypeSpec{}, used: map[string]bool{}}
	for _, f := range sub.Floats {
		e.floats[f] = true
	}
	s := &PackageSpec{
		Name:        "alicloud",
		DisplayName: "Alibaba Cloud",
		Version:     npm.Version,
		Description: "A Pulumi package for creating and managing AliCloud resources. " +
			"This is a generated subset of the official SDK: only the resources and functions ack-platform uses.",
		Keywords:   []string{"pulumi", "alicloud"},
		Homepage:   "https://pulumi.io",
		License:    "Apache-2.0",
		Repository: "https://github.com/pulumi/pulumi-alicloud",
		Publisher:  "Pulumi",
		Meta:       map[string]string{"moduleFormat": "(.*)(?:/[^/]*)"},
		Resources:  map[string]*ResourceSpec{},
		Functions:  map[string]*FunctionSpec{},
		Language: map[string]any{
			"go": map[string]any{
				"importBasePath":                 "github.com/pulumi/pulumi-alicloud/sdk/v3/go/alicloud",
				"generateResourceContainerTypes": true,
				"respectSchemaVersion":           true,
			},
		},
	}
	for _, tok := range sub.Resources {
		rs, err := e.resource(tok)
		if err != nil {
			return nil, err
		}
		s.Resources[tok] = rs
	}
	for _, tok := range sub.Functions {
		fs, err := e.function(tok, sub.SecretFunctionOutputs[tok])
		if err != nil {
			return nil, err
		}
		s.Functions[tok] = fs
	}
	// Provider and config: only the listed settings.
	p, err := npm.Provider()
	if err != nil {
		return nil, err
	}
	keep := map[string]bool{}
	for _, k := range sub.Provider {
		if p.Args.Member(k) == nil {
			return nil, fmt.Errorf("provider: no input %s", k)
		}
		keep[k] = true
	}
	inKeep := func(n string) bool { return keep[n] }
	ps := &ResourceSpec{Description: "The provider type for the alicloud package."}
	if ps.InputProperties, ps.RequiredInputs, err = e.members("provider", p.Args, p.SecretInputs, inKeep); err != nil {
		return nil, err
	}
	if ps.Properties, ps.Required, err = e.members("provider", p.Class, p.SecretOutputs, inKeep); err != nil {
		return nil, err
	}
	s.Config.Variables = map[string]*PropertySpec{}
	for name, prop := range ps.InputProperties {
		if env := p.EnvDefaults[name]; len(env) > 0 {
			prop.DefaultInfo = &DefaultInfo{Environment: env}
		}
		c := *prop
		s.Config.Variables[name] = &c
	}
	s.Provider = ps
	for len(e.pending) > 0 {
		ref := e.pending[0]
		e.pending = e.pending[1:]
		if err := e.objectType(ref); err != nil {
			return nil, err
		}
	}
	s.Types = e.types
	for k := range e.floats {
		if !e.floatUsed(s, k) {
			return nil, fmt.Errorf("floats: %s is not a number property of the subset", k)
		}
	}
	return s, nil
}

func (e *extractor) floatUsed(s *PackageSpec, key string) bool {
	owner, prop, ok := strings.Cut(key[strings.LastIndex(key, ":")+1:], ".")
	if !ok {
		return false
	}
	owner = key[:strings.LastIndex(key, ":")+1] + owner
	var props []map[string]*PropertySpec
	if r := s.Resources[owner]; r != nil {
		props = append(props, r.InputProperties, r.Properties)
	}
	if f := s.Functions[owner]; f != nil {
		if f.Inputs != nil {
			props = append(props, f.Inputs.Properties)
		}
		props = append(props, f.Outputs.Properties)
	}
	if t := s.Types[owner]; t != nil {
		props = append(props, t.Properties)
	}
	for _, m := range props {
		if p := m[prop]; p != nil && strings.Contains(typeString(p), "number") {
			return true
		}
	}
	return false
}
