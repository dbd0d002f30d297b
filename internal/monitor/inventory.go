package monitor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/check/observation"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// A check's approved inventory comes from one of two places. A site whose
// config names a baseline file keeps it there, as before the store held
// inventories: approval renames the pending file. Every other site keeps
// it in the store, item by item with who approved each, when and why
// (store.InventoryStore), and approval is `skimwatch inventory approve` or
// the dashboard.

// loadBaseline reads the approved inventory of target (a check target's
// name: a URL or "flow:" and the flow's name). None yet is nil.
func (m *Monitor) loadBaseline(ctx context.Context, a CheckArgs, target string) (*inventory.Baseline, error) {
	if a.Baseline != "" {
		return loadInventory(a.Baseline)
	}
	key := inventory.TargetKey(target)
	p, err := m.store.ApprovedInventory(ctx, a.Site, key)
	if err != nil || p == nil {
		return nil, err
	}
	b := inventory.New(m.now())
	b.Pages[key] = p
	return b, nil
}

// propose offers what a complete check saw for approval. With a baseline
// file, only a target's first clean check is written, to the pending file.
// With the store, every complete check proposes its items: those not
// decided yet wait as pending, marked clean when the check raised nothing
// high, so a bulk approval takes only what a clean check saw and a person
// can still approve a new item by itself, with a justification.
func (m *Monitor) propose(ctx context.Context, a CheckArgs, base *inventory.Baseline, o *observation.Observation, rep *finding.Report, pol verdict.Options) error {
	if !rep.Complete || !o.Complete {
		return nil
	}
	clean := rep.AtOrAbove(finding.High) == 0
	if a.Baseline != "" {
		if base == nil && clean {
			return m.proposeBaseline(a.Baseline, o, pol)
		}
		return nil
	}
	// verdict.Approve is what checkrun.Approve merges into a file baseline:
	// everything seen, and honey data only where it was expected to go.
	p := verdict.Approve(o, verdict.Options{PaymentOrigins: pol.PaymentOrigins, ShopOrigins: pol.ShopOrigins})
	if _, err := m.store.ProposeInventory(ctx, a.Site, p, clean, m.now()); err != nil {
		return fmt.Errorf("propose to the store: %w", err)
	}
	return nil
}

// legacyBaseline is the file a site without a baseline key used before
// inventories moved to the store (DATA_DIR/baselines/NAME.json), when it
// or its pending file exists: a service that already has one keeps using
// it. Otherwise "" (the store).
func legacyBaseline(dataDir, site string) string {
	path := filepath.Join(dataDir, "baselines", site+".json")
	for _, p := range []string{path, PendingPath(path)} {
		if _, err := os.Stat(p); err == nil {
			return path
		}
	}
	return ""
}
