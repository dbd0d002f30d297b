package collector

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/csp"
)

// journalFile is the journal's format: the batches the store did not take,
// each with its batch ID, so that a batch whose commit was acknowledged too
// late is still skipped by the store when retried.
type journalFile struct {
	Version int            `json:"version"`
	Batches []journalBatch `json:"batches"`
}

type journalBatch struct {
	ID         string          `json:"id"`
	Reports    int64           `json:"reports"`
	Aggregates []csp.Aggregate `json:"aggregates"`
}

const journalVersion = 1

// ErrJournal wraps every error about an unreadable journal. New refuses to
// start on one rather than lose or double-count what it holds.
var ErrJournal = errors.New("collector journal")

// writeJournal replaces the journal atomically: a temporary file, fsync,
// rename. It holds aggregates only (origins, paths, counts, client hashes
// and masked samples), never card data.
func writeJournal(path string, bs []*batch) error {
	j := journalFile{Version: journalVersion}
	for _, b := range bs {
		j.Batches = append(j.Batches, journalBatch{ID: b.id, Reports: b.reports, Aggregates: b.aggs})
	}
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, data)
}

// readJournal returns the journal's batches; a missing journal is empty.
func readJournal(path string) ([]*batch, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrJournal, err)
	}
	var j journalFile
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: %s: %v (move it aside to start without it)", ErrJournal, path, err)
	}
	if j.Version != journalVersion {
		return nil, fmt.Errorf("%w: %s: version %d, want %d", ErrJournal, path, j.Version, journalVersion)
	}
	var out []*batch
	for i, b := range j.Batches {
		if b.ID == "" || len(b.Aggregates) == 0 {
			return nil, fmt.Errorf("%w: %s: batch %d has no ID or no aggregates", ErrJournal, path, i)
		}
		out = append(out, &batch{id: b.ID, reports: b.Reports, aggs: b.Aggregates})
	}
	return out, nil
}
