package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func hash32(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func user(name, role string) store.User {
	return store.User{Name: name, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA", Role: role}
}

func testUsers(t *testing.T, newStore NewFunc) {
	t.Run("a set-up token creates the first user as admin, once", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutSetupToken(t.Context(), hash32("setup"), time.Now().Add(time.Hour)))
		u, err := s.CreateFirstUser(t.Context(), user("alice", store.RoleViewer), hash32("setup"))
		must(t, err)
		if u.ID == 0 || u.Role != store.RoleAdmin || u.Name != "alice" {
			t.Fatalf("first user %+v: want alice as admin with an ID", u)
		}
		if _, err := s.CreateFirstUser(t.Context(), user("mallory", store.RoleAdmin), hash32("setup")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("reusing the token: %v, want ErrNotFound", err)
		}
		if n, err := s.CountUsers(t.Context()); err != nil || n != 1 {
			t.Fatalf("%d users, %v; want 1", n, err)
		}
	})
	t.Run("a second set-up token cannot make a second admin", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutSetupToken(t.Context(), hash32("a"), time.Now().Add(time.Hour)))
		must(t, s.PutSetupToken(t.Context(), hash32("b"), time.Now().Add(time.Hour)))
		_, err := s.CreateFirstUser(t.Context(), user("alice", store.RoleAdmin), hash32("a"))
		must(t, err)
		if _, err := s.CreateFirstUser(t.Context(), user("mallory", store.RoleAdmin), hash32("b")); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second set-up: %v, want ErrConflict", err)
		}
	})
	t.Run("two set-ups at once make exactly one admin", func(t *testing.T) {
		s := newStore(t)
		const n = 4
		for i := range n {
			must(t, s.PutSetupToken(t.Context(), hash32(string(rune('a'+i))), time.Now().Add(time.Hour)))
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.CreateFirstUser(t.Context(), user(string(rune('p'+i)), store.RoleAdmin), hash32(string(rune('a'+i))))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, store.ErrConflict) {
				t.Errorf("unexpected error %v", err)
			}
		}
		if c, _ := s.CountUsers(t.Context()); ok != 1 || c != 1 {
			t.Fatalf("%d set-ups succeeded and %d users exist; want 1 and 1", ok, c)
		}
	})
	t.Run("an expired set-up token is refused", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutSetupToken(t.Context(), hash32("old"), time.Now().Add(-time.Second)))
		if _, err := s.CreateFirstUser(t.Context(), user("alice", store.RoleAdmin), hash32("old")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%v, want ErrNotFound", err)
		}
	})
	t.Run("a taken name is a conflict", func(t *testing.T) {
		s := newStore(t)
		_, err := s.CreateUser(t.Context(), user("bob", store.RoleViewer))
		must(t, err)
		if _, err := s.CreateUser(t.Context(), user("bob", store.RoleAdmin)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("%v, want ErrConflict", err)
		}
	})
	t.Run("bad users are refused as invalid", func(t *testing.T) {
		s := newStore(t)
		for name, u := range map[string]store.User{
			"no name":         user("", store.RoleViewer),
			"unknown role":    user("x", "root"),
			"no hash":         {Name: "x", Role: store.RoleViewer},
			"unknown lang":    {Name: "x", Role: store.RoleViewer, PasswordHash: "h", Lang: "fr"},
			"a too long name": user(string(bytes.Repeat([]byte("n"), store.MaxUserNameBytes+1)), store.RoleViewer),
		} {
			if _, err := s.CreateUser(t.Context(), u); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
	})
	t.Run("a user is found by name and by ID as written", func(t *testing.T) {
		s := newStore(t)
		u := user("carol", store.RoleOperator)
		u.Lang = "ja"
		got, err := s.CreateUser(t.Context(), u)
		must(t, err)
		byName, err := s.UserByName(t.Context(), "carol")
		must(t, err)
		byID, err := s.UserByID(t.Context(), got.ID)
		must(t, err)
		for _, x := range []store.User{byName, byID} {
			if x != got || x.PasswordHash != u.PasswordHash || x.Lang != "ja" || x.Created.IsZero() {
				t.Errorf("read back %+v, want %+v", x, got)
			}
		}
		if _, err := s.UserByName(t.Context(), "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown user: %v, want ErrNotFound", err)
		}
		all, err := s.Users(t.Context())
		must(t, err)
		if len(all) != 1 || all[0] != got {
			t.Errorf("Users %+v", all)
		}
	})
	t.Run("an update changes only what it names, and ending sessions bumps the epoch", func(t *testing.T) {
		s := newStore(t)
		u, err := s.CreateUser(t.Context(), user("dave", store.RoleViewer))
		must(t, err)
		role, lang := store.RoleOperator, "en"
		got, err := s.UpdateUser(t.Context(), u.ID, store.UserUpdate{Role: &role, Lang: &lang, EndSessions: true})
		must(t, err)
		back, err := s.UserByID(t.Context(), u.ID)
		must(t, err)
		if back != got || got.Role != role || got.Lang != lang || got.SessionEpoch != u.SessionEpoch+1 || got.PasswordHash != u.PasswordHash {
			t.Fatalf("after update %+v (read back %+v)", got, back)
		}
		bad := "superuser"
		if _, err := s.UpdateUser(t.Context(), u.ID, store.UserUpdate{Role: &bad}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad role: %v, want ErrInvalid", err)
		}
	})
	t.Run("the last admin can be neither demoted nor deleted", func(t *testing.T) {
		s := newStore(t)
		a, err := s.CreateUser(t.Context(), user("admin1", store.RoleAdmin))
		must(t, err)
		viewer := store.RoleViewer
		if _, err := s.UpdateUser(t.Context(), a.ID, store.UserUpdate{Role: &viewer}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("demoting the last admin: %v, want ErrConflict", err)
		}
		if err := s.DeleteUser(t.Context(), a.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("deleting the last admin: %v, want ErrConflict", err)
		}
		b, err := s.CreateUser(t.Context(), user("admin2", store.RoleAdmin))
		must(t, err)
		_, err = s.UpdateUser(t.Context(), a.ID, store.UserUpdate{Role: &viewer})
		must(t, err)
		if err := s.DeleteUser(t.Context(), b.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("deleting the admin left: %v, want ErrConflict", err)
		}
	})
	t.Run("the max-th failure in a row locks the user and a success clears the count", func(t *testing.T) {
		s := newStore(t)
		u, err := s.CreateUser(t.Context(), user("erin", store.RoleViewer))
		must(t, err)
		now := t0
		for i := 1; i <= 2; i++ {
			got, err := s.RecordLoginFailure(t.Context(), u.ID, now, 3, time.Minute)
			must(t, err)
			if got.FailedLogins != i || !got.LockedUntil.IsZero() {
				t.Fatalf("after %d failures: %+v", i, got)
			}
		}
		must(t, s.RecordLoginSuccess(t.Context(), u.ID))
		for range 3 {
			_, err = s.RecordLoginFailure(t.Context(), u.ID, now, 3, time.Minute)
			must(t, err)
		}
		back, err := s.UserByID(t.Context(), u.ID)
		must(t, err)
		if !back.LockedUntil.Equal(store.Timestamp(now.Add(time.Minute))) || back.FailedLogins != 0 {
			t.Fatalf("after 3 failures in a row: locked until %v with %d failures; want %v and 0", back.LockedUntil, back.FailedLogins, now.Add(time.Minute))
		}
		must(t, s.RecordLoginSuccess(t.Context(), u.ID))
		if back, _ = s.UserByID(t.Context(), u.ID); !back.LockedUntil.IsZero() {
			t.Fatalf("a success left the lock %v", back.LockedUntil)
		}
	})
	t.Run("API tokens are found by hash, listed with their owner, and go with their user", func(t *testing.T) {
		s := newStore(t)
		a, err := s.CreateUser(t.Context(), user("admin", store.RoleAdmin))
		must(t, err)
		v, err := s.CreateUser(t.Context(), user("viewer", store.RoleViewer))
		must(t, err)
		ta, err := s.CreateAPIToken(t.Context(), store.APIToken{UserID: a.ID, Name: "ci", Hash: hash32("t1")})
		must(t, err)
		_, err = s.CreateAPIToken(t.Context(), store.APIToken{UserID: v.ID, Name: "grafana", Hash: hash32("t2")})
		must(t, err)
		if _, err := s.CreateAPIToken(t.Context(), store.APIToken{UserID: v.ID, Name: "dup", Hash: hash32("t2")}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("a duplicate hash: %v, want ErrConflict", err)
		}
		if _, err := s.CreateAPIToken(t.Context(), store.APIToken{UserID: 999, Name: "x", Hash: hash32("t3")}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a token of no user: %v, want ErrNotFound", err)
		}
		got, err := s.APITokenByHash(t.Context(), hash32("t1"))
		must(t, err)
		if got.ID != ta.ID || got.UserName != "admin" || got.Name != "ci" || !got.Created.Equal(ta.Created) {
			t.Fatalf("by hash %+v, want %+v", got, ta)
		}
		list, err := s.APITokens(t.Context())
		must(t, err)
		if len(list) != 2 || list[1].UserName != "viewer" {
			t.Fatalf("list %+v", list)
		}
		must(t, s.DeleteUser(t.Context(), v.ID))
		if _, err := s.APITokenByHash(t.Context(), hash32("t2")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a deleted user's token: %v, want ErrNotFound", err)
		}
		must(t, s.DeleteAPIToken(t.Context(), ta.ID))
		if err := s.DeleteAPIToken(t.Context(), ta.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleting twice: %v, want ErrNotFound", err)
		}
	})
	t.Run("sessions are replaced, expire and are deleted", func(t *testing.T) {
		s := newStore(t)
		h := hash32("session")
		must(t, s.CommitSession(t.Context(), h, []byte("one"), t0.Add(time.Hour)))
		must(t, s.CommitSession(t.Context(), h, []byte("two"), t0.Add(time.Hour)))
		got, err := s.FindSession(t.Context(), h, t0)
		must(t, err)
		if string(got) != "two" {
			t.Fatalf("data %q, want two", got)
		}
		if _, err := s.FindSession(t.Context(), h, t0.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("an expired session: %v, want ErrNotFound", err)
		}
		must(t, s.CommitSession(t.Context(), hash32("other"), []byte("x"), t0.Add(3*time.Hour)))
		n, err := s.PruneSessions(t.Context(), t0.Add(2*time.Hour))
		must(t, err)
		if n != 1 {
			t.Fatalf("pruned %d, want 1", n)
		}
		must(t, s.DeleteSession(t.Context(), hash32("other")))
		if _, err := s.FindSession(t.Context(), hash32("other"), t0); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a deleted session: %v, want ErrNotFound", err)
		}
	})
}
