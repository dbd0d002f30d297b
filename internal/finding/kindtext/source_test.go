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
					vt, ok := r.typeOf(sel.X)
					if !ok {
						// It may be a finding: an assignment the reader
						// cannot type is an error, not a skip.
						r.fail(sel, "cannot tell the type of "+exprString(sel.X)+", whose "+field+" is set here")
						continue
					}
					if vt == t {
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

// litType is a composite literal's type: its own, or the element type of
// the literal it sits in.
func (r *sourceReader) litType(c *ast.CompositeLit) (srcTypeRef, bool) {
	return r.typeOf(c)
}

// typeOf is the named type of an expression, through pointers.
func (r *sourceReader) typeOf(e ast.Expr) (srcTypeRef, bool) {
	te, sf, ok := r.typeExpr(e)
	if !ok {
		return srcTypeRef{}, false
	}
	return r.typeRef(sf, te)
}

// typeExpr is the type expression of an expression as the source declares
// it, with the file that resolves its names: a variable's declared type or
// its value's, a literal's, a function's result, a struct's field, the
// element of what is indexed or ranged over.
func (r *sourceReader) typeExpr(e ast.Expr) (ast.Expr, *srcFile, bool) {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return r.typeExpr(e.X)
	case *ast.StarExpr: // a dereference
		return r.typeExpr(e.X)
	case *ast.UnaryExpr:
		return r.typeExpr(e.X)
	case *ast.CompositeLit:
		if e.Type != nil {
			return e.Type, r.fileOf[e], true
		}
		p := r.parents[e]
		if kv, ok := p.(*ast.KeyValueExpr); ok && kv.Value == e {
			p = r.parents[kv]
		}
		if u, ok := p.(*ast.UnaryExpr); ok {
			p = r.parents[u]
		}
		if outer, ok := p.(*ast.CompositeLit); ok {
			return r.elemExpr(outer)
		}
	case *ast.IndexExpr:
		return r.elemExpr(e.X)
	case *ast.TypeAssertExpr:
		if e.Type != nil {
			return e.Type, r.fileOf[e], true
		}
	case *ast.CallExpr:
		return r.resultExpr(e, 0)
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if ip, ok := r.fileOf[e].imports[x.Name]; ok && r.declOf(x) == nil {
				return r.packageVarType(ip, e.Sel.Name)
			}
		}
		t, ok := r.typeOf(e.X)
		if !ok {
			return nil, nil, false
		}
		return r.fieldType(t, e.Sel.Name)
	case *ast.Ident:
		d := r.declOf(e)
		if d == nil {
			return nil, nil, false
		}
		return r.declType(d)
	}
	return nil, nil, false
}

func (r *sourceReader) declType(d *decl) (ast.Expr, *srcFile, bool) {
	switch {
	case d.typ != nil:
		return d.typ, r.fileOf[d.node], true
	case d.rangeOver != nil:
		return r.elemExpr(d.rangeOver)
	case d.value != nil && d.tuple:
		switch v := d.value.(type) {
		case *ast.CallExpr:
			return r.resultExpr(v, d.index)
		case *ast.IndexExpr, *ast.TypeAssertExpr: // v, ok := m[k] / x.(T)
			if d.index == 0 {
				return r.typeExpr(v)
			}
		}
	case d.value != nil:
		return r.typeExpr(d.value)
	}
	return nil, nil, false
}

// elemExpr is the element type of a slice, array or map valued expression
// (or of a composite literal of one).
func (r *sourceReader) elemExpr(e ast.Expr) (ast.Expr, *srcFile, bool) {
	var te ast.Expr
	var sf *srcFile
	if c, ok := e.(*ast.CompositeLit); ok && c.Type != nil {
		te, sf = c.Type, r.fileOf[c]
	} else {
		var ok bool
		if te, sf, ok = r.typeExpr(e); !ok {
			return nil, nil, false
		}
	}
	for range 4 { // through pointers and named slice types
		switch t := te.(type) {
		case *ast.StarExpr:
			te = t.X
			continue
		case *ast.ArrayType:
			return t.Elt, sf, true
		case *ast.MapType:
			return t.Value, sf, true
		}
		ref, ok := r.typeRef(sf, te)
		if !ok {
			return nil, nil, false
		}
		spec := r.typeSpec(ref)
		if spec == nil {
			return nil, nil, false
		}
		te, sf = spec.Type, r.fileOf[spec]
	}
	return nil, nil, false
}

// fieldType is the declared type of field name in struct type t.
func (r *sourceReader) fieldType(t srcTypeRef, name string) (ast.Expr, *srcFile, bool) {
	spec := r.typeSpec(t)
	if spec == nil {
		return nil, nil, false
	}
	st, ok := spec.Type.(*ast.StructType)
	if !ok {
		return nil, nil, false
	}
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name == name {
				return f.Type, r.fileOf[spec], true
			}
		}
		if len(f.Names) == 0 { // an embedded struct's fields are promoted
			if et, ok := r.typeRef(r.fileOf[spec], f.Type); ok && et.name == name {
				return f.Type, r.fileOf[spec], true
			} else if ok {
				if te, sf, ok := r.fieldType(et, name); ok {
					return te, sf, true
				}
			}
		}
	}
	return nil, nil, false
}

// packageVarType is the type of another package's variable.
func (r *sourceReader) packageVarType(pkg, name string) (ast.Expr, *srcFile, bool) {
	for _, sf := range r.files {
		if sf.pkg != pkg {
			continue
		}
		for _, dd := range sf.file.Decls {
			if g, ok := dd.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if n.Name != name {
							continue
						}
						if vs.Type != nil {
							return vs.Type, sf, true
						}
						if i < len(vs.Values) {
							return r.typeExpr(vs.Values[i])
						}
					}
				}
			}
		}
	}
	return nil, nil, false
}

// resultExpr is the i-th result type of the function a call calls, or the
// type of a conversion.
func (r *sourceReader) resultExpr(call *ast.CallExpr, i int) (ast.Expr, *srcFile, bool) {
	ft, fsf := r.calleeType(call)
	if ft == nil {
		if t, ok := r.typeRef(r.fileOf[call], call.Fun); ok && r.typeSpec(t) != nil && i == 0 {
			return call.Fun, r.fileOf[call], true
		}
		return nil, nil, false
	}
	if ft.Results == nil {
		return nil, nil, false
	}
	j := 0
	for _, f := range ft.Results.List {
		n := max(1, len(f.Names))
		if i < j+n {
			return f.Type, fsf, true
		}
		j += n
	}
	return nil, nil, false
}

// calleeType is the signature of what a call calls: a module function, or a
// method of the receiver's type (declared, or in an interface).
func (r *sourceReader) calleeType(call *ast.CallExpr) (*ast.FuncType, *srcFile) {
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); !ok || r.fileOf[call].imports[x.Name] == "" || r.declOf(x) != nil {
			if t, ok := r.typeOf(sel.X); ok {
				return r.methodType(t, sel.Sel.Name)
			}
			return nil, nil
		}
	}
	fn, sf := r.callee(call)
	if fn == nil {
		return nil, nil
	}
	return fn.Type, sf
}

// methodType is the signature of method name of type t.
func (r *sourceReader) methodType(t srcTypeRef, name string) (*ast.FuncType, *srcFile) {
	if spec := r.typeSpec(t); spec != nil {
		if it, ok := spec.Type.(*ast.InterfaceType); ok {
			for _, m := range it.Methods.List {
				for _, n := range m.Names {
					if ft, ok := m.Type.(*ast.FuncType); ok && n.Name == name {
						return ft, r.fileOf[spec]
					}
				}
			}
			return nil, nil
		}
	}
	if fd, sf := r.methodDecl(t, name); fd != nil {
		return fd.Type, sf
	}
	return nil, nil
}

// methodDecl is the declaration of method name of type t.
func (r *sourceReader) methodDecl(t srcTypeRef, name string) (*ast.FuncDecl, *srcFile) {
	for _, sf := range r.files {
		if sf.pkg != t.pkg {
			continue
		}
		for _, d := range sf.file.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != name || len(fd.Recv.List) == 0 {
				continue
			}
			if rt, ok := r.typeRef(sf, fd.Recv.List[0].Type); ok && rt == t {
				return fd, sf
			}
		}
	}
	return nil, nil
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
		if method {
			// The receiver's type names the method; by name alone only
			// when the reader cannot tell that type.
			if t, ok := r.typeOf(f.X); ok {
				return r.methodDecl(t, name)
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
			if f.Recv != nil {
				for _, fl := range f.Recv.List {
					for _, rn := range fl.Names {
						if rn.Name == id.Name {
							// A receiver is typed, never traced as a value.
							return &decl{node: rn, typ: fl.Type, param: -1}
						}
					}
				}
			}
		case *ast.FuncLit:
			ft, body = f.Type, f.Body
		default:
			continue
		}
		if d := r.localDecl(id, n, ft, body); d != nil {
			return d
		}
	}
	sf := r.fileOf[id]
	if sf == nil {
		return nil
	}
	vs, i := r.valueSpec(sf.pkg, id.Name)
	if vs == nil {
		return nil
	}
	d := &decl{node: vs, typ: vs.Type, param: -1, global: true}
	if i < len(vs.Values) {
		d.value = vs.Values[i]
	}
	return d
}

// valueSpec finds the package-level const or var spec that declares name
// in pkg, and name's index in it; nil when pkg declares none.
func (r *sourceReader) valueSpec(pkg, name string) (*ast.ValueSpec, int) {
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
					if n.Name == name {
						return vs, i
					}
				}
			}
		}
	}
	return nil, 0
}

// localDecl finds id's declaration among fn's parameters and in its body:
// the nearest one before id whose scope holds id, so that two loops' f or
// a closure's own k are told apart. Plain assignments to the name within
// that scope are the variable's later values.
func (r *sourceReader) localDecl(id *ast.Ident, fn ast.Node, ft *ast.FuncType, body *ast.BlockStmt) *decl {
	name := id.Name
	idx := 0
	for _, f := range ft.Params.List {
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
	if body == nil {
		return nil
	}
	var best *decl
	var bestScope ast.Node
	consider := func(d *decl, at ast.Node) {
		scope := r.scopeOf(at)
		if at.Pos() > id.Pos() || scope == nil || id.Pos() < scope.Pos() || id.End() > scope.End() {
			return
		}
		if best == nil || at.Pos() > best.node.Pos() {
			best, bestScope = d, scope
		}
	}
	var stack []ast.Node
	ast.Inspect(body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		stack = append(stack, n)
		// A nested function's own declarations are its own.
		if _, ok := n.(*ast.FuncLit); ok && n != fn {
			stack = stack[:len(stack)-1]
			return false
		}
		switch s := n.(type) {
		case *ast.AssignStmt:
			if s.Tok != token.DEFINE {
				return true
			}
			for i, l := range s.Lhs {
				if lid, ok := l.(*ast.Ident); ok && lid.Name == name {
					d := &decl{node: s, param: -1}
					if len(s.Rhs) == len(s.Lhs) {
						d.value = s.Rhs[i]
					} else if len(s.Rhs) == 1 {
						d.value, d.tuple, d.index = s.Rhs[0], true, i
					}
					consider(d, s)
				}
			}
		case *ast.RangeStmt:
			if v, ok := s.Value.(*ast.Ident); ok && v.Name == name && s.Tok == token.DEFINE {
				consider(&decl{node: s, rangeOver: s.X, param: -1}, s)
			}
		case *ast.ValueSpec:
			for i, n := range s.Names {
				if n.Name == name {
					d := &decl{node: s, typ: s.Type, param: -1}
					if i < len(s.Values) {
						d.value = s.Values[i]
					}
					consider(d, s)
				}
			}
		}
		return true
	})
	if best == nil {
		return nil
	}
	// Later plain assignments, closures' included: they change the value.
	ast.Inspect(bestScope, func(n ast.Node) bool {
		if s, ok := n.(*ast.AssignStmt); ok && s.Tok == token.ASSIGN {
			for i, l := range s.Lhs {
				if lid, ok := l.(*ast.Ident); ok && lid.Name == name && len(s.Rhs) == len(s.Lhs) {
					best.assigns = append(best.assigns, s.Rhs[i])
				}
			}
		}
		return true
	})
	return best
}

// scopeOf is the node whose extent a declaration at n is visible in: the
// statement it initialises (if, for, switch, range), else its block.
func (r *sourceReader) scopeOf(n ast.Node) ast.Node {
	if _, ok := n.(*ast.RangeStmt); ok {
		return n
	}
	child := n
	for p := r.parents[n]; p != nil; child, p = p, r.parents[p] {
		switch s := p.(type) {
		case *ast.IfStmt:
			if s.Init == child {
				return s
			}
		case *ast.ForStmt:
			if s.Init == child {
				return s
			}
		case *ast.SwitchStmt:
			if s.Init == child {
				return s
			}
		case *ast.TypeSwitchStmt:
			if s.Init == child {
				return s
			}
		case *ast.BlockStmt, *ast.CaseClause, *ast.CommClause:
			return p
		}
	}
	return nil
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
	if vs, i := r.valueSpec(pkg, name); vs != nil && i < len(vs.Values) {
		return r.values(vs.Values[i])
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
