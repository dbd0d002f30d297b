package yara

import "math"

// mathModule follows libyara/modules/math/math.c of YARA 4.2.3. Each
// statistic exists over a range of the scanned data (offset, length) and
// over a string; a range is cut by dataRange.
func mathModule() *module {
	pair := func(name string, f func([]byte, bool) value) []modFunc {
		return []modFunc{
			{args: "ii", ret: tyFloat, call: func(c *moduleCtx, a []value) value {
				return c.overRange("math."+name, a[0].i, a[1].i, func(b []byte) value { return f(b, false) })
			}},
			// Some string forms read the string as C's (signed) char, so
			// bytes from 0x80 count as negative; f is told which.
			{args: "s", ret: tyFloat, call: func(_ *moduleCtx, a []value) value { return f(a[0].s, true) }},
		}
	}
	unsigned := func(f func([]byte) value) func([]byte, bool) value {
		return func(b []byte, _ bool) value { return f(b) }
	}
	return &module{
		name:   "math",
		consts: map[string]value{"MEAN_BYTES": floatVal(127.5)},
		funcs: map[string][]modFunc{
			"entropy":            pair("entropy", unsigned(entropy)),
			"monte_carlo_pi":     pair("monte_carlo_pi", monteCarloPi),
			"serial_correlation": pair("serial_correlation", serialCorrelation),
			"mean":               pair("mean", mean),
			"deviation": {
				{args: "iif", ret: tyFloat, call: func(c *moduleCtx, a []value) value {
					b, ok := dataRange(c.data, a[0].i, a[1].i)
					if !ok {
						return undefined
					}
					return deviation(b, a[2].f, false)
				}},
				{args: "sf", ret: tyFloat, call: func(_ *moduleCtx, a []value) value { return deviation(a[0].s, a[1].f, true) }},
			},
			"in_range": {{args: "fff", ret: tyInt, call: func(_ *moduleCtx, a []value) value {
				return boolInt(a[1].f <= a[0].f && a[0].f <= a[2].f)
			}}},
			// YARA declares max and min over uint64_t: -1 is the largest.
			"max": {{args: "ii", ret: tyInt, call: func(_ *moduleCtx, a []value) value {
				return intVal(int64(max(uint64(a[0].i), uint64(a[1].i))))
			}}},
			"min": {{args: "ii", ret: tyInt, call: func(_ *moduleCtx, a []value) value {
				return intVal(int64(min(uint64(a[0].i), uint64(a[1].i))))
			}}},
			"to_number": {{args: "b", ret: tyInt, call: func(_ *moduleCtx, a []value) value { return boolInt(a[0].i != 0) }}},
			// llabs(INT64_MIN) stays INT64_MIN, as Go's negation does.
			"abs": {{args: "i", ret: tyInt, call: func(_ *moduleCtx, a []value) value {
				if a[0].i < 0 {
					return intVal(-a[0].i)
				}
				return intVal(a[0].i)
			}}},
			"count": {
				{args: "iii", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return byteStat(c.data, a[0].i, a[1:], func(d *[256]int64, b byte) value { return intVal(d[b]) })
				}},
				{args: "i", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return byteStat(c.data, a[0].i, nil, func(d *[256]int64, b byte) value { return intVal(d[b]) })
				}},
			},
			"percentage": {
				{args: "iii", ret: tyFloat, call: func(c *moduleCtx, a []value) value {
					return byteStat(c.data, a[0].i, a[1:], percentage)
				}},
				{args: "i", ret: tyFloat, call: func(c *moduleCtx, a []value) value {
					return byteStat(c.data, a[0].i, nil, percentage)
				}},
			},
			"mode": {
				{args: "ii", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					b, ok := dataRange(c.data, a[0].i, a[1].i)
					if !ok {
						return undefined
					}
					return mode(b)
				}},
				{args: "", ret: tyInt, call: func(c *moduleCtx, _ []value) value {
					if len(c.data) == 0 {
						return undefined // as byteStat says
					}
					return mode(c.data)
				}},
			},
		},
	}
}

func boolInt(b bool) value {
	if b {
		return intVal(1)
	}
	return intVal(0)
}

func distribution(b []byte) *[256]int64 {
	var d [256]int64
	for _, c := range b {
		d[c]++
	}
	return &d
}

// byteStat checks the byte argument (undefined outside 0..255, as YARA
// does), then applies f to the distribution of the range, or of the whole
// data when rng is nil.
func byteStat(data []byte, byt int64, rng []value, f func(*[256]int64, byte) value) value {
	if byt < 0 || byt > 255 {
		return undefined
	}
	b := data
	// Over the whole data, yara 4.2.3 has no distribution for an empty
	// file: count, percentage and mode are undefined there.
	if rng == nil && len(data) == 0 {
		return undefined
	}
	if rng != nil {
		var ok bool
		if b, ok = dataRange(data, rng[0].i, rng[1].i); !ok {
			return undefined
		}
	}
	return f(distribution(b), byte(byt))
}

func percentage(d *[256]int64, b byte) value {
	var total int64
	for _, n := range d {
		total += n
	}
	return floatVal(float64(d[b]) / float64(total)) // 0/0 is NaN: undefined
}

func mode(b []byte) value {
	d := distribution(b)
	most := 0
	for i := range d {
		if d[i] > d[most] {
			most = i
		}
	}
	return intVal(int64(most))
}

func entropy(b []byte) value {
	d := distribution(b)
	e := 0.0
	for _, n := range d {
		if n != 0 {
			x := float64(n) / float64(len(b))
			e -= x * math.Log2(x)
		}
	}
	return floatVal(e)
}

func byteValue(c byte, signed bool) float64 {
	if signed {
		return float64(int8(c))
	}
	return float64(c)
}

func mean(b []byte, signed bool) value {
	sum := 0.0
	for _, c := range b {
		sum += byteValue(c, signed)
	}
	return floatVal(sum / float64(len(b)))
}

func deviation(b []byte, m float64, signed bool) value {
	sum := 0.0
	for _, c := range b {
		sum += math.Abs(byteValue(c, signed) - m)
	}
	return floatVal(sum / float64(len(b)))
}

// serialCorrelation is the serial correlation coefficient of John Walker's
// ent as YARA 4.2.3 computes it: where ent closes the cycle with the last
// byte times the first, YARA adds the last byte times itself (found by
// comparison with yara's output, see TestDifferentialModules).
func serialCorrelation(b []byte, signed bool) value {
	var scct1, scct2, scct3, scclast float64
	for _, c := range b {
		u := byteValue(c, signed)
		scct1 += scclast * u
		scct2 += u
		scct3 += u * u
		scclast = u
	}
	scct1 += scclast * scclast
	scct2 *= scct2
	n := float64(len(b))
	scc := n*scct3 - scct2
	if scc == 0 {
		return floatVal(-100000)
	}
	return floatVal((n*scct1 - scct2) / scc)
}

// monteCarloPi is ent's Monte Carlo estimate of pi from 6-byte points,
// returned as the relative error; undefined with fewer than 6 bytes. The
// string form stores each char in an unsigned int, so 0x80 and above are
// sign-extended to 32 bits (as yara 4.2.3 computes it).
func monteCarloPi(b []byte, signed bool) value {
	v := func(c byte) float64 {
		if signed {
			return float64(uint32(int32(int8(c))))
		}
		return float64(c)
	}
	const monten = 6
	incirc := math.Pow(math.Pow(256, monten/2)-1, 2)
	var inmont, mcount float64
	for i := 0; i+monten <= len(b); i += monten {
		var mx, my float64
		for j := 0; j < monten/2; j++ {
			mx = mx*256 + v(b[i+j])
			my = my*256 + v(b[i+j+monten/2])
		}
		mcount++
		if mx*mx+my*my <= incirc {
			inmont++
		}
	}
	if mcount == 0 {
		return undefined
	}
	mpi := 4 * inmont / mcount
	return floatVal(math.Abs((mpi - math.Pi) / math.Pi))
}
