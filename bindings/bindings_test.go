package bindings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestNoBareErrors checks the rules of doc.go on every exported function:
// none returns a bare error (gopy leaks a C string per call of one), and
// none takes or returns a slice other than []byte.
func TestNoBareErrors(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv != nil || !fd.Name.IsExported() {
					continue
				}
				n++
				res := fd.Type.Results
				if res != nil && res.NumFields() == 1 && types(res)[0] == "error" {
					t.Errorf("%s returns a bare error", fd.Name.Name)
				}
				for _, typ := range append(types(fd.Type.Params), types(res)...) {
					if strings.HasPrefix(typ, "[]") && typ != "[]byte" {
						t.Errorf("%s takes or returns %s", fd.Name.Name, typ)
					}
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("found %d exported functions, want the whole facade", n)
	}
}

func types(fl *ast.FieldList) []string {
	if fl == nil {
		return nil
	}
	var out []string
	for _, f := range fl.List {
		s := exprString(f.Type)
		for range max(len(f.Names), 1) {
			out = append(out, s)
		}
	}
	return out
}

func exprString(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.ArrayType:
		return "[]" + exprString(x.Elt)
	case *ast.SelectorExpr:
		return exprString(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + exprString(x.X)
	}
	return "?"
}
