package pagecheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/honey"
	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	weborigin "github.com/skimwatch/skimwatch/internal/origin"
)

// CheckDifferential runs one check as three passes in fresh browser
// contexts: the honey customer, the same customer with another card, and
// the first card again. A skimmer that encrypts under its own key defeats
// every decoder, but not this: a send whose payload changes with the card
// and stays the same for the same card carries the card. The third pass is
// what keeps honest noise out: keystroke timings, device ids, timestamps
// and cache-busting values differ between the first and third passes too.
//
// Only the card number and security code change; the card's first six
// digits, the expiry, name, address and postcode stay the same, so that a
// BIN lookup or a postcode table, whose URLs follow the input honestly,
// does not change either.
//
// The observation is the first pass's, with the other passes' leaks added
// and Disguised filled; it is incomplete when any pass is.
func CheckDifferential(ctx context.Context, b *browser.Browser, t Target, opts Options) (*observation.Observation, error) {
	first := opts.Identity
	if first == nil {
		id, err := honey.NewIdentity(honey.Options{})
		if err != nil {
			return nil, fmt.Errorf("drawing honey identity: %w", err)
		}
		first = &id
	}
	other, err := otherCard(*first)
	if err != nil {
		return nil, err
	}
	var passes [3]*observation.Observation
	for i, id := range []honey.Identity{*first, other, *first} {
		o := opts
		o.Identity = &id
		if passes[i], err = Check(ctx, b, t, o); err != nil {
			return nil, fmt.Errorf("differential pass %d: %w", i+1, err)
		}
	}
	o := passes[0]
	o.DifferentialPasses = len(passes)
	for i, p := range passes[1:] {
		for _, why := range p.Incomplete {
			o.Incomplete = appendOnce(o.Incomplete, fmt.Sprintf("differential pass %d: %s", i+2, why))
		}
		o.Leaks = append(o.Leaks, p.Leaks...)
	}
	o.Complete = len(o.Incomplete) == 0
	o.Disguised = disguised(passes, opts.PaymentOrigins)
	return o, nil
}

// otherCard is id with another card number (same first six digits) and
// security code.
func otherCard(id honey.Identity) (honey.Identity, error) {
	for range 8 {
		d, err := honey.NewIdentity(honey.Options{CardPrefix: id.CardNumber[:6]})
		if err != nil {
			return honey.Identity{}, fmt.Errorf("drawing a second honey card: %w", err)
		}
		if d.CardNumber != id.CardNumber && d.CVV != id.CVV {
			id.CardNumber, id.CVV = d.CardNumber, d.CVV
			return id, nil
		}
	}
	return honey.Identity{}, fmt.Errorf("drawing a second honey card: no distinct card in 8 draws")
}

// send is one request or WebSocket message as the differential compares it.
type send struct {
	key     string // what it is, apart from its payload
	payload string
	obs     observation.DisguisedSend
}

// sends lists what a pass sent after the probe began typing, to origins
// other than the payment origins, keyed by method, destination origin and
// path shape, type and sending script, and numbered within each key so
// that the n-th such send of one pass meets the n-th of another.
func sends(o *observation.Observation, payment []string) []send {
	var out []send
	count := map[string]int{}
	leaked := map[string]bool{}
	for _, l := range o.Leaks {
		leaked[l.Destination] = true
	}
	addSend := func(key, payload string, ds observation.DisguisedSend) {
		count[key]++
		out = append(out, send{key: fmt.Sprintf("%s\x00%d", key, count[key]), payload: payload, obs: ds})
	}
	for _, q := range o.Requests {
		origin := weborigin.Of(q.URL)
		if q.Phase == observation.PhaseLoad || weborigin.In(payment, origin) || leaked[q.URL] {
			continue
		}
		script := q.Initiator
		if script == "" || script == "parser" {
			script = q.InitiatorKey
		}
		key := strings.Join([]string{q.Method, origin, q.Type, inventory.ScriptIdentity(script)}, "\x00")
		addSend(key, q.URL+"\n"+q.Body, observation.DisguisedSend{
			Destination: q.URL, DestinationOrigin: origin, Method: q.Method, RequestType: q.Type,
			Script: script, DocumentURL: q.DocumentURL, Phase: q.Phase,
		})
	}
	for _, f := range o.WebSockets {
		origin := weborigin.Of(f.URL)
		if !f.Sent || f.Phase == observation.PhaseLoad || weborigin.In(payment, origin) {
			continue
		}
		script := f.Initiator
		if script == "" {
			script = f.InitiatorKey
		}
		key := strings.Join([]string{"MESSAGE", origin, "WebSocket", inventory.ScriptIdentity(script)}, "\x00")
		addSend(key, f.Payload, observation.DisguisedSend{
			Destination: f.URL, DestinationOrigin: origin, RequestType: "WebSocket", Script: script, Phase: f.Phase,
		})
	}
	return out
}

// disguised compares the passes: a send present in all three whose payload
// is the same in the first and third (same card) and differs in the second
// (another card).
func disguised(passes [3]*observation.Observation, payment []string) []observation.DisguisedSend {
	var byKey [3]map[string]send
	for i, p := range passes {
		byKey[i] = map[string]send{}
		for _, s := range sends(p, payment) {
			byKey[i][s.key] = s
		}
	}
	var out []observation.DisguisedSend
	for _, a := range sends(passes[0], payment) {
		b, okB := byKey[1][a.key]
		again, okA := byKey[2][a.key]
		if !okB || !okA || a.payload != again.payload || a.payload == b.payload {
			continue
		}
		d := a.obs
		d.Lengths = [3]int{len(a.payload), len(b.payload), len(again.payload)}
		out = append(out, d)
	}
	return out
}
