package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
)

// newTestServer is a dashboard on a fresh in-memory store.
func newTestServer(t testing.TB) (*Server, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, store.Memory, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s, err := New(ctx, Options{Store: st, Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

// as serves r through the whole handler as user u (skipping sign-in).
func as(s *Server, u User, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.secureHeaders(s.requireUserForTest(u)).ServeHTTP(w, r)
	return w
}

func TestMessagesHaveBothLanguages(t *testing.T) {
	s, _ := newTestServer(t)
	if m := s.messages.missing(); len(m) > 0 {
		t.Fatalf("messages missing a translation: %v", m)
	}
}

func TestMergeCatalogsRefusesADuplicateKey(t *testing.T) {
	_, err := mergeCatalogs(catalog{LangEN: {"a": "1"}}, catalog{LangEN: {"a": "2"}})
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("got %v, want an error naming the key", err)
	}
}

func TestLanguage(t *testing.T) {
	s, _ := newTestServer(t)
	for _, tc := range []struct {
		name, setting, accept, want string
	}{
		{"a user's setting wins over the browser", LangJA, "en-US,en", LangJA},
		{"a Japanese browser gets Japanese", "", "ja-JP,ja;q=0.9,en;q=0.8", LangJA},
		{"an English browser gets English", "", "en-GB", LangEN},
		{"a browser preferring English over Japanese gets English", "", "en;q=0.9,ja;q=0.5", LangEN},
		{"an unknown language falls back to English", "", "de-DE", LangEN},
		{"no header falls back to English", "", "", LangEN},
		{"a garbled header falls back to English", "", "%%%;q=x", LangEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.accept != "" {
				r.Header.Set("Accept-Language", tc.accept)
			}
			if got := s.languageFor(r, tc.setting); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRequireRole(t *testing.T) {
	s, _ := newTestServer(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, tc := range []struct {
		name string
		user User
		need Role
		path string
		want int
	}{
		{"an anonymous page request is sent to the login page", User{}, RoleViewer, "/x", http.StatusSeeOther},
		{"an anonymous API request gets 401", User{}, RoleViewer, "/api/x", http.StatusUnauthorized},
		{"a viewer may view", User{ID: 1, Name: "v", Role: RoleViewer}, RoleViewer, "/x", http.StatusTeapot},
		{"a viewer may not do an operator's work", User{ID: 1, Name: "v", Role: RoleViewer}, RoleOperator, "/x", http.StatusForbidden},
		{"a viewer's API call to an operator route gets 403", User{ID: 1, Name: "v", Role: RoleViewer}, RoleOperator, "/api/x", http.StatusForbidden},
		{"an operator may not do an admin's work", User{ID: 2, Name: "o", Role: RoleOperator}, RoleAdmin, "/x", http.StatusForbidden},
		{"an admin may do an operator's work", User{ID: 3, Name: "a", Role: RoleAdmin}, RoleOperator, "/x", http.StatusTeapot},
		{"an unknown role may do nothing", User{ID: 4, Name: "z", Role: "root"}, RoleViewer, "/x", http.StatusSeeOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", tc.path, nil)
			s.requireRole(tc.need, ok).ServeHTTP(w, r.WithContext(withUser(r.Context(), tc.user)))
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
		})
	}
}

func TestEveryPageCarriesAStrictCSPWithAFreshNonce(t *testing.T) {
	s, _ := newTestServer(t)
	admin := User{ID: 1, Name: "a", Role: RoleAdmin}
	var nonces []string
	for range 2 {
		w := as(s, admin, httptest.NewRequest("GET", "/", nil))
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		csp := w.Header().Get("Content-Security-Policy")
		m := regexp.MustCompile(`script-src 'nonce-([A-Za-z0-9_-]{24})'`).FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("no nonce'd script-src in %q", csp)
		}
		for _, want := range []string{"default-src 'none'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "report-uri /api/csp-report"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("CSP %q allows inline code", csp)
		}
		nonces = append(nonces, m[1])
	}
	if nonces[0] == nonces[1] {
		t.Fatalf("two responses share the nonce %q", nonces[0])
	}
}

func TestPager(t *testing.T) {
	for _, tc := range []struct {
		name     string
		query    string
		rows     int
		wantLen  int
		wantNext bool
		wantOff  int
	}{
		{"the first page of a short list has no next page", "", 3, 3, false, 0},
		{"a full page with one more row has a next page", "?per=2", 3, 2, true, 0},
		{"page 3 starts after two pages", "?page=3&per=10", 5, 5, false, 20},
		{"a bad page number falls back to the first page", "?page=-4", 1, 1, false, 0},
		{"a huge page size is capped", "?per=999999", MaxPerPage + 1, MaxPerPage, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := pagerFrom(httptest.NewRequest("GET", "/x"+tc.query, nil))
			got := Trim(&p, make([]int, tc.rows))
			if len(got) != tc.wantLen || p.HasNext != tc.wantNext || p.Offset() != tc.wantOff {
				t.Fatalf("len %d next %v offset %d; want %d %v %d", len(got), p.HasNext, p.Offset(), tc.wantLen, tc.wantNext, tc.wantOff)
			}
		})
	}
}
