package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/store"
)

func testIncidentScopes(t *testing.T, newStore NewFunc) {
	ctx := context.Background()
	doc := json.RawMessage(`{"id":"inc-1","affected":[{"id":"1001","email":"a@example.jp"}],"counts":{"orders":1}}`)
	t.Run("a scope is read back with its document and listed without it, newest first", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-1", Site: "shop", Opened: t0, FindingKey: "k1", Data: doc}))
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-2", Site: "shop", Opened: t0.Add(time.Second), FindingKey: "k2", Data: json.RawMessage(`{}`)}))
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-3", Site: "other", Opened: t0, Data: json.RawMessage(`{}`)}))
		got, err := s.IncidentScope(ctx, "inc-1")
		must(t, err)
		var a, b any
		json.Unmarshal(got.Data, &a)
		json.Unmarshal(doc, &b)
		if got.ID != "inc-1" || got.Site != "shop" || !got.Opened.Equal(t0) || got.FindingKey != "k1" || !jsonEqual(a, b) {
			t.Errorf("got %+v %s", got, got.Data)
		}
		list, err := s.IncidentScopes(ctx, "shop")
		must(t, err)
		if len(list) != 2 || list[0].ID != "inc-2" || list[1].ID != "inc-1" || list[0].Data != nil {
			t.Errorf("list = %+v, want inc-2 then inc-1 without data", list)
		}
		all, err := s.IncidentScopes(ctx, "")
		must(t, err)
		if len(all) != 3 {
			t.Errorf("all sites: %d scopes, want 3", len(all))
		}
	})
	t.Run("putting the same ID again replaces the scope", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-1", Site: "shop", Opened: t0, Data: doc}))
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-1", Site: "shop", Opened: t0, Data: json.RawMessage(`{"counts":{"orders":2}}`)}))
		got, err := s.IncidentScope(ctx, "inc-1")
		must(t, err)
		if !strings.Contains(string(got.Data), `"orders":2`) {
			t.Errorf("data = %s, want the second document", got.Data)
		}
	})
	t.Run("an unknown ID is not found", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.IncidentScope(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("a card number in the document is masked before it is written", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutIncidentScope(ctx, store.IncidentScope{ID: "inc-1", Site: "shop", Opened: t0,
			Data: json.RawMessage(`{"note":"customer typed ` + realCard + ` into the mail"}`)}))
		got, err := s.IncidentScope(ctx, "inc-1")
		must(t, err)
		if strings.Contains(string(got.Data), realCard) || !strings.Contains(string(got.Data), realCardMasked) {
			t.Errorf("data = %s, want the card masked", got.Data)
		}
	})
	t.Run("a document that is not JSON and an empty ID are refused as invalid", func(t *testing.T) {
		s := newStore(t)
		for _, sc := range []store.IncidentScope{{ID: "x", Site: "shop", Data: json.RawMessage(`{`)}, {Site: "shop", Data: json.RawMessage(`{}`)}} {
			if err := s.PutIncidentScope(ctx, sc); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: err = %v, want ErrInvalid", sc, err)
			}
		}
	})
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
