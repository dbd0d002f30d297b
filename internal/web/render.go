package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/finding/kindtext"
)

//go:embed templates/*.html static
var assets embed.FS

// view is what every page template sees.
type view struct {
	s *Server
	// Lang is "en" or "ja"; the layout sets <html lang>.
	Lang string
	// User is the signed-in user (zero on the login and set-up pages).
	User User
	// Nonce is this response's CSP nonce, for <script nonce>.
	Nonce string
	// Page is the template's name without .html, for the navigation.
	Page string
	// Data is the page's own data.
	Data any
	// FormToken goes into a form's hidden form_token field; the sign-in,
	// set-up and password forms are refused without it (formtoken.go).
	FormToken string
}

// T is the message key in the reader's language.
func (v *view) T(key string) string { return v.s.T(v.Lang, key) }

// Tf formats the message key with args (fmt verbs).
func (v *view) Tf(key string, args ...any) string {
	return fmt.Sprintf(v.s.T(v.Lang, key), args...)
}

// KindTitle is a finding kind's title in the reader's language (the kind
// itself for a kind kindtext does not know).
func (v *view) KindTitle(kind string) string { return kindtext.Title(kind, v.Lang) }

// FirstStep is what a shop owner should do first about a finding of kind,
// in the reader's language: the same words the alert for it used.
func (v *view) FirstStep(kind string) string { return kindtext.FirstStep(kind, v.Lang) }

// When renders a time for people, in UTC, or "-" for the zero time.
func (v *view) When(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// Future reports whether t is after now (a lock still in force).
func (v *view) Future(t time.Time) bool { return t.After(v.s.now()) }

// Since renders how long ago t was, in days, hours and minutes.
func (v *view) Since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := v.s.now().Sub(t)
	if d < time.Minute {
		return v.T("since.now")
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return v.Tf("since.dh", days, hours)
	case hours > 0:
		return v.Tf("since.hm", hours, mins)
	}
	return v.Tf("since.m", mins)
}

// Can reports whether the signed-in user holds at least role (viewer,
// operator, admin), so templates hide buttons a user may not press. The
// route still checks: hiding a button is no authorisation.
func (v *view) Can(role string) bool { return v.User.Role.AtLeast(Role(role)) }

// parsePages parses every page template with the layout and the partials.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"add": func(a, b int) int { return a + b },
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(assets, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	if len(partials) > 0 {
		if base, err = base.ParseFS(assets, partials...); err != nil {
			return nil, err
		}
	}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes page with data inside the layout, in the reader's
// language. It renders into a buffer first so a template error becomes a
// clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data any) {
	s.renderStatus(w, r, http.StatusOK, page, data)
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, code int, page string, data any) {
	t, ok := s.pages[page]
	if !ok {
		s.log.Error("no such page template", "page", page)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	u := userFrom(r.Context())
	v := &view{s: s, Lang: s.languageFor(r, u.Lang), User: u, Nonce: nonceFrom(r.Context()),
		Page: strings.TrimSuffix(page, ".html"), Data: data, FormToken: s.formToken(w, r)}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		s.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}
