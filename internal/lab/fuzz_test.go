package lab

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/card"
)

func FuzzReminify(f *testing.F) {
	f.Add("a();\n\n    b();\n")
	f.Add("/*! banner */\n// comment\n\treturn\n x\n")
	f.Add(string(mustAsset(f, "static/minq.js")))
	f.Fuzz(func(t *testing.T, src string) {
		out := reminify(src)
		if again := reminify(out); again != out {
			t.Fatalf("not idempotent:\n%q\n%q", out, again)
		}
		// Output lines are the input's non-comment lines, trimmed, in order.
		var in []string
		for line := range strings.SplitSeq(src, "\n") {
			if tl := strings.TrimSpace(line); tl != "" && !strings.HasPrefix(tl, "//") {
				in = append(in, tl)
			}
		}
		got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if out == "" {
			got = nil
		}
		if !slices.Equal(got, in) {
			t.Fatalf("lines changed:\n got %q\nwant %q", got, in)
		}
	})
}

func FuzzValidateCard(f *testing.F) {
	f.Add(honeyCard, honeyExp, honeyCVC)
	f.Add("4111 1111 1111 1112", "13/99", "12")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, number, exp, cvc string) {
		if validateCard(number, exp, cvc) != nil {
			return
		}
		digits := strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(number))
		if len(digits) < card.MinDigits || len(digits) > card.MaxDigits || digits[0] < '2' || digits[0] > '6' || !card.Luhn(digits) {
			t.Fatalf("accepted %q", number)
		}
		if !cvcPattern.MatchString(strings.TrimSpace(cvc)) {
			t.Fatalf("accepted security code %q", cvc)
		}
	})
}

func FuzzAdminScenario(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "name=fake-card-form")
	f.Add("application/json", `{"name":"db-block"}`)
	f.Add("application/json", `{"name":`)
	f.Add("text/plain", "name=clean")
	l, err := Start(f.Context(), Options{AdminEndpoint: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = l.Close() })
	known := map[string]bool{}
	for _, s := range Scenarios() {
		known[s.Name] = true
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		before := l.Scenario()
		req := httptest.NewRequest(http.MethodPost, "/__lab/scenario", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Origin", l.ShopURL())
		rec := httptest.NewRecorder()
		l.handleAdminScenario(rec, req)
		after := l.Scenario()
		switch rec.Code {
		case http.StatusOK:
			if !known[after] {
				t.Fatalf("switched to unknown scenario %q", after)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if after != before {
				t.Fatalf("refused request changed scenario %q -> %q", before, after)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

func FuzzEXIFDescription(f *testing.F) {
	f.Add("cfg:QUJD")
	f.Add("")
	f.Add(strings.Repeat("x", 4000))
	clean, err := bannerJPEG()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		if len(desc) > 60000 {
			return // one APP1 segment holds at most 64 KiB
		}
		out := withEXIFDescription(clean, desc)
		if _, err := jpeg.Decode(bytes.NewReader(out)); err != nil {
			t.Fatalf("not a JPEG any more: %v", err)
		}
		if !bytes.Contains(out, []byte(desc)) {
			t.Fatal("description missing")
		}
	})
}

func mustAsset(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
