package sdk

import (
	"fmt"
	"sort"
	"strings"
)

// CheckFidelity compares a subset schema with the npm package and returns
// every disagreement (empty when the subset is faithful):
//   - each resource token is the __pulumiType of <mod>/<file>.js, each
//     function token is invoked by <mod>/<file>.js;
//   - every declared input exists in the TS Args interface with a compatible
//     type and the same required-ness (`?`), the .js "Missing required
//     property" checks name exactly the declared required inputs, and inputs
//     wrapped in pulumi.secret are exactly the secret inputs;
//   - every declared output exists on the class with a compatible type and
//     the same required-ness (`| undefined`), and the .js
//     additionalSecretOutputs are exactly the secret outputs;
//   - every declared state input exists in the State interface;
//   - object types match the TS interfaces property by property, recursively
//     (input shapes from types/input.d.ts including required-ness, output
//     shapes from types/output.d.ts);
//   - the provider's inputs and the config variables exist in provider.d.ts
//     and config/vars.d.ts.
func CheckFidelity(npm *NPM, s *PackageSpec) []string {
	c := &checker{npm: npm, s: s, seen: map[string]bool{}}
	if s.Version != npm.Version {
		c.errf("schema version %s, npm package version %s", s.Version, npm.Version)
	}
	for _, tok := range sortedKeys(s.Resources) {
		c.resource(tok, s.Resources[tok])
	}
	for _, tok := range sortedKeys(s.Functions) {
		c.function(tok, s.Functions[tok])
	}
	c.provider()
	for _, tok := range sortedKeys(s.Types) {
		if !c.seen[tok+"/in"] && !c.seen[tok+"/out"] {
			c.errf("type %s: not referenced by any resource or function", tok)
		}
	}
	sort.Strings(c.errs)
	return c.errs
}

type checker struct {
	npm  *NPM
	s    *PackageSpec
	errs []string
	seen map[string]bool // "<type token>/in" or "/out" already compared
}

func (c *checker) errf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func set(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[s] = true
	}
	return m
}

// props compares schema properties with the members of a TS declaration.
// shape is "in" or "out" (which types/*.d.ts nested refs resolve against);
// required is the schema's required list, or nil not to compare
// required-ness.
func (c *checker) props(where string, props map[string]*PropertySpec, required []string, d *TSDecl, shape string, checkRequired bool) {
	req := set(required)
	for _, r := range required {
		if props[r] == nil {
			c.errf("%s: required property %s is not declared", where, r)
		}
	}
	for _, name := range sortedKeys(props) {
		m := d.Member(name)
		if m == nil {
			c.errf("%s: property %s does not exist in TS %s", where, name, d.Name)
			continue
		}
		c.compat(where+"."+name, props[name], m.Type, shape)
		if checkRequired {
			tsReq := !m.Optional && !m.Type.Undefined
			if tsReq != req[name] {
				c.errf("%s.%s: required is %v in the schema, %v in TS %s", where, name, req[name], tsReq, d.Name)
			}
		}
	}
}

// compat checks that a schema type and a TS type agree.
func (c *checker) compat(where string, p *PropertySpec, t *TSType, shape string) {
	bad := func() { c.errf("%s: schema type %s, TS type %s", where, typeString(p), t) }
	switch {
	case p.Ref == "pulumi.json#/Any":
		if t.Kind != "any" {
			bad()
		}
	case strings.HasPrefix(p.Ref, "#/types/"):
		tok := strings.TrimPrefix(p.Ref, "#/types/")
		ref, err := refOfTypeToken(tok)
		if err != nil || t.Kind != "ref" || t.Ref != ref {
			bad()
			return
		}
		c.objectType(tok, ref, shape)
	case p.Ref != "":
		c.errf("%s: unsupported $ref %s", where, p.Ref)
	case p.Type == "string" || p.Type == "boolean":
		if t.Kind != p.Type {
			bad()
		}
	case p.Type == "integer" || p.Type == "number":
		if t.Kind != "number" {
			bad()
		}
	case p.Type == "array" && p.Items != nil:
		if t.Kind != "array" {
			bad()
			return
		}
		c.compat(where+"[]", p.Items, t.Elem, shape)
	case p.Type == "object" && p.AdditionalProperties != nil:
		if t.Kind != "map" {
			bad()
			return
		}
		c.compat(where+"{}", p.AdditionalProperties, t.Elem, shape)
	default:
		c.errf("%s: unsupported schema type %s", where, typeString(p))
	}
}

func (c *checker) objectType(tok, ref, shape string) {
	key := tok + "/" + shape
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	ot := c.s.Types[tok]
	if ot == nil {
		c.errf("type %s: referenced but not declared", tok)
		return
	}
	var d *TSDecl
	if shape == "in" {
		d = c.npm.InputType(ref)
	} else {
		d = c.npm.OutputType(ref)
	}
	if d == nil {
		c.errf("type %s: no interface %s in types/%sput.d.ts", tok, ref, shape)
		return
	}
	// Object types are complete: every TS property must be in the schema.
	for _, m := range d.Members {
		if ot.Properties[m.Name] == nil {
			c.errf("type %s: TS %s has property %s the schema lacks", tok, d.Name, m.Name)
		}
	}
	// Required-ness of nested types is compared on the input shape, which
	// is what the schema's `required` describes (Go's ...Args types).
	// A type without an input shape (e.g. a function result) takes its
	// required-ness from the output shape.
	checkReq := shape == "in" || c.npm.InputType(ref) == nil
	c.props("type "+tok, ot.Properties, ot.Required, d, shape, checkReq)
}

func (c *checker) secrets(where string, props map[string]*PropertySpec, want map[string]bool, what string) {
	for _, name := range sortedKeys(props) {
		if props[name].Secret != want[name] {
			c.errf("%s.%s: secret is %v in the schema, %v in the npm .js (%s)", where, name, props[name].Secret, want[name], what)
		}
	}
	for name := range want {
		if props[name] == nil {
			c.errf("%s: the npm .js marks %s secret (%s) but the schema does not declare it", where, name, what)
		}
	}
}

func (c *checker) resource(tok string, rs *ResourceSpec) {
	r, err := c.npm.Resource(tok)
	if err != nil {
		c.errf("resource %s: %v", tok, err)
		return
	}
	where := "resource " + tok
	c.props(where+" input", rs.InputProperties, rs.RequiredInputs, r.Args, "in", true)
	if got, want := strings.Join(r.JSRequired, ","), strings.Join(sortedCopy(rs.RequiredInputs), ","); got != want {
		c.errf("%s: required inputs %q in the schema, the npm .js checks %q", where, want, got)
	}
	c.secrets(where+" input", rs.InputProperties, r.SecretInputs, "pulumi.secret")
	c.props(where+" output", rs.Properties, rs.Required, r.Class, "out", true)
	c.secrets(where+" output", rs.Properties, r.SecretOutputs, "additionalSecretOutputs")
	if rs.StateInputs != nil {
		if r.State == nil {
			c.errf("%s: stateInputs declared but the npm package has no State interface", where)
		} else {
			c.props(where+" state", rs.StateInputs.Properties, nil, r.State, "in", false)
		}
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

func (c *checker) function(tok string, fs *FunctionSpec) {
	f, err := c.npm.Function(tok)
	if err != nil {
		c.errf("function %s: %v", tok, err)
		return
	}
	where := "function " + tok
	if fs.Inputs != nil {
		if f.Args == nil {
			c.errf("%s: inputs declared but the npm package has no Args interface", where)
		} else {
			c.props(where+" input", fs.Inputs.Properties, fs.Inputs.Required, f.Args, "in", true)
		}
	} else if f.Args != nil {
		c.errf("%s: the npm package takes arguments the schema does not declare", where)
	}
	if fs.Outputs == nil {
		c.errf("%s: no outputs declared", where)
		return
	}
	// Secret-ness of invoke results is not visible in the npm package (the
	// TS Result interface is plain and the .js carries no secret list), so
	// it is not compared here: schema `secret` on function outputs is a
	// decision of this project (sdks/alicloud/subset.json).
	c.props(where+" output", fs.Outputs.Properties, fs.Outputs.Required, f.Result, "out", true)
}

var reConfigVar = "export declare const %s: "

func (c *checker) provider() {
	if c.s.Provider == nil {
		c.errf("provider: not declared")
		return
	}
	p, err := c.npm.Provider()
	if err != nil {
		c.errf("provider: %v", err)
		return
	}
	c.props("provider input", c.s.Provider.InputProperties, c.s.Provider.RequiredInputs, p.Args, "in", true)
	c.secrets("provider input", c.s.Provider.InputProperties, restrict(p.SecretInputs, c.s.Provider.InputProperties), "pulumi.secret")
	c.props("provider output", c.s.Provider.Properties, c.s.Provider.Required, p.Class, "out", true)
	vars, err := c.npm.JS("config/vars.d.ts")
	if err != nil {
		c.errf("config: %v", err)
		return
	}
	for _, name := range sortedKeys(c.s.Config.Variables) {
		if !strings.Contains(vars, fmt.Sprintf(reConfigVar, name)) {
			c.errf("config variable %s: not in config/vars.d.ts", name)
		}
		if m := p.Args.Member(name); m == nil {
			c.errf("config variable %s: not a provider input", name)
		} else {
			c.compat("config variable "+name, c.s.Config.Variables[name], m.Type, "in")
		}
	}
}

// restrict keeps the entries of m that are declared (the provider subset
// leaves most provider settings out on purpose).
func restrict(m map[string]bool, props map[string]*PropertySpec) map[string]bool {
	out := map[string]bool{}
	for k, v := range m {
		if props[k] != nil {
			out[k] = v
		}
	}
	return out
}
