package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/store"
)

// TestFormsWithoutTheirTokenAreRefused: the sign-in, set-up and
// password-change forms need the token their page carries, on top of the
// cross-origin check; a post without it (a same-site page, a forged
// request that passes Sec-Fetch-Site) changes nothing.
func TestFormsWithoutTheirTokenAreRefused(t *testing.T) {
	st := newSite(t, Options{})
	link, err := st.s.SetupLink(t.Context(), st.URL)
	if err != nil {
		t.Fatal(err)
	}
	setupToken := strings.TrimPrefix(link, st.URL+"/setup?token=")
	setupForm := url.Values{"token": {setupToken}, "name": {"mallory"}, "password": {"0123456789ab"}, "password2": {"0123456789ab"}}

	t.Run("a set-up post without the form token creates no user", func(t *testing.T) {
		resp, body := st.client(t).postRaw("/setup", setupForm)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, st.s.T(LangEN, "form.expired")) {
			t.Fatalf("status %d, want 403 with the form.expired message: %.300s", resp.StatusCode, body)
		}
		if n, _ := st.st.CountUsers(t.Context()); n != 0 {
			t.Fatalf("%d users after a refused set-up", n)
		}
	})
	t.Run("a set-up post whose token differs from its cookie creates no user", func(t *testing.T) {
		c := st.client(t)
		c.get("/login") // the cookie
		f := url.Values{formTokenField: {randomSecret("")}}
		for k, v := range setupForm {
			f[k] = v
		}
		if resp, _ := c.postRaw("/setup", f); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if n, _ := st.st.CountUsers(t.Context()); n != 0 {
			t.Fatalf("%d users after a refused set-up", n)
		}
	})
	st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")

	t.Run("a sign-in post without the form token starts no session", func(t *testing.T) {
		c := st.client(t)
		resp, _ := c.postRaw("/login", url.Values{"name": {"alice"}, "password": {"correct horse battery"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("signed in anyway: %d", resp.StatusCode)
		}
	})
	t.Run("a sign-in post with the token its page gave signs in", func(t *testing.T) {
		if resp := st.client(t).login("alice", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("a password change without the form token keeps the old password", func(t *testing.T) {
		c := st.client(t)
		c.login("alice", "correct horse battery")
		resp, _ := c.postRaw("/settings/password", url.Values{"current": {"correct horse battery"}, "password": {"mallory's password"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d, want 403", resp.StatusCode)
		}
		if resp := st.client(t).login("alice", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the old password stopped working: %d", resp.StatusCode)
		}
	})
	t.Run("the form cookie cannot be read by scripts and stays on this site", func(t *testing.T) {
		resp, _ := st.client(t).get("/login")
		var found bool
		for _, c := range resp.Cookies() {
			if c.Name == formCookie {
				found = true
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
					t.Errorf("cookie %+v, want HttpOnly, SameSite=Lax, Path=/", c)
				}
			}
		}
		if !found {
			t.Fatal("the sign-in page set no form cookie")
		}
	})
}
