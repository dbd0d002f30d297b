package yara

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
