package alert_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
)

// BenchmarkObserveSteadyState is the cost Observe adds to every run of a
// target whose incidents are already open (the common case: nothing new),
// on the embedded SQLite store.
func BenchmarkObserveSteadyState(b *testing.B) {
	c := &clock{t: t0}
	st := openStoreTB(b, filepath.Join(b.TempDir(), "skimwatch.db"), c)
	n, err := alert.New(alert.Options{Store: st, Now: c.Now, Window: -1})
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Observe(b.Context(), run(c.Now(), true, tamper(c.Now()))); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		c.Advance(time.Minute)
		if err := n.Observe(b.Context(), run(c.Now(), true, tamper(c.Now()))); err != nil {
			b.Fatal(err)
		}
	}
}
