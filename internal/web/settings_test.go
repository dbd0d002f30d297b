package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/skimwatch/skimwatch/internal/store"
)

func TestSettings(t *testing.T) {
	st := newSite(t, Options{})
	alice := st.addUser(t, "alice", store.RoleAdmin, "correct horse battery")
	bob := st.addUser(t, "bob", store.RoleOperator, "correct horse battery")
	admin := st.client(t)
	admin.login("alice", "correct horse battery")

	t.Run("a user's language setting wins over the browser's", func(t *testing.T) {
		c := st.client(t)
		c.login("bob", "correct horse battery")
		if resp, _ := c.post("/settings/language", url.Values{"lang": {"ja"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("save: %d", resp.StatusCode)
		}
		req, _ := http.NewRequest("GET", st.URL+"/settings", nil)
		req.Header.Set("Accept-Language", "en-US")
		if _, body := c.do(req); !strings.Contains(body, `<html lang="ja">`) || !strings.Contains(body, "設定") {
			t.Fatalf("the page is not in Japanese: %.300s", body)
		}
	})
	t.Run("a wrong current password changes nothing", func(t *testing.T) {
		c := st.client(t)
		c.login("bob", "correct horse battery")
		c.post("/settings/password", url.Values{"current": {"not it at all"}, "password": {"a brand new password"}})
		if resp := st.client(t).login("bob", "correct horse battery"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the old password stopped working: %d", resp.StatusCode)
		}
	})
	t.Run("a new password signs out the user's other sessions and keeps this one", func(t *testing.T) {
		here, there := st.client(t), st.client(t)
		here.login("bob", "correct horse battery")
		there.login("bob", "correct horse battery")
		if resp, _ := here.post("/settings/password", url.Values{"current": {"correct horse battery"}, "password": {"a brand new password"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change: %d", resp.StatusCode)
		}
		if resp, _ := here.get("/settings"); resp.StatusCode != http.StatusOK {
			t.Errorf("this session ended: %d", resp.StatusCode)
		}
		if resp, _ := there.get("/settings"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the other session goes on: %d", resp.StatusCode)
		}
		if resp := st.client(t).login("bob", "a brand new password"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("the new password does not work: %d", resp.StatusCode)
		}
	})
	t.Run("demoting a user takes effect on their open session at once", func(t *testing.T) {
		c := st.client(t)
		c.login("bob", "a brand new password")
		if resp, _ := admin.post("/settings/users/"+strconv.FormatInt(bob.ID, 10)+"/role", url.Values{"role": {"viewer"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("demote: %d", resp.StatusCode)
		}
		if resp, _ := c.get("/settings"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the demoted user's session goes on: %d", resp.StatusCode)
		}
		u, _ := st.st.UserByID(t.Context(), bob.ID)
		if u.Role != store.RoleViewer {
			t.Fatalf("role %q", u.Role)
		}
		if es := events(t, st.st, "web.role-changed"); len(es) != 1 || es[0].Actor != "alice" {
			t.Fatalf("role events %+v", es)
		}
	})
	t.Run("the last admin cannot demote themself", func(t *testing.T) {
		resp, _ := admin.post("/settings/users/"+strconv.FormatInt(alice.ID, 10)+"/role", url.Values{"role": {"viewer"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_, body := admin.get("/settings")
		if !strings.Contains(body, "The last admin cannot be demoted or deleted.") {
			t.Fatalf("no explanation on the page")
		}
		if u, _ := st.st.UserByID(t.Context(), alice.ID); u.Role != store.RoleAdmin {
			t.Fatalf("alice is %s", u.Role)
		}
	})
	t.Run("an admin adds a user who can then sign in", func(t *testing.T) {
		admin.post("/settings/users", url.Values{"name": {"carol"}, "password": {"carols password"}, "role": {"operator"}})
		if resp := st.client(t).login("carol", "carols password"); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("carol cannot sign in: %d", resp.StatusCode)
		}
		if es := events(t, st.st, "web.user-created"); len(es) != 1 || !strings.Contains(string(es[0].Data), `"user":"carol"`) {
			t.Fatalf("events %+v", es)
		}
	})
	t.Run("a token made on the settings page is shown once and works", func(t *testing.T) {
		_, body := admin.post("/settings/tokens", url.Values{"name": {"ci"}})
		i := strings.Index(body, `id="new-token">`)
		if i < 0 {
			t.Fatalf("no token on the page")
		}
		token := body[i+len(`id="new-token">`):]
		token = token[:strings.Index(token, "<")]
		req, _ := http.NewRequest("GET", st.URL+"/api/me", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the token: %d", resp.StatusCode)
		}
		if _, again := admin.get("/settings"); strings.Contains(again, token) {
			t.Fatal("the token is shown again")
		}
	})
	t.Run("an operator verifies the event log and sees it intact", func(t *testing.T) {
		_, body := admin.post("/settings/verify", url.Values{})
		if !strings.Contains(body, "The event log verifies") {
			t.Fatalf("no verification result: %.500s", body)
		}
	})
}
