package yara

import (
	"fmt"
	"math"
)

// needsMatch reports whether cond is false whenever none of the rule's
// strings matched, and evaluating it has no effect but its value: then a
// scan that found none of the rule's strings can leave the condition
// unevaluated, which is most rules on most files of a large collection.
//
// It is conservative: it answers true only for conditions it can prove,
// joined by and/or over the string tests collections write ($a, $a at,
// $a in, N of (...), #a > k). A condition that calls a module (console.log
// prints, math reads the file) or loops (a loop can fail the scan at its
// iteration limit) is always evaluated.
func needsMatch(cond *node) bool {
	return pure(cond) && requiresMatch(cond)
}

func requiresMatch(n *node) bool {
	switch n.op {
	case opStrFound, opStrAt, opStrIn:
		return n.str >= 0
	case opAnd:
		return requiresMatch(n.a) || requiresMatch(n.b)
	case opOr:
		return requiresMatch(n.a) && requiresMatch(n.b)
	case opOf:
		if len(n.set) == 0 {
			return false
		}
		switch n.quant {
		case qAll, qAny:
			return true
		case qExpr:
			// "N of" and "N% of" with a constant N >= 1 need at least one.
			return n.qexpr != nil && n.qexpr.op == opInt && n.qexpr.i >= 1
		}
		return false
	case opBinary:
		// #a > k (k >= 0), #a >= k and #a == k (k >= 1).
		if n.a == nil || n.b == nil || n.a.op != opStrCount || n.a.str < 0 || n.b.op != opInt {
			return false
		}
		switch n.name {
		case ">":
			return n.b.i >= 0
		case ">=", "==":
			return n.b.i >= 1
		}
	}
	return false
}

// pure reports whether evaluating n can have no effect but its value:
// no module (console prints), no loop (loops have an iteration limit that
// fails the scan).
func pure(n *node) bool {
	if n == nil {
		return true
	}
	switch n.op {
	case opModule, opModCall, opModField, opForOf, opForIn:
		return false
	}
	if !pure(n.a) || !pure(n.b) || !pure(n.c) || !pure(n.qexpr) {
		return false
	}
	for _, x := range n.list {
		if !pure(x) {
			return false
		}
	}
	return true
}

// sizeBounds returns the file sizes [lo, hi] outside which cond is false,
// from the filesize comparisons with a constant among the conjuncts of its
// top-level and-chain ("filesize < 100KB and ..."), as public collections
// put first. A pure condition outside those bounds is false whatever else
// it says, so a scan can skip verifying its strings and evaluating it, and
// skip the file when every rule is out of bounds. Impure conditions are
// not bounded (their other conjuncts must still run).
func sizeBounds(cond *node) (lo, hi int64) {
	lo, hi = 0, math.MaxInt64
	if !pure(cond) {
		return lo, hi
	}
	var walk func(n *node)
	walk = func(n *node) {
		if n.op == opAnd {
			walk(n.a)
			walk(n.b)
			return
		}
		if n.op != opBinary || n.a == nil || n.b == nil {
			return
		}
		op, c := n.name, int64(0)
		switch {
		case n.a.op == opFilesize && n.b.op == opInt:
			c = n.b.i
		case n.b.op == opFilesize && n.a.op == opInt:
			// "C < filesize" is "filesize > C".
			c = n.a.i
			op = map[string]string{"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "=="}[op]
		default:
			return
		}
		switch op {
		case "<":
			hi = min(hi, c-1)
		case "<=":
			hi = min(hi, c)
		case ">":
			lo = max(lo, c+1)
		case ">=":
			lo = max(lo, c)
		case "==":
			lo, hi = max(lo, c), min(hi, c)
		}
	}
	walk(cond)
	return lo, hi
}

// fileGates returns the conjuncts of cond's top-level and-chain that depend
// on the file alone (its header bytes, externals, constants: no string, rule
// or module), besides the filesize comparisons sizeBounds already reads,
// such as "uint16(0) == 0x3f3c". One that does not hold makes cond false
// whatever else it says, so the scan evaluates each distinct gate once per
// file and leaves out the rules it rules out, as it does for size.
// Impure conditions have no gates.
func fileGates(cond *node) []*node {
	if !pure(cond) {
		return nil
	}
	var out []*node
	var walk func(n *node)
	walk = func(n *node) {
		if n.op == opAnd {
			walk(n.a)
			walk(n.b)
			return
		}
		if isSizeComparison(n) || !fileOnly(n) {
			return
		}
		out = append(out, n)
	}
	walk(cond)
	return out
}

func isSizeComparison(n *node) bool {
	return n.op == opBinary && n.a != nil && n.b != nil &&
		(n.a.op == opFilesize && n.b.op == opInt || n.b.op == opFilesize && n.a.op == opInt)
}

// fileOnly reports whether n's value depends on nothing but the file's
// bytes, its size, externals and constants.
func fileOnly(n *node) bool {
	if n == nil {
		return true
	}
	switch n.op {
	case opTrue, opFalse, opInt, opFloat, opStr, opFilesize, opExternal,
		opReadInt, opNot, opDefined, opNeg, opBitNot, opAnd, opOr, opBinary:
	default:
		return false
	}
	if n.re != nil || len(n.set) > 0 || len(n.list) > 0 || n.qexpr != nil {
		return false
	}
	return fileOnly(n.a) && fileOnly(n.b) && fileOnly(n.c)
}

// gateKey identifies a file-only node by its structure, so that the same
// gate written in many rules is evaluated once per file.
func gateKey(n *node) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprintf("(%d %q %d %g %q %s %s %s)", n.op, n.name, n.i, n.f, n.s, gateKey(n.a), gateKey(n.b), gateKey(n.c))
}
