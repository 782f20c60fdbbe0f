// Package sdk checks the generated alicloud subset SDK (sdks/alicloud) against
// the published npm package @pulumi/alicloud of the same version, and that the
// committed generated code is what the schema generates.
//
// This file is a deliberately small parser for the TypeScript declaration
// shapes that Pulumi's Node.js codegen emits: interfaces (top level or inside
// `export declare namespace x { ... }`), resource classes, and member types
// built from string/number/boolean/any, arrays, `{ [key: string]: T; }` maps,
// `pulumi.Input<...>`/`pulumi.Output<...>` wrappers, `T | undefined` and
// references to `inputs.<mod>.<Type>` / `outputs.<mod>.<Type>`. Anything else
// is reported as an error rather than guessed.
package sdk

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// TSType is a parsed TypeScript member type with the Pulumi wrappers removed.
type TSType struct {
	Kind      string  // "string", "number", "boolean", "any", "array", "map", "ref"
	Elem      *TSType // array and map element
	Ref       string  // "mod.Name" for Kind "ref"
	Undefined bool    // the type was `T | undefined`
}

func (t *TSType) String() string {
	if t == nil {
		return "<nil>"
	}
	s := t.Kind
	switch t.Kind {
	case "array":
		s = t.Elem.String() + "[]"
	case "map":
		s = "map<" + t.Elem.String() + ">"
	case "ref":
		s = t.Ref
	}
	if t.Undefined {
		s += "|undefined"
	}
	return s
}

// TSMember is a property of an interface or a class.
type TSMember struct {
	Name       string
	Optional   bool // declared with `?`
	Type       *TSType
	Doc        string // JSDoc text without the @deprecated paragraph
	Deprecated string // text of @deprecated, if any
}

// TSDecl is an interface or a class with its properties in source order.
type TSDecl struct {
	Name    string // namespace-qualified: "cs.NodePoolManagement" or "NodePool"
	Class   bool
	Func    bool // a declared function (only Doc is set)
	Doc     string
	Members []*TSMember
}

// Member returns the named member or nil.
func (d *TSDecl) Member(name string) *TSMember {
	for _, m := range d.Members {
		if m.Name == name {
			return m
		}
	}
	return nil
}

type token struct {
	kind string // "id", "doc", "str", "num", "p" (punctuation)
	text string
}

func tokenize(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "/**"):
			end := strings.Index(src[i+3:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at offset %d", i)
			}
			toks = append(toks, token{"doc", src[i+3 : i+3+end]})
			i += 3 + end + 2
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment at offset %d", i)
			}
			i += 2 + end + 2
		case strings.HasPrefix(src[i:], "//"):
			end := strings.IndexByte(src[i:], '\n')
			if end < 0 {
				end = len(src) - i
			}
			i += end
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("unterminated string at offset %d", i)
			}
			toks = append(toks, token{"str", src[i+1 : j]})
			i = j + 1
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			toks = append(toks, token{"id", src[i:j]})
			i = j
		case c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{"num", src[i:j]})
			i = j
		case strings.HasPrefix(src[i:], "=>"):
			toks = append(toks, token{"p", "=>"})
			i += 2
		default:
			toks = append(toks, token{"p", string(c)})
			i++
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// cleanDoc turns a JSDoc body into plain text and splits off @deprecated.
func cleanDoc(raw string) (doc, deprecated string) {
	var lines []string
	for _, l := range strings.Split(raw, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "*")
		if strings.HasPrefix(l, " ") {
			l = l[1:]
		}
		lines = append(lines, strings.TrimRight(l, " \t"))
	}
	var docLines, depLines []string
	inDep := false
	for _, l := range lines {
		if strings.HasPrefix(l, "@deprecated") {
			inDep = true
			l = strings.TrimSpace(strings.TrimPrefix(l, "@deprecated"))
		}
		if inDep {
			depLines = append(depLines, l)
		} else {
			docLines = append(docLines, l)
		}
	}
	return strings.TrimSpace(strings.Join(docLines, "\n")), strings.TrimSpace(strings.Join(depLines, "\n"))
}

// ParseDecls parses every interface and class in a .d.ts source.
func ParseDecls(src string) (map[string]*TSDecl, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	decls := map[string]*TSDecl{}
	var nsStack []string // namespace names; "" marks a non-namespace block
	lastDoc := ""
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == "doc":
			lastDoc = t.text
			continue
		case t.kind == "id" && (t.text == "export" || t.text == "declare"):
			continue // modifiers keep the doc comment for what follows
		case t.kind == "id" && t.text == "namespace" && i+2 < len(toks) && toks[i+2].text == "{":
			nsStack = append(nsStack, toks[i+1].text)
			i += 2
		case t.kind == "id" && t.text == "function" && i+1 < len(toks) && toks[i+1].kind == "id":
			// only the doc comment is kept; the signature is skipped as tokens
			d := &TSDecl{Name: qualify(nsStack, toks[i+1].text), Func: true}
			d.Doc, _ = cleanDoc(lastDoc)
			if _, dup := decls[d.Name]; !dup {
				decls[d.Name] = d
			}
			i++
		case t.kind == "id" && (t.text == "interface" || t.text == "class") && i+1 < len(toks) && toks[i+1].kind == "id":
			name := toks[i+1].text
			j := i + 2
			for j < len(toks) && toks[j].text != "{" {
				j++
			}
			end, err := matchBrace(toks, j)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			d := &TSDecl{Name: qualify(nsStack, name), Class: t.text == "class"}
			d.Doc, _ = cleanDoc(lastDoc)
			if err := parseBody(d, toks[j+1:end]); err != nil {
				return nil, fmt.Errorf("%s: %w", d.Name, err)
			}
			decls[d.Name] = d
			i = end
		case t.text == "{":
			nsStack = append(nsStack, "")
		case t.text == "}":
			if len(nsStack) == 0 {
				return nil, fmt.Errorf("unbalanced }")
			}
			nsStack = nsStack[:len(nsStack)-1]
		}
		lastDoc = ""
	}
	return decls, nil
}

func qualify(ns []string, name string) string {
	var parts []string
	for _, n := range ns {
		if n != "" {
			parts = append(parts, n)
		}
	}
	return strings.Join(append(parts, name), ".")
}

func matchBrace(toks []token, open int) (int, error) {
	if open >= len(toks) || toks[open].text != "{" {
		return 0, fmt.Errorf("expected {")
	}
	depth := 0
	for k := open; k < len(toks); k++ {
		switch toks[k].text {
		case "{":
			if toks[k].kind == "p" {
				depth++
			}
		case "}":
			if toks[k].kind == "p" {
				depth--
				if depth == 0 {
					return k, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("unbalanced {")
}

// parseBody splits a body into members at top-level `;` and parses the
// property members; methods, constructors and static members are skipped.
func parseBody(d *TSDecl, toks []token) error {
	depth := 0
	start := 0
	for k := 0; k <= len(toks); k++ {
		if k < len(toks) {
			tk := toks[k]
			if tk.kind == "p" {
				switch tk.text {
				case "{", "(", "<", "[":
					depth++
				case "}", ")", ">", "]":
					depth--
				}
			}
			if !(tk.kind == "p" && tk.text == ";" && depth == 0) {
				continue
			}
		}
		if err := parseMember(d, toks[start:k]); err != nil {
			return err
		}
		start = k + 1
	}
	return nil
}

func parseMember(d *TSDecl, toks []token) error {
	doc := ""
	for len(toks) > 0 && toks[0].kind == "doc" {
		doc = toks[0].text
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil
	}
	for len(toks) > 1 && toks[0].kind == "id" && toks[1].kind != "p" {
		switch toks[0].text {
		case "static", "private", "protected":
			return nil
		case "readonly", "public", "declare":
			toks = toks[1:]
			continue
		}
		break
	}
	if toks[0].kind != "id" {
		return fmt.Errorf("unexpected member start %q", toks[0].text)
	}
	name := toks[0].text
	rest := toks[1:]
	m := &TSMember{Name: name}
	if len(rest) > 0 && rest[0].text == "?" {
		m.Optional = true
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0].text != ":" {
		// a method, constructor or index signature: not a property
		return nil
	}
	typ, err := ParseType(rest[1:])
	if err != nil {
		return fmt.Errorf("member %s: %w", name, err)
	}
	m.Type = typ
	m.Doc, m.Deprecated = cleanDoc(doc)
	d.Members = append(d.Members, m)
	return nil
}

// ParseType parses a member type and strips pulumi.Input/pulumi.Output.
func ParseType(toks []token) (*TSType, error) {
	p := &typeParser{toks: toks}
	t, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("trailing tokens at %q", p.toks[p.pos].text)
	}
	return t, nil
}

type typeParser struct {
	toks []token
	pos  int
}

func (p *typeParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].text
	}
	return ""
}

func (p *typeParser) expect(s string) error {
	if p.peek() != s {
		return fmt.Errorf("expected %q, got %q", s, p.peek())
	}
	p.pos++
	return nil
}

func (p *typeParser) union() (*TSType, error) {
	var members []*TSType
	undef := false
	for {
		if p.peek() == "undefined" {
			p.pos++
			undef = true
		} else {
			t, err := p.postfix()
			if err != nil {
				return nil, err
			}
			members = append(members, t)
		}
		if p.peek() != "|" {
			break
		}
		p.pos++
	}
	if len(members) != 1 {
		return nil, fmt.Errorf("unsupported union of %d types", len(members))
	}
	t := members[0]
	if undef {
		c := *t
		c.Undefined = true
		t = &c
	}
	return t, nil
}

func (p *typeParser) postfix() (*TSType, error) {
	t, err := p.atom()
	if err != nil {
		return nil, err
	}
	for p.peek() == "[" && p.pos+1 < len(p.toks) && p.toks[p.pos+1].text == "]" {
		p.pos += 2
		t = &TSType{Kind: "array", Elem: t}
	}
	return t, nil
}

func (p *typeParser) dotted() (string, error) {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != "id" {
		return "", fmt.Errorf("expected identifier, got %q", p.peek())
	}
	parts := []string{p.toks[p.pos].text}
	p.pos++
	for p.peek() == "." {
		p.pos++
		if p.pos >= len(p.toks) || p.toks[p.pos].kind != "id" {
			return "", fmt.Errorf("expected identifier after '.'")
		}
		parts = append(parts, p.toks[p.pos].text)
		p.pos++
	}
	return strings.Join(parts, "."), nil
}

func (p *typeParser) atom() (*TSType, error) {
	switch p.peek() {
	case "(":
		p.pos++
		t, err := p.union()
		if err != nil {
			return nil, err
		}
		return t, p.expect(")")
	case "{":
		// { [key: string]: T; }
		p.pos++
		for _, s := range []string{"[", "key", ":", "string", "]", ":"} {
			if err := p.expect(s); err != nil {
				return nil, fmt.Errorf("map type: %w", err)
			}
		}
		elem, err := p.union()
		if err != nil {
			return nil, err
		}
		if p.peek() == ";" {
			p.pos++
		}
		return &TSType{Kind: "map", Elem: elem}, p.expect("}")
	}
	name, err := p.dotted()
	if err != nil {
		return nil, err
	}
	switch name {
	case "string", "number", "boolean", "any":
		return &TSType{Kind: name}, nil
	case "pulumi.Input", "pulumi.Output":
		if err := p.expect("<"); err != nil {
			return nil, err
		}
		t, err := p.union()
		if err != nil {
			return nil, err
		}
		return t, p.expect(">")
	}
	for _, prefix := range []string{"inputs.", "outputs."} {
		if strings.HasPrefix(name, prefix) {
			return &TSType{Kind: "ref", Ref: strings.TrimPrefix(name, prefix)}, nil
		}
	}
	return nil, fmt.Errorf("unsupported type %q", name)
}

// NPM is a view of an extracted @pulumi/alicloud package.
type NPM struct {
	Dir     string
	Version string
	files   map[string]map[string]*TSDecl
	inputs  map[string]*TSDecl
	outputs map[string]*TSDecl
}

// OpenNPM opens an extracted package directory (the one holding package.json).
func OpenNPM(dir string) (*NPM, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`"version":\s*"([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		return nil, fmt.Errorf("no version in %s/package.json", dir)
	}
	n := &NPM{Dir: dir, Version: string(m[1]), files: map[string]map[string]*TSDecl{}}
	if n.inputs, err = n.decls("types/input.d.ts"); err != nil {
		return nil, err
	}
	if n.outputs, err = n.decls("types/output.d.ts"); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *NPM) decls(rel string) (map[string]*TSDecl, error) {
	if d, ok := n.files[rel]; ok {
		return d, nil
	}
	raw, err := os.ReadFile(filepath.Join(n.Dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	d, err := ParseDecls(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	n.files[rel] = d
	return d, nil
}

// JS returns the text of a .js file of the package.
func (n *NPM) JS(rel string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(n.Dir, filepath.FromSlash(rel)))
	return string(raw), err
}

// InputType and OutputType return a named type of types/input.d.ts or
// types/output.d.ts ("mod.Name"), or nil.
func (n *NPM) InputType(ref string) *TSDecl  { return n.inputs[ref] }
func (n *NPM) OutputType(ref string) *TSDecl { return n.outputs[ref] }

// Token is a parsed Pulumi type token alicloud:<mod>/<file>:<Name>.
type Token struct {
	Pkg, Mod, File, Name string
}

// ParseToken splits a token such as alicloud:cs/nodePool:NodePool.
func ParseToken(tok string) (Token, error) {
	parts := strings.Split(tok, ":")
	if len(parts) != 3 {
		return Token{}, fmt.Errorf("bad token %q", tok)
	}
	mf := strings.SplitN(parts[1], "/", 2)
	if len(mf) != 2 {
		return Token{}, fmt.Errorf("bad token %q: no module", tok)
	}
	return Token{Pkg: parts[0], Mod: mf[0], File: mf[1], Name: parts[2]}, nil
}

// ResourceInfo is what the npm package says about one resource.
type ResourceInfo struct {
	Token         string
	Class         *TSDecl // outputs
	Args          *TSDecl
	State         *TSDecl
	JSRequired    []string        // "Missing required property" checks
	SecretOutputs map[string]bool // additionalSecretOutputs
	SecretInputs  map[string]bool // inputs wrapped in pulumi.secret
	EnvDefaults   map[string][]string
}

var (
	reMissing   = regexp.MustCompile(`args\??\.(\w+) === undefined`)
	reSecretOut = regexp.MustCompile(`additionalSecretOutputs:\s*\[([^\]]*)\]`)
	reSecretIn  = regexp.MustCompile(`resourceInputs\["(\w+)"\] = [^;\n]*pulumi\.secret\(`)
	reEnv       = regexp.MustCompile(`resourceInputs\["(\w+)"\] = \(args\?\.\w+\) \?\? utilities\.getEnv\(([^)]*)\)`)
	reQuoted    = regexp.MustCompile(`"([^"]*)"`)
)

// Resource reads <mod>/<file>.d.ts and .js for a resource token and checks
// that the .js declares that token.
func (n *NPM) Resource(tok string) (*ResourceInfo, error) {
	t, err := ParseToken(tok)
	if err != nil {
		return nil, err
	}
	return n.resource(tok, t.Mod+"/"+t.File, t.Name, fmt.Sprintf("__pulumiType = '%s';", tok))
}

// Provider reads provider.d.ts and provider.js.
func (n *NPM) Provider() (*ResourceInfo, error) {
	return n.resource("pulumi:providers:alicloud", "provider", "Provider", "__pulumiType = 'alicloud';")
}

func (n *NPM) resource(tok, base, name, marker string) (*ResourceInfo, error) {
	decls, err := n.decls(base + ".d.ts")
	if err != nil {
		return nil, err
	}
	js, err := n.JS(base + ".js")
	if err != nil {
		return nil, err
	}
	if !strings.Contains(js, marker) {
		return nil, fmt.Errorf("%s.js does not declare %s", base, marker)
	}
	r := &ResourceInfo{Token: tok, Class: decls[name], Args: decls[name+"Args"], State: decls[name+"State"],
		SecretOutputs: map[string]bool{}, SecretInputs: map[string]bool{}, EnvDefaults: map[string][]string{}}
	if r.Class == nil || !r.Class.Class || r.Args == nil {
		return nil, fmt.Errorf("%s.d.ts: class %s or interface %sArgs missing", base, name, name)
	}
	for _, m := range reMissing.FindAllStringSubmatch(js, -1) {
		r.JSRequired = append(r.JSRequired, m[1])
	}
	sort.Strings(r.JSRequired)
	if m := reSecretOut.FindStringSubmatch(js); m != nil {
		for _, q := range reQuoted.FindAllStringSubmatch(m[1], -1) {
			r.SecretOutputs[q[1]] = true
		}
	}
	for _, m := range reSecretIn.FindAllStringSubmatch(js, -1) {
		r.SecretInputs[m[1]] = true
	}
	for _, m := range reEnv.FindAllStringSubmatch(js, -1) {
		for _, q := range reQuoted.FindAllStringSubmatch(m[2], -1) {
			r.EnvDefaults[m[1]] = append(r.EnvDefaults[m[1]], q[1])
		}
	}
	return r, nil
}

// FunctionInfo is what the npm package says about one function.
type FunctionInfo struct {
	Token  string
	Args   *TSDecl // plain args (may be nil for functions without inputs)
	Result *TSDecl
	Doc    string // doc comment of the function
}

// Function reads <mod>/<file>.d.ts and .js for an invoke token.
func (n *NPM) Function(tok string) (*FunctionInfo, error) {
	t, err := ParseToken(tok)
	if err != nil {
		return nil, err
	}
	base := t.Mod + "/" + t.File
	decls, err := n.decls(base + ".d.ts")
	if err != nil {
		return nil, err
	}
	js, err := n.JS(base + ".js")
	if err != nil {
		return nil, err
	}
	if !strings.Contains(js, fmt.Sprintf("pulumi.runtime.invoke(%q", tok)) {
		return nil, fmt.Errorf("%s.js does not invoke %s", base, tok)
	}
	up := strings.ToUpper(t.Name[:1]) + t.Name[1:]
	f := &FunctionInfo{Token: tok, Args: decls[up+"Args"], Result: decls[up+"Result"]}
	if fn := decls[t.Name]; fn != nil && fn.Func {
		f.Doc = fn.Doc
	}
	if f.Result == nil {
		return nil, fmt.Errorf("%s.d.ts: interface %sResult missing", base, up)
	}
	return f, nil
}
