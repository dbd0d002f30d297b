package csp

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseSiteOrigin(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"an origin is kept", "https://shop.example", "https://shop.example"},
		{"case, a trailing slash and the default port are normalised as reports are", "HTTPS://Shop.Example:443/", "https://shop.example"},
		{"another port is part of the origin", "http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"a path is refused", "https://shop.example/checkout", ""},
		{"a query is refused", "https://shop.example/?a=1", ""},
		{"a user is refused", "https://u@shop.example", ""},
		{"a bare host is refused", "shop.example", ""},
		{"another scheme is refused", "ftp://shop.example", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSiteOrigin(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrBadOrigin) {
					t.Errorf("ParseSiteOrigin(%q) = %q, %v; want ErrBadOrigin", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseSiteOrigin(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			// What a browser reports for a page on this origin compares equal.
			if e := Normalize(Violation{DocumentURL: tt.in + "/checkout?x=1"}, NormalizeOptions{}); e.DocumentOrigin != got {
				t.Errorf("a report from %q has document origin %q, not %q", tt.in, e.DocumentOrigin, got)
			}
		})
	}
}

func FuzzParseSiteOrigin(f *testing.F) {
	for _, s := range []string{"https://shop.example", "HTTP://a:80/", "https://u@x", "x", "https://[::1]:8443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		o, err := ParseSiteOrigin(raw)
		if err != nil {
			return
		}
		// An accepted origin is a fixed point.
		if again, err := ParseSiteOrigin(o); err != nil || again != o {
			t.Errorf("ParseSiteOrigin(%q) = %q, but ParseSiteOrigin(%q) = %q, %v", raw, o, o, again, err)
		}
	})
}

func TestAggregateDocumentOrigin(t *testing.T) {
	own := Normalize(Violation{DocumentURL: "https://shop.example/checkout?t=1", BlockedURL: "https://evil.example/s.js"}, NormalizeOptions{})
	sample, _ := json.Marshal(own)
	forged := MarkForeign(Normalize(Violation{DocumentURL: "https://skim.example/x"}, NormalizeOptions{}))
	tests := []struct {
		name, path, sample, want string
		foreign                  bool
	}{
		{"the site's own aggregate takes its origin from the sample", own.DocumentPath, string(sample), "https://shop.example", false},
		{"a foreign aggregate names its document in full", forged.DocumentPath, "", "https://skim.example", true},
		{"a foreign report without a document is marked as such", MarkForeign(Event{}).DocumentPath, "", NoDocument, true},
		{"an own aggregate without a sample has no known origin", "/checkout", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AggregateDocumentOrigin(tt.path, tt.sample); got != tt.want {
				t.Errorf("AggregateDocumentOrigin(%q) = %q, want %q", tt.path, got, tt.want)
			}
			if got := IsForeignDocument(tt.path); got != tt.foreign {
				t.Errorf("IsForeignDocument(%q) = %v, want %v", tt.path, got, tt.foreign)
			}
		})
	}
}
