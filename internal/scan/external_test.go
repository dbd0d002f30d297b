package scan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/card"
)

func TestParseExternal(t *testing.T) {
	tests := []struct {
		name, def string
		key       string
		want      any
		bad       bool
	}{
		{"true is a boolean", "debug=true", "debug", true, false},
		{"a whole number is an integer", "max=42", "max", int64(42), false},
		{"a hex number is an integer", "mask=0x10", "mask", int64(16), false},
		{"a decimal is a float", "ratio=0.5", "ratio", 0.5, false},
		{"words are a string", "env=production", "env", "production", false},
		{"quotes force a string", `n="42"`, "n", "42", false},
		{"an empty value is an empty string", "tag=", "tag", "", false},
		{"an equals sign in the value is kept", "q=a=b", "q", "a=b", false},
		{"a missing equals sign is an error", "debug", "", nil, true},
		{"a name starting with a digit is an error", "1x=2", "", nil, true},
		{"a name with a dash is an error", "my-var=2", "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, v, err := ParseExternal(tc.def)
			if tc.bad {
				if err == nil {
					t.Errorf("want an error, got %q=%v", k, v)
				}
				return
			}
			if err != nil || k != tc.key || !reflect.DeepEqual(v, tc.want) {
				t.Errorf("got %q=%#v (%v), want %q=%#v", k, v, err, tc.key, tc.want)
			}
		})
	}
}

func TestParseExternalsRefusesDuplicates(t *testing.T) {
	if _, err := ParseExternals([]string{"a=1", "a=2"}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("err = %v", err)
	}
}

func FuzzParseExternal(f *testing.F) {
	for _, s := range []string{"a=1", "b=true", `c="x"`, "d=0.5", "e=", "=", "1=1", "x=0x1p3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, def string) {
		k, v, err := ParseExternal(def)
		if err != nil {
			return
		}
		if !validIdentifier(k) || !strings.HasPrefix(def, k+"=") {
			t.Fatalf("accepted bad name %q from %q", k, def)
		}
		switch v.(type) {
		case bool, int64, float64, string:
		default:
			t.Fatalf("value of type %T", v)
		}
	})
}

func FuzzQuoteEvidence(f *testing.F) {
	for _, s := range []string{"4539148803436467", "4539 1488 0343 6467", "x=5425-2334-3010-9903&", "12345678901234567890123", "", strings.Repeat("a", 60) + "4539148803436467"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := quoteEvidence(in)
		for _, c := range card.Find([]byte(out)) {
			if !c.Test() {
				t.Fatalf("card %s left in evidence %q", c.Digits, out)
			}
		}
		for _, c := range card.Find(in) {
			if !c.Test() && strings.Contains(out, c.Digits) {
				t.Fatalf("card %s quoted whole in %q", c.Digits, out)
			}
		}
	})
}

func FuzzParseCLIOutput(f *testing.F) {
	f.Add([]byte("r [t] [a=\"x\",b=1,c=true] /f\n0x0:3:$a: abc\n"), "/f")
	f.Add([]byte("r [] [] /f\n"), "/f")
	f.Add([]byte("0x1:2:$a: xx\n"), "/f")
	f.Fuzz(func(t *testing.T, out []byte, path string) {
		ms, err := parseCLIOutput(out, path, strings.NewReader("abcdefgh"))
		if err != nil {
			return
		}
		for _, m := range ms {
			for _, s := range m.Strings {
				if len(s.Data) > maxToolMatchData || s.Offset < 0 && len(s.Data) > 0 {
					t.Fatalf("bad string match %+v", s)
				}
			}
		}
	})
}
