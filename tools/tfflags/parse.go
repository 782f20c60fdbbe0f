package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Attr is one Terraform attribute as its schema literal declares it.
type Attr struct {
	Name          string // Terraform path, "parent.child" when nested
	Type          string // TypeString, TypeList, ...
	Required      bool
	Optional      bool
	Computed      bool
	ForceNew      bool
	Sensitive     bool
	Deprecated    bool
	Removed       bool
	ConflictsWith []string
	ExactlyOneOf  []string
	Default       *string
	MaxItems      int
	Nested        bool
}

// providerMaps reads provider.go: Terraform resource and data source names
// to the function that builds their schema.
func providerMaps(src string) (map[string]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(src, "provider.go"), nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		kv, ok := n.(*ast.KeyValueExpr)
		if !ok {
			return true
		}
		key, ok := stringLit(kv.Key)
		if !ok || !strings.HasPrefix(key, "alicloud_") {
			return true
		}
		if call, ok := kv.Value.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok {
				out[key] = id.Name
			}
		}
		return true
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s/provider.go: no resource map found", src)
	}
	return out, nil
}

// funcIndex finds, for each wanted function, the file that declares it,
// by a textual scan first (the package has thousands of files).
func findFunc(src, name string) (*ast.FuncDecl, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, err
	}
	needle := []byte("func " + name + "(")
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		path := filepath.Join(src, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(b, needle) {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, b, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name && fd.Recv == nil {
				return fd, nil
			}
		}
	}
	return nil, fmt.Errorf("func %s not found in %s", name, src)
}

// resourceAttrs returns the attributes of the schema.Resource literal that
// fn returns, nested blocks included.
func resourceAttrs(src string, fn *ast.FuncDecl) ([]Attr, error) {
	var schemaMap *ast.CompositeLit
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if schemaMap != nil {
			return false
		}
		if lit, ok := n.(*ast.CompositeLit); ok && isSel(lit.Type, "schema", "Resource") {
			schemaMap = fieldLit(lit, "Schema")
			return false
		}
		return true
	})
	if schemaMap == nil {
		return nil, fmt.Errorf("%s: no &schema.Resource{Schema: map...} literal", fn.Name.Name)
	}
	var attrs []Attr
	if err := walkSchema(src, schemaMap, "", &attrs); err != nil {
		return nil, fmt.Errorf("%s: %w", fn.Name.Name, err)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].Name < attrs[j].Name })
	return attrs, nil
}

func walkSchema(src string, m *ast.CompositeLit, prefix string, out *[]Attr) error {
	var err error
	for _, el := range m.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		name, ok := stringLit(kv.Key)
		if !ok {
			return fmt.Errorf("schema key %s is not a string literal", exprText(kv.Key))
		}
		lit := compositeOf(kv.Value)
		if call, ok := kv.Value.(*ast.CallExpr); ok && lit == nil {
			// A shared helper such as tagsSchema() returns the literal.
			lit, err = helperSchema(src, call)
			if err != nil {
				return err
			}
		}
		if lit == nil {
			return fmt.Errorf("attribute %s%s is not a schema literal", prefix, name)
		}
		a := Attr{Name: prefix + name, Nested: prefix != ""}
		for _, f := range lit.Elts {
			fkv, ok := f.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			key := exprText(fkv.Key)
			switch key {
			case "Type":
				if sel, ok := fkv.Value.(*ast.SelectorExpr); ok {
					a.Type = sel.Sel.Name
				}
			case "Required":
				a.Required = isTrue(fkv.Value)
			case "Optional":
				a.Optional = isTrue(fkv.Value)
			case "Computed":
				a.Computed = isTrue(fkv.Value)
			case "ForceNew":
				a.ForceNew = isTrue(fkv.Value)
			case "Sensitive":
				a.Sensitive = isTrue(fkv.Value)
			case "Deprecated":
				a.Deprecated = true
			case "Removed":
				a.Removed = true
			case "ConflictsWith":
				a.ConflictsWith = stringList(fkv.Value)
			case "ExactlyOneOf":
				a.ExactlyOneOf = stringList(fkv.Value)
			case "MaxItems":
				if n, err := strconv.Atoi(exprText(fkv.Value)); err == nil {
					a.MaxItems = n
				}
			case "Default":
				text := exprText(fkv.Value)
				if s, ok := stringLit(fkv.Value); ok {
					text = s
				}
				a.Default = &text
			case "Elem":
				if inner := compositeOf(fkv.Value); inner != nil && isSel(inner.Type, "schema", "Resource") {
					if sm := fieldLit(inner, "Schema"); sm != nil && !a.Removed {
						if err := walkSchema(src, sm, a.Name+".", out); err != nil {
							return err
						}
					}
				}
			}
		}
		*out = append(*out, a)
	}
	return nil
}

// compositeOf unwraps &T{...} and {...}.
func compositeOf(e ast.Expr) *ast.CompositeLit {
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.AND {
		e = u.X
	}
	lit, _ := e.(*ast.CompositeLit)
	return lit
}

func fieldLit(lit *ast.CompositeLit, field string) *ast.CompositeLit {
	for _, el := range lit.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok && exprText(kv.Key) == field {
			return compositeOf(kv.Value)
		}
	}
	return nil
}

func isSel(e ast.Expr, pkg, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && id.Name == pkg && sel.Sel.Name == name
}

func isTrue(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "true"
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

func stringList(e ast.Expr) []string {
	lit := compositeOf(e)
	if lit == nil {
		return nil
	}
	var out []string
	for _, el := range lit.Elts {
		if s, ok := stringLit(el); ok {
			out = append(out, s)
		}
	}
	return out
}

func exprText(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, token.NewFileSet(), e)
	return b.String()
}

// helperSchema returns the &schema.Schema literal a helper function without
// arguments returns.
func helperSchema(src string, call *ast.CallExpr) (*ast.CompositeLit, error) {
	id, ok := call.Fun.(*ast.Ident)
	if !ok || len(call.Args) > 0 {
		return nil, nil
	}
	fn, err := findFunc(src, id.Name)
	if err != nil {
		return nil, err
	}
	var lit *ast.CompositeLit
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if l, ok := n.(*ast.CompositeLit); ok && lit == nil && isSel(l.Type, "schema", "Schema") {
			lit = l
		}
		return lit == nil
	})
	return lit, nil
}
