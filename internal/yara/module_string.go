package yara

// stringModule is YARA 4.3's string module (yara 4.2.3, the oracle, lacks
// it): to_int parses like C's strtoll and length counts bytes.
func stringModule() *module {
	return &module{
		name: "string",
		funcs: map[string][]modFunc{
			"to_int": {
				{args: "s", ret: tyInt, call: func(_ *moduleCtx, a []value) value { return strtoll(a[0].s, 0) }},
				{args: "si", ret: tyInt, call: func(_ *moduleCtx, a []value) value {
					if b := a[1].i; b != 0 && (b < 2 || b > 36) {
						return undefined
					}
					return strtoll(a[0].s, int(a[1].i))
				}},
			},
			"length": {{args: "s", ret: tyInt, call: func(_ *moduleCtx, a []value) value { return intVal(int64(len(a[0].s))) }}},
		},
	}
}

// strtoll is C's strtoll over a NUL-terminated string: leading white space,
// an optional sign, a 0x prefix (base 0 or 16) or a leading 0 (octal, base
// 0), then as many digits as fit the base; overflow saturates. No digits
// gives 0, as strtoll does.
func strtoll(s []byte, base int) value {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	hexPrefix := i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitVal(s[i+2]) < 16
	switch {
	case (base == 0 || base == 16) && hexPrefix:
		base = 16
		i += 2
	case base == 0 && i < len(s) && s[i] == '0':
		base = 8
	case base == 0:
		base = 10
	}
	var acc uint64
	overflow := false
	limit := uint64(1 << 63) // |INT64_MIN|
	if !neg {
		limit--
	}
	for ; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if acc > (limit-uint64(d))/uint64(base) {
			overflow = true
			continue
		}
		acc = acc*uint64(base) + uint64(d)
	}
	if overflow {
		acc = limit
	}
	if neg {
		return intVal(int64(-acc))
	}
	return intVal(int64(acc))
}

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}
