package kindtext

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file reads the module's own source for every kind a finding can
// carry, so that a kind added anywhere is held to the catalogue without a
// list here to keep in step. It follows values syntactically: a kind is
// whatever reaches the Kind field of a finding.Finding (in a composite
// literal or an assignment to a Finding variable's Kind), traced back
// through constants, string concatenation, locals, parameters (to every
// call of their function in the package), results of functions, and the
// fields of other structs (to every literal of that struct type). A value
// it cannot trace is an error naming its place: a new way of building a
// kind must be taught to the reader, never skipped.

const modulePath = "github.com/skimwatch/skimwatch"

// kindShape is what a finding kind looks like: a family and dotted,
// dash-separated lower-case words ("csp.lint.unsafe-inline"). Traced
// strings of another shape (an empty kind, a csp.Kind like "url" on the
// way through a field) are not finding kinds.
var kindShape = regexp.MustCompile(`^[a-z]+(\.[a-z0-9]+(-[a-z0-9]+)*)+$`)

type srcFile struct {
	pkg     string // import path
	file    *ast.File
	imports map[string]string // local name to import path
}

// srcTypeRef names a named type: its package's import path and its name.
type srcTypeRef struct{ pkg, name string }

type sourceReader struct {
	fset  *token.FileSet
	files []*srcFile
	// parents maps every node to its parent, for enclosing functions and
	// for the implied type of an untyped element of a composite literal.
	parents map[ast.Node]ast.Node
	fileOf  map[ast.Node]*srcFile
	// visiting and tracing stop a field or an expression whose value
	// flows back into itself.
	visiting map[string]bool
	tracing  map[ast.Expr]bool
	// unresolved collects what could not be traced, by position.
	unresolved map[string]string
}

// readSource parses every non-test Go file of the module. Packages only
// tests import (storetest, webtest, testsupport) and testdata are left
// out: their findings are made up by tests, not emitted by skimwatch.
func readSource(t *testing.T, root string) *sourceReader {
	t.Helper()
	r := &sourceReader{fset: token.NewFileSet(), parents: map[ast.Node]ast.Node{}, fileOf: map[ast.Node]*srcFile{},
		visiting: map[string]bool{}, tracing: map[ast.Expr]bool{}, unresolved: map[string]string{}}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" ||
				name == "testsupport" || strings.HasSuffix(name, "test")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(r.fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		sf := &srcFile{pkg: path.Join(modulePath, filepath.ToSlash(rel)), file: f, imports: map[string]string{}}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			local := path.Base(ip)
			if im.Name != nil {
				local = im.Name.Name
			}
			sf.imports[local] = ip
		}
		r.files = append(r.files, sf)
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if len(stack) > 0 {
				r.parents[n] = stack[len(stack)-1]
			}
			r.fileOf[n] = sf
			stack = append(stack, n)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *sourceReader) pos(n ast.Node) string {
	p := r.fset.Position(n.Pos())
	return fmt.Sprintf("%s:%d", p.Filename, p.Line)
}

func (r *sourceReader) fail(n ast.Node, why string) {
	r.unresolved[r.pos(n)] = why
}

// findingKinds is every kind the source can put in a finding's Kind.
func (r *sourceReader) findingKinds() []string {
	vals := r.fieldValues(srcTypeRef{modulePath + "/internal/finding", "Finding"}, "Kind")
	var out []string
	for _, v := range vals {
		if kindShape.MatchString(v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// fieldValues traces every value given to field of type t: in composite
// literals of t anywhere in the module, keyed or positional, and in
// assignments to the field of a variable of type t.
func (r *sourceReader) fieldValues(t srcTypeRef, field string) []string {
	key := "field " + t.pkg + "." + t.name + "." + field
	if r.visiting[key] {
		return nil
	}
	r.visiting[key] = true
	defer delete(r.visiting, key)
	index := r.fieldIndex(t, field)
	var out []string
	for _, sf := range r.files {
		ast.Inspect(sf.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if lt, ok := r.litType(n); !ok || lt != t {
					return true
				}
				for i, e := range n.Elts {
					if kv, ok := e.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == field {
							out = append(out, r.values(kv.Value)...)
						}
					} else if i == index {
						out = append(out, r.values(e)...)
					}
				}
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					sel, ok := lhs.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != field || len(n.Rhs) != len(n.Lhs) {
						continue
					}
					if vt, ok := r.typeOf(sel.X); ok && vt == t {
						out = append(out, r.values(n.Rhs[i])...)
					}
				}
			}
			return true
		})
	}
	return out
}

// fieldIndex is field's position in t's struct declaration, for positional
// literals; -1 when not found.
func (r *sourceReader) fieldIndex(t srcTypeRef, field string) int {
	spec := r.typeSpec(t)
	if spec == nil {
		return -1
	}
	st, ok := spec.Type.(*ast.StructType)
	if !ok {
		return -1
	}
	i := 0
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			i++ // embedded
			continue
		}
		for _, n := range f.Names {
			if n.Name == field {
				return i
			}
			i++
		}
	}
	return -1
}

func (r *sourceReader) typeSpec(t srcTypeRef) *ast.TypeSpec {
	for _, sf := range r.files {
		if sf.pkg != t.pkg {
			continue
		}
		for _, d := range sf.file.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, s := range g.Specs {
					if ts := s.(*ast.TypeSpec); ts.Name.Name == t.name {
						return ts
					}
				}
			}
		}
	}
	return nil
}

// typeRef reads a type expression as a named type, through pointers.
func (r *sourceReader) typeRef(sf *srcFile, e ast.Expr) (srcTypeRef, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		return srcTypeRef{sf.pkg, e.Name}, true
	case *ast.StarExpr:
		return r.typeRef(sf, e.X)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if ip, ok := sf.imports[x.Name]; ok {
				return srcTypeRef{ip, e.Sel.Name}, true
			}
		}
	}
	return srcTypeRef{}, false
}

// elemRef is the element type of a slice, array or map type expression.
func (r *sourceReader) elemRef(sf *srcFile, e ast.Expr) (srcTypeRef, bool) {
	switch e := e.(type) {
	case *ast.ArrayType:
		return r.typeRef(sf, e.Elt)
	case *ast.MapType:
		return r.typeRef(sf, e.Value)
	}
	return srcTypeRef{}, false
}

// litType is a composite literal's type: its own, or the element type of
// the literal it sits in.
func (r *sourceReader) litType(c *ast.CompositeLit) (srcTypeRef, bool) {
	sf := r.fileOf[c]
	if c.Type != nil {
		return r.typeRef(sf, c.Type)
	}
	p := r.parents[c]
	if kv, ok := p.(*ast.KeyValueExpr); ok && kv.Value == c {
		p = r.parents[kv]
	}
	if u, ok := p.(*ast.UnaryExpr); ok {
		p = r.parents[u]
	}
	if outer, ok := p.(*ast.CompositeLit); ok && outer.Type != nil {
		return r.elemRef(sf, outer.Type)
	}
	return srcTypeRef{}, false
}

// typeOf is the named type of an expression, where the source says it
// plainly: a variable declared from a literal, a typed parameter or var,
// a function's result, or the element of what a range walks.
func (r *sourceReader) typeOf(e ast.Expr) (srcTypeRef, bool) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return r.typeOf(e.X)
	case *ast.StarExpr:
		return r.typeOf(e.X)
	case *ast.UnaryExpr:
		return r.typeOf(e.X)
	case *ast.CompositeLit:
		return r.litType(e)
	case *ast.IndexExpr:
		if t, ok := r.sliceTypeOf(e.X); ok {
			return t, true
		}
	case *ast.CallExpr:
		return r.resultType(e, 0)
	case *ast.Ident:
		d := r.declOf(e)
		if d == nil {
			return srcTypeRef{}, false
		}
		if d.typ != nil {
			return r.typeRef(r.fileOf[d.node], d.typ)
		}
		if d.rangeOver != nil {
			return r.sliceTypeOf(d.rangeOver)
		}
		if d.value != nil {
			if call, ok := d.value.(*ast.CallExpr); ok && d.tuple {
				return r.resultType(call, d.index)
			}
			return r.typeOf(d.value)
		}
	}
	return srcTypeRef{}, false
}

// sliceTypeOf is the element type of a slice-valued expression.
func (r *sourceReader) sliceTypeOf(e ast.Expr) (srcTypeRef, bool) {
	switch e := e.(type) {
	case *ast.CompositeLit:
		if e.Type != nil {
			return r.elemRef(r.fileOf[e], e.Type)
		}
	case *ast.CallExpr:
		fn, fsf := r.callee(e)
		if fn != nil && fn.Type.Results != nil && len(fn.Type.Results.List) > 0 {
			return r.elemRef(fsf, fn.Type.Results.List[0].Type)
		}
	case *ast.SelectorExpr:
		return r.sliceTypeOf(e.Sel)
	case *ast.Ident:
		if d := r.declOf(e); d != nil {
			if d.typ != nil {
				return r.elemRef(r.fileOf[d.node], d.typ)
			}
			if d.value != nil {
				return r.sliceTypeOf(d.value)
			}
		}
	}
	return srcTypeRef{}, false
}

// resultType is the i-th result type of the function a call calls.
func (r *sourceReader) resultType(call *ast.CallExpr, i int) (srcTypeRef, bool) {
	fn, fsf := r.callee(call)
	if fn == nil || fn.Type.Results == nil {
		return srcTypeRef{}, false
	}
	j := 0
	for _, f := range fn.Type.Results.List {
		n := max(1, len(f.Names))
		if i < j+n {
			return r.typeRef(fsf, f.Type)
		}
		j += n
	}
	return srcTypeRef{}, false
}

// callee finds the declaration of the module function a call calls: a
// function of the same package, one of an imported module package, or a
// method of the same package by its name.
func (r *sourceReader) callee(call *ast.CallExpr) (*ast.FuncDecl, *srcFile) {
	sf := r.fileOf[call]
	pkg, name, method := sf.pkg, "", false
	switch f := call.Fun.(type) {
	case *ast.Ident:
		name = f.Name
	case *ast.SelectorExpr:
		name = f.Sel.Name
		method = true
		if x, ok := f.X.(*ast.Ident); ok {
			if ip, ok := sf.imports[x.Name]; ok && r.declOf(x) == nil {
				pkg, method = ip, false
			}
		}
	default:
		return nil, nil
	}
	for _, of := range r.files {
		if of.pkg != pkg {
			continue
		}
		for _, d := range of.file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == name && (fd.Recv != nil) == method {
				return fd, of
			}
		}
	}
	return nil, nil
}

// decl is where a name is declared, as far as tracing needs.
type decl struct {
	node ast.Node
	// typ is a declared type; value an initial value (tuple: index into a
	// call's results); rangeOver the expression a range variable walks.
	typ       ast.Expr
	value     ast.Expr
	tuple     bool
	index     int
	rangeOver ast.Expr
	// param: the index of a function's parameter, fn that function.
	param int
	fn    ast.Node
	// assigns are later plain assignments to a local.
	assigns []ast.Expr
	// global: a package-level const or var.
	global bool
}

// declOf finds the declaration of an identifier: in the functions around
// it (parameters, :=, var, range), else at the package level.
func (r *sourceReader) declOf(id *ast.Ident) *decl {
	for n := r.parents[id]; n != nil; n = r.parents[n] {
		var ft *ast.FuncType
		var body *ast.BlockStmt
		switch f := n.(type) {
		case *ast.FuncDecl:
			ft, body = f.Type, f.Body
		case *ast.FuncLit:
			ft, body = f.Type, f.Body
		default:
			continue
		}
		if d := r.localDecl(id.Name, n, ft, body); d != nil {
			return d
		}
	}
	sf := r.fileOf[id]
	if sf == nil {
		return nil
	}
	for _, of := range r.files {
		if of.pkg != sf.pkg {
			continue
		}
		for _, dd := range of.file.Decls {
			g, ok := dd.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != id.Name {
						continue
					}
					d := &decl{node: vs, typ: vs.Type, param: -1, global: true}
					if i < len(vs.Values) {
						d.value = vs.Values[i]
					}
					return d
				}
			}
		}
	}
	return nil
}

func (r *sourceReader) localDecl(name string, fn ast.Node, ft *ast.FuncType, body *ast.BlockStmt) *decl {
	idx := 0
	for _, fl := range [](*ast.FieldList){ft.Params} {
		if fl == nil {
			continue
		}
		for _, f := range fl.List {
			for _, n := range f.Names {
				if n.Name == name {
					return &decl{node: n, typ: f.Type, param: idx, fn: fn}
				}
				idx++
			}
			if len(f.Names) == 0 {
				idx++
			}
		}
	}
	if body == nil {
		return nil
	}
	var d *decl
	ast.Inspect(body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok && d != nil {
			return false
		}
		switch s := n.(type) {
		case *ast.AssignStmt:
			for i, l := range s.Lhs {
				id, ok := l.(*ast.Ident)
				if !ok || id.Name != name {
					continue
				}
				var nd decl
				nd.node, nd.param = s, -1
				if len(s.Rhs) == len(s.Lhs) {
					nd.value = s.Rhs[i]
				} else if len(s.Rhs) == 1 {
					nd.value, nd.tuple, nd.index = s.Rhs[0], true, i
				}
				if d == nil && s.Tok == token.DEFINE {
					d = &nd
				} else if d != nil && nd.value != nil {
					d.assigns = append(d.assigns, nd.value)
				}
			}
		case *ast.RangeStmt:
			if id, ok := s.Value.(*ast.Ident); ok && id.Name == name && d == nil {
				d = &decl{node: s, rangeOver: s.X, param: -1}
			}
		case *ast.ValueSpec:
			for i, n := range s.Names {
				if n.Name == name && d == nil {
					d = &decl{node: s, typ: s.Type, param: -1}
					if i < len(s.Values) {
						d.value = s.Values[i]
					}
				}
			}
		}
		return true
	})
	return d
}

// values traces the strings an expression can hold.
func (r *sourceReader) values(e ast.Expr) []string {
	if r.tracing[e] {
		return nil
	}
	r.tracing[e] = true
	defer delete(r.tracing, e)
	sf := r.fileOf[e]
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			if err == nil {
				return []string{s}
			}
		}
	case *ast.ParenExpr:
		return r.values(e.X)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			var out []string
			for _, a := range r.values(e.X) {
				for _, b := range r.values(e.Y) {
					out = append(out, a+b)
				}
			}
			return out
		}
	case *ast.CallExpr:
		// A conversion to a named string type keeps the value.
		if len(e.Args) == 1 {
			if t, ok := r.typeRef(sf, e.Fun); ok && r.typeSpec(t) != nil {
				return r.values(e.Args[0])
			}
		}
		return r.results(e, 0)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if ip, ok := sf.imports[x.Name]; ok && r.declOf(x) == nil {
				return r.packageValue(ip, e.Sel.Name, e)
			}
		}
		t, ok := r.typeOf(e.X)
		if !ok {
			r.fail(e, "cannot tell the type of "+exprString(e.X)+" to follow its field "+e.Sel.Name)
			return nil
		}
		return r.fieldValues(t, e.Sel.Name)
	case *ast.Ident:
		d := r.declOf(e)
		if d == nil {
			r.fail(e, "cannot find the declaration of "+e.Name)
			return nil
		}
		return r.declValues(e, d)
	}
	r.fail(e, "cannot trace "+exprString(e))
	return nil
}

func (r *sourceReader) declValues(id *ast.Ident, d *decl) []string {
	var out []string
	switch {
	case d.param >= 0 && d.fn != nil:
		out = r.argValues(d.fn, d.param, id)
	case d.rangeOver != nil:
		r.fail(id, "cannot trace the range variable "+id.Name)
	case d.value != nil && d.tuple:
		call, ok := d.value.(*ast.CallExpr)
		if !ok {
			r.fail(id, "cannot trace "+id.Name)
			return nil
		}
		out = r.results(call, d.index)
	case d.value != nil:
		out = r.values(d.value)
	case len(d.assigns) == 0:
		r.fail(id, id.Name+" is declared without a value")
	}
	for _, a := range d.assigns {
		out = append(out, r.values(a)...)
	}
	return out
}

// packageValue is a package-level constant or variable of another package.
func (r *sourceReader) packageValue(pkg, name string, at ast.Node) []string {
	for _, sf := range r.files {
		if sf.pkg != pkg {
			continue
		}
		for _, dd := range sf.file.Decls {
			g, ok := dd.(*ast.GenDecl)
			if !ok || (g.Tok != token.CONST && g.Tok != token.VAR) {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name == name && i < len(vs.Values) {
						return r.values(vs.Values[i])
					}
				}
			}
		}
	}
	r.fail(at, "cannot find "+pkg+"."+name)
	return nil
}

// results traces the i-th result of every return of the called function.
func (r *sourceReader) results(call *ast.CallExpr, i int) []string {
	fn, _ := r.callee(call)
	if fn == nil || fn.Body == nil {
		r.fail(call, "cannot find the function "+exprString(call.Fun)+" in the module")
		return nil
	}
	var out []string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		if ret, ok := n.(*ast.ReturnStmt); ok && i < len(ret.Results) {
			out = append(out, r.values(ret.Results[i])...)
		}
		return true
	})
	return out
}

// argValues traces a parameter through every call of its function in the
// function's package: by name for a declared function or method, by the
// variable it is assigned to for a function literal.
func (r *sourceReader) argValues(fn ast.Node, param int, at ast.Node) []string {
	var name string
	switch f := fn.(type) {
	case *ast.FuncDecl:
		name = f.Name.Name
	case *ast.FuncLit:
		if as, ok := r.parents[f].(*ast.AssignStmt); ok && len(as.Lhs) == 1 {
			if id, ok := as.Lhs[0].(*ast.Ident); ok {
				name = id.Name
			}
		}
	}
	if name == "" {
		r.fail(at, "a parameter of a function with no name")
		return nil
	}
	pkg := r.fileOf[fn].pkg
	// A function literal is called where its variable is in scope: the
	// function around it. A declared function is called by its name, a
	// method through a selector.
	var scope []ast.Node
	isMethod := false
	if fd, ok := fn.(*ast.FuncDecl); ok {
		isMethod = fd.Recv != nil
		for _, sf := range r.files {
			if sf.pkg == pkg {
				scope = append(scope, sf.file)
			}
		}
	} else {
		for n := r.parents[fn]; n != nil; n = r.parents[n] {
			if _, ok := n.(*ast.FuncDecl); ok {
				scope = append(scope, n)
				break
			}
		}
	}
	out, calls := r.callArgs(scope, name, isMethod, param)
	if calls == 0 {
		r.fail(at, "no call of "+name+" found")
	}
	return out
}

// callArgs traces argument param of every call of name within scope. A
// function value passed on to another function is followed there, under
// the name of that function's parameter.
func (r *sourceReader) callArgs(scope []ast.Node, name string, isMethod bool, param int) ([]string, int) {
	var out []string
	calls := 0
	for _, sc := range scope {
		ast.Inspect(sc, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for j, a := range call.Args {
				if id, ok := a.(*ast.Ident); ok && id.Name == name && !isMethod {
					g, _ := r.callee(call)
					pname := paramName(g, j)
					if pname == "" {
						r.fail(call, name+" is passed to "+exprString(call.Fun)+", which the reader cannot follow")
						continue
					}
					more, c := r.callArgs([]ast.Node{g.Body}, pname, false, param)
					out, calls = append(out, more...), calls+c
				}
			}
			if call.Ellipsis.IsValid() || param >= len(call.Args) {
				return true
			}
			var callName string
			switch f := call.Fun.(type) {
			case *ast.Ident:
				if !isMethod {
					callName = f.Name
				}
			case *ast.SelectorExpr:
				if isMethod {
					callName = f.Sel.Name
				}
			}
			if callName == name {
				calls++
				out = append(out, r.values(call.Args[param])...)
			}
			return true
		})
	}
	return out, calls
}

// paramName is the name of fn's parameter i, "" when there is none.
func paramName(fn *ast.FuncDecl, i int) string {
	if fn == nil || fn.Body == nil {
		return ""
	}
	j := 0
	for _, f := range fn.Type.Params.List {
		for _, n := range f.Names {
			if j == i {
				return n.Name
			}
			j++
		}
		if len(f.Names) == 0 {
			j++
		}
	}
	return ""
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	case *ast.CallExpr:
		return exprString(e.Fun) + "(...)"
	}
	return fmt.Sprintf("%T", e)
}
