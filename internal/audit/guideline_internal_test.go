package audit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// declaredKinds reads the package's own source for every constant named
// Kind... whose value is an "audit." kind, wherever it is declared, so that
// a kind added in any file is held to the mapping below without this test
// having to list it.
func declaredKinds(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	kinds := map[string]string{}
	for _, f := range files {
		{
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if !strings.HasPrefix(n.Name, "Kind") || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.BasicLit)
						if !ok || lit.Kind != token.STRING {
							continue
						}
						v, err := strconv.Unquote(lit.Value)
						if err == nil && strings.HasPrefix(v, "audit.") {
							kinds[n.Name] = v
						}
					}
				}
			}
		}
	}
	return kinds
}

// Every kind the audit can raise must count against a measure, or the
// guideline report would list it as unmapped: a kind declared without a
// name that maps (see measurePrefixes) fails here.
func TestEveryAuditKindHasAMeasure(t *testing.T) {
	kinds := declaredKinds(t)
	// The reader must at least see the kinds of verdict.go's table.
	for k := range severity {
		found := false
		for _, v := range kinds {
			found = found || v == k
		}
		if !found {
			t.Fatalf("the source reader missed %s; it cannot vouch for the rest", k)
		}
	}
	for name, kind := range kinds {
		t.Run(name+" ("+kind+") counts against a measure", func(t *testing.T) {
			if MeasureOf(kind) == 0 {
				t.Errorf("%s maps to no measure: give it a name measurePrefixes knows, or add its prefix there", kind)
			}
		})
	}
}
