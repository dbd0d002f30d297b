package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
)

// InventoryStore keeps each page's inventory item by item, with who
// authorised each item, when and why (PCI DSS 6.4.3): the approved
// inventory a check is compared with, and the pending items a person has
// still to decide on.
//
// An item is one script version (identity and fingerprint), one
// destination origin with its request types, one form, one data
// destination or one document's security headers. Every decision is also
// appended to the event log, in the same transaction, with its actor.
type InventoryStore interface {
	// ProposeInventory records what a complete check of (site, target) saw
	// at time at: items not stored yet become pending, and every item's
	// LastSeen moves to at (FirstSeen keeps the earliest). clean says the
	// check raised nothing high: only items a clean check saw are taken by
	// a bulk approval. A decided item keeps its decision. Any number of
	// workers may propose at once. It returns how many items were new.
	ProposeInventory(ctx context.Context, site string, p *inventory.PageInventory, clean bool, at time.Time) (int, error)
	// ApprovedInventory assembles the approved items of (site, target) into
	// the inventory a check is compared with. It is nil when no item of
	// the target was ever approved (revoking every item leaves an empty,
	// non-nil inventory: the page has a baseline that allows nothing).
	ApprovedInventory(ctx context.Context, site, target string) (*inventory.PageInventory, error)
	// DecideInventory applies d to its items and appends one event of
	// d.Type; it returns the items as updated. See InventoryDecision.
	DecideInventory(ctx context.Context, d InventoryDecision) ([]InventoryItem, error)
	// InventoryItems returns the items matching q ordered by target, kind,
	// subject and ID, and the number of all matches (for paging).
	InventoryItems(ctx context.Context, q InventoryQuery) ([]InventoryItem, int, error)
	// InventoryTargets lists a site's targets (every site's, when site is
	// empty) with item counts by status, by site and target.
	InventoryTargets(ctx context.Context, site string) ([]InventoryTarget, error)
}

// Inventory item statuses.
const (
	ItemPending  = "pending"
	ItemApproved = "approved"
	ItemRevoked  = "revoked"
)

// Inventory item kinds.
const (
	ItemScript      = "script"
	ItemDestination = "destination"
	ItemForm        = "form"
	ItemData        = "data"
	ItemHeaders     = "headers"
)

// Inventory decision types; each is also the type of its event.
const (
	EventInventoryApproved  = "inventory.approved"
	EventInventoryRevoked   = "inventory.revoked"
	EventInventoryJustified = "inventory.justified"
)

// MaxJustificationBytes caps a justification.
const MaxJustificationBytes = 4096

// InventoryItem is one item of a page's inventory and its authorisation.
type InventoryItem struct {
	// ID is a short hash of (Site, Target, Kind, Subject, Detail), so the
	// same item seen by two checks is one row.
	ID     string `json:"id"`
	Site   string `json:"site"`
	Target string `json:"target"`
	Kind   string `json:"kind"`
	// Subject is what a person reads: a script's identity, an origin, a
	// form's document and action, a data class and origin, a document.
	Subject string `json:"subject"`
	// ScriptKind is a script's kind (external, inline, eval, worker, ...).
	ScriptKind string `json:"script_kind,omitempty"`
	// Hashes are a script's fingerprints.
	Hashes []string `json:"hashes,omitempty"`
	// Detail is the inventory entry itself, as JSON.
	Detail    json.RawMessage `json:"detail"`
	Status    string          `json:"status"`
	Clean     bool            `json:"clean"`
	FirstSeen time.Time       `json:"first_seen"`
	LastSeen  time.Time       `json:"last_seen"`
	// ApprovedBy and ApprovedAt are the latest approval, kept after a
	// revocation so the record shows both.
	ApprovedBy    string    `json:"approved_by,omitempty"`
	ApprovedAt    time.Time `json:"approved_at,omitzero"`
	Justification string    `json:"justification,omitempty"`
	RevokedBy     string    `json:"revoked_by,omitempty"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
}

// InventoryDecision is a person's decision about items of one target.
type InventoryDecision struct {
	// Type is EventInventoryApproved, EventInventoryRevoked or
	// EventInventoryJustified.
	Type   string
	Site   string
	Target string
	// Items are item IDs. Empty is allowed only for an approval, and then
	// means every pending item a clean check saw (bulk approval).
	Items []string
	// Justification is required to approve and to justify; a revocation
	// may give its reason here.
	Justification string
	// Actor is who decided; required.
	Actor string
	// Time is when (now when zero).
	Time time.Time
}

// InventoryQuery selects inventory items. Zero fields do not filter.
type InventoryQuery struct {
	Site   string
	Target string
	Status string
	Kind   string
	IDs    []string
	// Clean keeps only items a clean check saw.
	Clean  bool
	Offset int
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// InventoryTarget is one target of a site and how many items it has in
// each status.
type InventoryTarget struct {
	Site     string    `json:"site"`
	Target   string    `json:"target"`
	Pending  int       `json:"pending"`
	Approved int       `json:"approved"`
	Revoked  int       `json:"revoked"`
	LastSeen time.Time `json:"last_seen"`
}

// Which item statuses a decision applies to: approving takes pending and
// revoked items (a revoked item may be approved again), revoking takes
// approved ones, justifying rewrites an approved item's reason.
func (d InventoryDecision) from() []string {
	switch d.Type {
	case EventInventoryApproved:
		return []string{ItemPending, ItemRevoked}
	default:
		return []string{ItemApproved}
	}
}

// PrepareInventoryDecision checks d and fills its time; backends call it first.
// It returns the statuses the decision applies to.
func PrepareInventoryDecision(d InventoryDecision, now func() time.Time) (InventoryDecision, []string, error) {
	switch d.Type {
	case EventInventoryApproved, EventInventoryRevoked, EventInventoryJustified:
	default:
		return d, nil, fmt.Errorf("%w: inventory decision type %q", ErrInvalid, d.Type)
	}
	d.Justification = strings.TrimSpace(d.Justification)
	switch {
	case d.Site == "" || len(d.Site) > MaxSiteBytes:
		return d, nil, fmt.Errorf("%w: inventory decision: site %q", ErrInvalid, d.Site)
	case d.Target == "" || len(d.Target) > MaxFieldBytes:
		return d, nil, fmt.Errorf("%w: inventory decision: target is empty or too long", ErrInvalid)
	case strings.TrimSpace(d.Actor) == "" || len(d.Actor) > MaxFieldBytes:
		return d, nil, fmt.Errorf("%w: inventory decision: who decided is required", ErrInvalid)
	case d.Type != EventInventoryRevoked && d.Justification == "":
		return d, nil, fmt.Errorf("%w: inventory decision: a justification is required", ErrInvalid)
	case len(d.Justification) > MaxJustificationBytes:
		return d, nil, fmt.Errorf("%w: inventory decision: justification longer than %d bytes", ErrInvalid, MaxJustificationBytes)
	case strings.ContainsRune(d.Actor+d.Justification+d.Target, 0):
		return d, nil, fmt.Errorf("%w: inventory decision contains a NUL byte", ErrInvalid)
	case d.Type != EventInventoryApproved && len(d.Items) == 0:
		return d, nil, fmt.Errorf("%w: inventory decision: %s needs item IDs", ErrInvalid, d.Type)
	}
	if d.Time.IsZero() {
		d.Time = now()
	}
	d.Time = Timestamp(d.Time)
	return d, d.from(), nil
}

// MaxEventItems is how many items a decision's event names one by one.
// A bulk approval of a large page names the first MaxEventItems and, for
// all of them, their count and ItemsDigest, which keeps the event within
// the event log's size limit while still fixing exactly what was decided.
const MaxEventItems = 500

// DecisionEvent is the event a decision appends, naming the items it
// changed (with their subjects, so the log reads without the store).
func DecisionEvent(d InventoryDecision, changed []InventoryItem) (Event, error) {
	type item struct {
		ID      string   `json:"id"`
		Kind    string   `json:"kind"`
		Subject string   `json:"subject"`
		Hashes  []string `json:"hashes,omitempty"`
	}
	data := struct {
		Target        string `json:"target"`
		Bulk          bool   `json:"bulk,omitempty"`
		Justification string `json:"justification,omitempty"`
		ItemCount     int    `json:"item_count"`
		ItemsDigest   string `json:"items_sha256"`
		Items         []item `json:"items"`
	}{Target: d.Target, Bulk: len(d.Items) == 0, Justification: d.Justification, ItemCount: len(changed),
		ItemsDigest: ItemsDigest(changed), Items: []item{}}
	for _, it := range changed[:min(len(changed), MaxEventItems)] {
		data.Items = append(data.Items, item{it.ID, it.Kind, it.Subject, it.Hashes})
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	return Event{Time: d.Time, Site: d.Site, Type: d.Type, Actor: d.Actor, Data: raw}, nil
}

// ItemsDigest is the hex SHA-256 over the items' IDs in the order given
// (an ID already hashes the item's site, target, kind, subject and detail).
func ItemsDigest(items []InventoryItem) string {
	h := sha256.New()
	for _, it := range items {
		fmt.Fprintf(h, "%s\n", it.ID)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// ItemsOf splits an inventory into its items (Status, times and
// authorisation left for the caller). Scripts are split per fingerprint,
// so that a changed script is a new item that needs its own approval.
func ItemsOf(site string, p *inventory.PageInventory) ([]InventoryItem, error) {
	var out []InventoryItem
	add := func(kind, subject, scriptKind string, hashes []string, entry any) error {
		raw, err := json.Marshal(entry)
		if err != nil {
			return err
		}
		out = append(out, InventoryItem{ID: ItemID(site, p.Target, kind, subject, raw), Site: site, Target: p.Target,
			Kind: kind, Subject: subject, ScriptKind: scriptKind, Hashes: hashes, Detail: raw})
		return nil
	}
	for _, s := range p.Scripts {
		for _, fp := range s.Fingerprints {
			e := s
			e.Fingerprints = []string{fp}
			if err := add(ItemScript, s.Identity, s.Kind, e.Fingerprints, e); err != nil {
				return nil, err
			}
		}
	}
	for _, d := range p.Destinations {
		if err := add(ItemDestination, d.Origin, "", nil, d); err != nil {
			return nil, err
		}
	}
	for _, f := range p.Forms {
		action := f.ActionOrigin
		if action == "" {
			action = "(same document)"
		}
		if err := add(ItemForm, f.Document+" → "+action, "", nil, f); err != nil {
			return nil, err
		}
	}
	for _, d := range p.DataDestinations {
		if err := add(ItemData, d.Class+" → "+d.Origin, "", nil, d); err != nil {
			return nil, err
		}
	}
	docs := make([]string, 0, len(p.Headers))
	for doc := range p.Headers {
		docs = append(docs, doc)
	}
	slices.Sort(docs)
	for _, doc := range docs {
		h := p.Headers[doc]
		if h == nil {
			h = map[string]string{}
		}
		if err := add(ItemHeaders, doc, "", nil, headersEntry{Document: doc, Headers: h}); err != nil {
			return nil, err
		}
	}
	for i := range out {
		if len(out[i].Subject) > MaxFieldBytes {
			return nil, fmt.Errorf("%w: inventory item subject longer than %d bytes", ErrInvalid, MaxFieldBytes)
		}
	}
	return out, nil
}

// headersEntry is a headers item's detail.
type headersEntry struct {
	Document string            `json:"document"`
	Headers  map[string]string `json:"headers"`
}

// ItemID is the one definition of an item's ID.
func ItemID(site, target, kind, subject string, detail []byte) string {
	h := sha256.New()
	for _, s := range []string{site, target, kind, subject, string(detail)} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return fmt.Sprintf("%x", h.Sum(nil))[:20]
}

// AssembleInventory builds the inventory of target from its approved
// items, in the order given (a later headers item of a document replaces
// an earlier one, so pass them oldest approval first).
func AssembleInventory(target string, items []InventoryItem) (*inventory.PageInventory, error) {
	b := inventory.New(time.Time{})
	b.Pages[target] = &inventory.PageInventory{Target: target, Headers: map[string]map[string]string{}}
	for _, it := range items {
		p := &inventory.PageInventory{Target: target, Headers: map[string]map[string]string{}}
		var err error
		switch it.Kind {
		case ItemScript:
			var e inventory.ScriptEntry
			err = json.Unmarshal(it.Detail, &e)
			p.Scripts = []inventory.ScriptEntry{e}
		case ItemDestination:
			var e inventory.DestinationEntry
			err = json.Unmarshal(it.Detail, &e)
			p.Destinations = []inventory.DestinationEntry{e}
		case ItemForm:
			var e inventory.FormEntry
			err = json.Unmarshal(it.Detail, &e)
			p.Forms = []inventory.FormEntry{e}
		case ItemData:
			var e inventory.DataDestination
			err = json.Unmarshal(it.Detail, &e)
			p.DataDestinations = []inventory.DataDestination{e}
		case ItemHeaders:
			var e headersEntry
			err = json.Unmarshal(it.Detail, &e)
			p.Headers[e.Document] = e.Headers
		default:
			err = fmt.Errorf("unknown kind %q", it.Kind)
		}
		if err != nil {
			return nil, fmt.Errorf("inventory item %s: %w", it.ID, err)
		}
		b.Merge(p, time.Time{})
	}
	return b.Pages[target], nil
}

// CheckDecisionItems checks that the items a decision read are the ones it
// names, each in a status the decision applies to.
func CheckDecisionItems(d InventoryDecision, from []string, items []InventoryItem) error {
	if len(d.Items) == 0 {
		if len(items) == 0 {
			return fmt.Errorf("%w: no pending item seen by a clean check of %s", ErrNotFound, d.Target)
		}
		return nil
	}
	found := map[string]InventoryItem{}
	for _, it := range items {
		found[it.ID] = it
	}
	for _, id := range d.Items {
		it, ok := found[id]
		if !ok {
			return fmt.Errorf("%w: inventory item %q of %s", ErrNotFound, id, d.Target)
		}
		if !slices.Contains(from, it.Status) {
			return fmt.Errorf("%w: inventory item %s is %s", ErrConflict, id, it.Status)
		}
	}
	return nil
}
