package yara

import (
	"fmt"
	"strings"
)

// consoleModule is YARA's console module: each call writes one line to
// ScanOptions.Console, formatted as yara 4.2.3 prints it (strings with
// non-printable bytes as \xNN, floats with %f, hex with 0x%x), and is true.
func consoleModule() *module {
	line := func(c *moduleCtx, s string) value {
		// A failed write to a log must not change a rule's result.
		_, _ = fmt.Fprintln(c.console, s)
		return intVal(1)
	}
	return &module{
		name: "console",
		funcs: map[string][]modFunc{
			"log": {
				{args: "s", ret: tyInt, call: func(c *moduleCtx, a []value) value { return line(c, printable(a[0].s)) }},
				{args: "ss", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return line(c, printable(a[0].s)+printable(a[1].s))
				}},
				{args: "i", ret: tyInt, call: func(c *moduleCtx, a []value) value { return line(c, fmt.Sprint(a[0].i)) }},
				{args: "si", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return line(c, printable(a[0].s)+fmt.Sprint(a[1].i))
				}},
				{args: "f", ret: tyInt, call: func(c *moduleCtx, a []value) value { return line(c, fmt.Sprintf("%f", a[0].f)) }},
				{args: "sf", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return line(c, printable(a[0].s)+fmt.Sprintf("%f", a[1].f))
				}},
			},
			"hex": {
				{args: "i", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return line(c, fmt.Sprintf("0x%x", uint64(a[0].i)))
				}},
				{args: "si", ret: tyInt, call: func(c *moduleCtx, a []value) value {
					return line(c, printable(a[0].s)+fmt.Sprintf("0x%x", uint64(a[1].i)))
				}},
			},
		},
	}
}

// printable escapes bytes that C's isprint rejects in the "C" locale.
func printable(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "\\x%02x", c)
		}
	}
	return sb.String()
}
