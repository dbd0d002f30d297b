package csp

import "testing"

func TestNormalizeURLs(t *testing.T) {
	tests := []struct {
		name, raw           string
		opt                 NormalizeOptions
		kind                Kind
		blocked, blockedURL string
	}{
		{"a query and fragment are stripped", "https://evil.example/c.php?cc=4111#x", NormalizeOptions{}, KindURL, "https://evil.example", "https://evil.example/c.php"},
		{"the query is kept when asked", "https://evil.example/c.php?v=1#x", NormalizeOptions{KeepQuery: true}, KindURL, "https://evil.example", "https://evil.example/c.php?v=1"},
		{"userinfo never survives", "https://user:pw@evil.example/x", NormalizeOptions{}, KindURL, "https://evil.example", "https://evil.example/x"},
		{"a default port is dropped from the origin", "https://evil.example:443/x", NormalizeOptions{}, KindURL, "https://evil.example", "https://evil.example/x"},
		{"a non-default port stays", "http://evil.example:8080/x", NormalizeOptions{}, KindURL, "http://evil.example:8080", "http://evil.example:8080/x"},
		{"the host is lower-cased", "https://EVIL.Example/X", NormalizeOptions{}, KindURL, "https://evil.example", "https://evil.example/X"},
		{"quoted inline is inline", "'inline'", NormalizeOptions{}, KindInline, "inline", "inline"},
		{"quoted eval is eval", "'eval'", NormalizeOptions{}, KindEval, "eval", "eval"},
		{"wasm-eval is its own kind", "wasm-eval", NormalizeOptions{}, KindWasmEval, "wasm-eval", "wasm-eval"},
		{"trusted-types-policy is its own kind", "trusted-types-policy", NormalizeOptions{}, KindTrustedTypesPolicy, "trusted-types-policy", "trusted-types-policy"},
		{"a full data: URL is data", "data:text/javascript,alert(1)", NormalizeOptions{}, KindData, "data", "data"},
		{"a blob: URL is blob", "blob:https://shop.example/1234", NormalizeOptions{}, KindBlob, "blob", "blob"},
		{"an extension scheme is a scheme", "chrome-extension://abc/x.js", NormalizeOptions{}, KindScheme, "chrome-extension", "chrome-extension"},
		{"nothing at all is empty", "", NormalizeOptions{}, KindEmpty, "empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Normalize(Violation{BlockedURL: tt.raw, DocumentURL: "https://shop.example/"}, tt.opt)
			if e.BlockedKind != tt.kind || e.Blocked != tt.blocked || e.BlockedURL != tt.blockedURL {
				t.Errorf("got %q %q %q, want %q %q %q", e.BlockedKind, e.Blocked, e.BlockedURL, tt.kind, tt.blocked, tt.blockedURL)
			}
		})
	}
}

func TestNoise(t *testing.T) {
	doc := "https://shop.example/checkout"
	tests := []struct {
		name string
		v    Violation
		f    NoiseFilter
		want NoiseReason
	}{
		{"a skimmer's script is kept", Violation{DocumentURL: doc, BlockedURL: "https://evil.example/x.js", EffectiveDirective: "script-src-elem"}, NoiseFilter{}, ""},
		{"an extension's script as source file is noise", Violation{DocumentURL: doc, BlockedURL: "https://evil.example/c", SourceFile: "chrome-extension://abc/content.js", EffectiveDirective: "connect-src"}, NoiseFilter{}, NoiseExtension},
		{"an about:blank frame is noise", Violation{DocumentURL: "about:blank", BlockedURL: "inline", EffectiveDirective: "script-src"}, NoiseFilter{}, NoiseAbout},
		{"a file: document is not a web page", Violation{DocumentURL: "file:///tmp/x.html", BlockedURL: "inline", EffectiveDirective: "script-src"}, NoiseFilter{}, NoiseNotWeb},
		{"a data: image is noise", Violation{DocumentURL: doc, BlockedURL: "data", EffectiveDirective: "img-src"}, NoiseFilter{}, NoiseAllowedScheme},
		{"a data: script is kept", Violation{DocumentURL: doc, BlockedURL: "data", EffectiveDirective: "script-src-elem"}, NoiseFilter{}, ""},
		{"a blob: worker is kept", Violation{DocumentURL: doc, BlockedURL: "blob", EffectiveDirective: "worker-src"}, NoiseFilter{}, ""},
		{"a data: image is kept when the filter allows nothing", Violation{DocumentURL: doc, BlockedURL: "data", EffectiveDirective: "img-src"}, NoiseFilter{AllowedSchemes: map[string][]string{}}, ""},
		{"kaspersky's injected script is noise", Violation{DocumentURL: doc, BlockedURL: "https://gc.kis.v2.scr.kaspersky-labs.com/FD126C42/main.js", EffectiveDirective: "script-src-elem"}, NoiseFilter{}, NoiseInjected},
		{"a lookalike of an injected host is kept", Violation{DocumentURL: doc, BlockedURL: "https://kaspersky-labs.com.evil.example/main.js", EffectiveDirective: "script-src-elem"}, NoiseFilter{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Noise(Normalize(tt.v, NormalizeOptions{})); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNormalizeMasksCardNumbers(t *testing.T) {
	const doc = "https://shop.example/checkout"
	tests := []struct {
		name  string
		v     Violation
		opt   NormalizeOptions
		field func(Event) string
		want  string
	}{
		{"a card in the blocked URL's path is masked", Violation{BlockedURL: "https://evil.example/c/4539148803436467/p.gif"}, NormalizeOptions{},
			func(e Event) string { return e.BlockedURL }, "https://evil.example/c/453914******6467/p.gif"},
		{"a card in a kept query is masked", Violation{BlockedURL: "https://evil.example/c?cc=5425-2334-3010-9903&e=0729"}, NormalizeOptions{KeepQuery: true},
			func(e Event) string { return e.BlockedURL }, "https://evil.example/c?cc=5425-23**-****-9903&e=0729"},
		{"a URL-escaped card in the path is masked", Violation{BlockedURL: "https://evil.example/c/4539%201488%200343%206467"}, NormalizeOptions{},
			func(e Event) string { return e.BlockedURL }, "https://evil.example/c/4539%2014**%20****%206467"},
		{"a base64 card in the path is masked", Violation{BlockedURL: "https://evil.example/i/NDUzOTE0ODgwMzQzNjQ2Nw.png"}, NormalizeOptions{},
			func(e Event) string { return e.BlockedURL }, "https://evil.example/i/NDUzOTE0KioqKioqNjQ2Nw.png"},
		{"a card as a subdomain is masked in the aggregated origin", Violation{BlockedURL: "https://4539148803436467.evil.example/x"}, NormalizeOptions{},
			func(e Event) string { return e.Blocked }, "https://453914******6467.evil.example"},
		{"a card in the document path is masked", Violation{DocumentURL: "https://shop.example/thanks/4539148803436467", BlockedURL: "inline"}, NormalizeOptions{},
			func(e Event) string { return e.DocumentPath }, "/thanks/453914******6467"},
		{"a card in the source file is masked", Violation{SourceFile: "https://evil.example/4539148803436467.js", BlockedURL: "inline"}, NormalizeOptions{},
			func(e Event) string { return e.SourceFile }, "https://evil.example/453914******6467.js"},
		{"a card in the sample is masked", Violation{Sample: "x('4539148803436467')", BlockedURL: "inline"}, NormalizeOptions{},
			func(e Event) string { return e.Sample }, "x('453914******6467')"},
		{"a card the browser cut short in the sample is masked", Violation{Sample: "Element innerHTML|4539 1488 0343 6", BlockedURL: "trusted-types-sink"}, NormalizeOptions{},
			func(e Event) string { return e.Sample }, "Element innerHTML|4539 14** **** *"},
		{"the honey test range is kept for the honey matcher", Violation{BlockedURL: "https://evil.example/c/4111111111111111"}, NormalizeOptions{},
			func(e Event) string { return e.BlockedURL }, "https://evil.example/c/4111111111111111"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.v.DocumentURL == "" {
				tt.v.DocumentURL = doc
			}
			if got := tt.field(Normalize(tt.v, tt.opt)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
