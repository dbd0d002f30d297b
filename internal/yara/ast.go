package yara

type vtype int

const (
	tyBool vtype = iota
	tyInt
	tyFloat
	tyStr
	tyRegex
	tyModule // a value from a module we lack; such rules are skipped or refused
)

func (t vtype) String() string {
	return [...]string{"boolean", "integer", "float", "string", "regexp", "module value"}[t]
}

type opcode int

const (
	opTrue opcode = iota
	opFalse
	opInt
	opFloat
	opStr
	opRegex
	opFilesize
	opEntrypoint
	opExternal
	opRuleRef
	opLoopVar
	opModule
	opModCall   // a supported module's function: fn, arguments in list
	opModField  // a value of a module's data: mod, path
	opStrFound  // $a
	opStrAt     // $a at a
	opStrIn     // $a in (a..b)
	opStrCount  // #a, or #a in (a..b) when b,c set
	opStrOffset // @a[a]
	opStrLength // !a[a]
	opReadInt   // int8(a) etc; i = width bytes, s = "u"/"s" + "be"
	opNot
	opDefined
	opNeg
	opBitNot
	opAnd
	opOr
	opBinary // text holds operator
	opOf     // quantifier of set [at a | in (a..b)]
	opForOf
	opForIn
)

type quantKind int

const (
	qAll quantKind = iota
	qAny
	qNone
	qExpr
)

type node struct {
	op        opcode
	line, col int
	typ       vtype
	i         int64
	f         float64
	s         []byte
	name      string // operator, external or module name
	re        *program
	a, b, c   *node
	str       int   // string index; -1 for the anonymous string of a for-of loop
	set       []int // string indices
	quant     quantKind
	qexpr     *node
	percent   bool
	slot      int     // loop variable slot
	list      []*node // for-in list
	nvars     int
	fn        *modFunc
	mod       *module
	path      []pathStep
}

type stringKind int

const (
	skText stringKind = iota
	skHex
	skRegex
)

type stringDecl struct {
	id        string
	kind      stringKind
	text      []byte
	source    string // regex body or hex body
	reFlags   string
	nocase    bool
	wide      bool
	ascii     bool
	fullword  bool
	private   bool
	xor       bool
	xorMin    int
	xorMax    int
	base64    bool
	base64w   bool
	b64alpha  string
	line, col int
	used      bool
	// YARA searches a string used only as "$a at <constant>" at that one
	// offset, which changes the matches it reports.
	variable  bool
	fixedAt   int64
	fixedSeen bool
}

// moduleUse is one expression of a module the engine lacks, such as
// pe.number_of_sections, kept to say exactly what a refused rule uses.
type moduleUse struct {
	module, construct string
	line, col         int
	partial           bool // the module is supported, this member is not
	// loop is a module array or dictionary iterated with "for ... in",
	// which is not supported even where indexing the same member is.
	loop bool
}

type ruleDecl struct {
	name      string
	namespace string
	private   bool
	global    bool
	tags      []string
	meta      []Meta
	strings   []*stringDecl
	cond      *node
	file      string
	line, col int
	modules   []moduleUse // uses of modules the engine lacks, in source order
	deps      []int       // rules referenced by the condition
	depPos    [][2]int    // line and column of each reference in deps
}
