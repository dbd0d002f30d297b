package yara

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The string module came with YARA 4.3, so yara 4.2.3 cannot be the oracle:
// these cases follow C's strtoll, which 4.3's to_int calls.
func TestStringModuleFollowsStrtoll(t *testing.T) {
	tests := []struct {
		name, expr string
		want       string // "undefined" or the integer
	}{
		{"a decimal string is its number", `string.to_int("1234")`, "1234"},
		{"leading white space and a sign are accepted", `string.to_int(" \t-42")`, "-42"},
		{"parsing stops at the first non-digit", `string.to_int("12ab")`, "12"},
		{"no digits give zero", `string.to_int("abc")`, "0"},
		{"an empty string gives zero", `string.to_int("")`, "0"},
		{"base 0 reads a 0x prefix as hexadecimal", `string.to_int("0x1F")`, "31"},
		{"base 0 reads a leading zero as octal", `string.to_int("010")`, "8"},
		{"a bare 0x is the zero before the x", `string.to_int("0x")`, "0"},
		{"an explicit base 16 accepts the prefix", `string.to_int("0xff", 16)`, "255"},
		{"an explicit base 2 reads binary", `string.to_int("1012", 2)`, "5"},
		{"base 36 reads letters", `string.to_int("zz", 36)`, "1295"},
		{"a base of 1 is undefined", `string.to_int("1", 1)`, "undefined"},
		{"a base of 37 is undefined", `string.to_int("1", 37)`, "undefined"},
		{"overflow saturates at the largest value", `string.to_int("99999999999999999999")`, "9223372036854775807"},
		{"underflow saturates at the smallest value", `string.to_int("-99999999999999999999")`, "-9223372036854775808"},
		{"the smallest value itself is exact", `string.to_int("-9223372036854775808")`, "-9223372036854775808"},
		{"a NUL ends the string as in C", `string.to_int("12\x003")`, "12"},
		{"length counts bytes, NULs included", `string.length("a\x00b")`, "3"},
		{"length of an empty string is zero", `string.length("")`, "0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := evalModuleExpr(t, "string", tc.expr); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
			}
		})
	}
}

func TestTimeNowUsesTheScanClock(t *testing.T) {
	rs := mustCompile(t, "import \"time\"\nrule fixed { condition: time.now() == 1700000000 }", CompileOptions{})
	clock := func() time.Time { return time.Unix(1700000000, 0) }
	ms, err := rs.ScanBytes(context.Background(), nil, ScanOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Rule != "fixed" {
		t.Errorf("matched %v, want fixed", ruleNames(ms))
	}
}

func TestModuleCallsAreTypeChecked(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"an integer where a float is declared is refused", `import "math" rule r { condition: math.in_range(1, 0, 2) }`,
			`test.yar:1:40: wrong arguments for function "in_range": expected math.in_range(float, float, float)`},
		{"an unknown member is refused", `import "math" rule r { condition: math.nope(1) }`,
			`test.yar:1:40: invalid field name "nope" in module "math"`},
		{"a module used without import is undefined", `rule r { condition: math.abs(1) == 1 }`,
			`test.yar:1:21: undefined identifier "math"`},
		{"overloads are listed", `import "hash" rule r { condition: hash.md5(1) == "" }`,
			`test.yar:1:40: wrong arguments for function "md5": expected hash.md5(integer, integer) or hash.md5(string)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src), "test.yar", CompileOptions{})
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}

// evalModuleExpr returns the value of an integer expression of module mod
// over empty data, or "undefined".
func evalModuleExpr(t *testing.T, mod, expr string) string {
	t.Helper()
	src := fmt.Sprintf("import %q\nimport \"console\"\nrule r { condition: console.log(\"v=\", %s) }", mod, expr)
	rs := mustCompile(t, src, CompileOptions{})
	var out strings.Builder
	if _, err := rs.ScanBytes(context.Background(), nil, ScanOptions{Console: &out}); err != nil {
		t.Fatal(err)
	}
	v, ok := strings.CutPrefix(strings.TrimSpace(out.String()), "v=")
	if !ok {
		return "undefined"
	}
	return v
}

// FuzzStrtoll checks the string module's parser: it never panics, and
// plain decimal numbers that fit give what strconv gives.
func FuzzStrtoll(f *testing.F) {
	for _, s := range []string{"0", "-12", " +7", "0x1f", "077", "99999999999999999999", "\x00", "0x"} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, s []byte, base int) {
		if base != 0 && (base < 2 || base > 36) {
			base = 10
		}
		v := strtoll(s, base)
		if v.undef || v.t != tyInt {
			t.Fatalf("strtoll(%q, %d) = %+v, want an integer", s, base, v)
		}
		if base == 10 || base == 0 {
			if n, err := strconv.ParseInt(string(s), 10, 64); err == nil && (base == 10 || !strings.HasPrefix(strings.TrimLeft(string(s), "+-"), "0")) {
				if v.i != n {
					t.Errorf("strtoll(%q, %d) = %d, strconv says %d", s, base, v.i, n)
				}
			}
		}
	})
}
