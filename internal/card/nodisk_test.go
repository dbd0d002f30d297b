package card_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/scan"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/postgres"
	"github.com/skimwatch/skimwatch/internal/store/sqlite"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
)

// Real-shaped card numbers (Luhn-valid, real issuer prefixes, outside the
// test range), one per path, so that a leak names the path it came by.
const (
	cardBlockedPath  = "4539148803436467" // CSP: blocked URL's path
	cardBlockedQuery = "5425233430109903" // CSP: blocked URL's query, in groups
	cardBase64Path   = "378282246310005"  // CSP: base64 in the path
	cardEscapedPath  = "3530111333300000" // CSP: URL-escaped in the path
	cardDocument     = "2223000048410010" // CSP: the document's path and the sample
	cardScannedFile  = "6011000990139424" // scan: a loot file
	cardDatabaseRow  = "36227206271667"   // scan: a database row
	cardJournal      = "6250941006528599" // CSP during a store outage: the journal
	cardPostgres     = "4716108999716531" // CSP into PostgreSQL
)

var allCards = []string{cardBlockedPath, cardBlockedQuery, cardBase64Path, cardEscapedPath, cardDocument,
	cardScannedFile, cardDatabaseRow, cardJournal, cardPostgres}

const siteKey = "nodisk-site-key-0123456789abcdef"

// logSink is the process's log output: the CLI's handler (card.LogHandler
// over text) at debug level, so every message any component logs is kept.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.buf.Bytes())
}

// TestCardDataNeverLandsOnDisk sends real-shaped card numbers through every
// path by which a customer's card can reach skimwatch (CSP reports through
// the real collector HTTP handler into SQLite and PostgreSQL, a store outage
// that sends them to the journal, a scanned file and a scanned database
// row), then reads every byte the process wrote and finds none of them, in
// any encoding.
func TestCardDataNeverLandsOnDisk(t *testing.T) {
	for _, c := range allCards {
		if !card.Valid(c) || card.IsTest(c) {
			t.Fatalf("test card %s is not real-shaped", c)
		}
	}
	ctx := t.Context()
	out := t.TempDir() // everything the process writes
	logs := &logSink{}
	logger := slog.New(card.LogHandler(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))

	dbPath := filepath.Join(out, "store", "skimwatch.db")
	lite, err := sqlite.Open(ctx, dbPath, sqlite.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()

	// CSP reports into SQLite, through a real loopback server.
	reports := []string{
		// Each from its own page, so that each is its own aggregate and its
		// own stored sample.
		legacyReport("https://evil.example/c/"+cardBlockedPath+"/p.gif", "https://shop.example/checkout/1"),
		legacyReport("https://evil.example/c?cc="+group(cardBlockedQuery, "-")+"&exp=0729", "https://shop.example/checkout/2"),
		legacyReport("https://evil.example/i/"+base64.RawURLEncoding.EncodeToString([]byte(cardBase64Path))+".png", "https://shop.example/checkout/3"),
		legacyReport("https://evil.example/c/"+strings.ReplaceAll(group(cardEscapedPath, " "), " ", "%20"), "https://shop.example/checkout/4"),
		reportingAPIReport("https://evil.example/x.js", "https://shop.example/thanks/"+cardDocument, "Element innerHTML|"+group(cardDocument, " ")),
	}
	for _, keepQuery := range []bool{false, true} {
		runCollector(t, lite, logger, csp.NormalizeOptions{KeepQuery: keepQuery}, "", reports)
	}
	stored, err := lite.ReportAggregates(ctx, store.AggregateQuery{})
	if err != nil || len(stored) == 0 {
		t.Fatalf("no aggregates reached the store: %d, %v", len(stored), err)
	}

	// A store outage: the same kind of report goes to the journal.
	journal := filepath.Join(out, "journal", "collector.journal")
	down := &downStore{Store: lite}
	err = runCollector(t, down, logger, csp.NormalizeOptions{KeepQuery: true}, journal,
		[]string{legacyReport("https://evil.example/c/"+cardJournal+"?n="+cardJournal, "https://shop.example/checkout")})
	if !errors.Is(err, collector.ErrJournaled) {
		t.Fatalf("collector at a store outage: %v, want ErrJournaled", err)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("no journal written: %v", err)
	}

	// A scanned loot file and a scanned database row; their findings go to
	// the store as `skimwatch scan --store` files them.
	in := t.TempDir() // the scanned inputs: not written by the process
	rules := filepath.Join(in, "loot.yar")
	must(t, os.WriteFile(rules, []byte(lootRule), 0o600))
	loot := filepath.Join(in, "loot.txt")
	must(t, os.WriteFile(loot, []byte("name=TARO&cc="+cardScannedFile+"&exp=0729\n"), 0o600))
	shopDB := filepath.Join(in, "shop.db")
	seedShopDB(t, shopDB, "cc="+cardDatabaseRow)
	sc, err := scan.New(scan.Options{Rules: []string{rules}, NoDefaultRules: true, Logger: logger, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	fileReport, err := sc.ScanPaths(ctx, []string{loot})
	if err != nil {
		t.Fatal(err)
	}
	dbReport, err := sc.ScanDB(ctx, scan.DBOptions{DSN: "sqlite:" + shopDB, Query: "SELECT id, note FROM orders"})
	if err != nil {
		t.Fatal(err)
	}
	scanFindings := append(fileReport.Findings, dbReport.Findings...)
	if len(fileReport.Findings) == 0 || len(dbReport.Findings) == 0 {
		t.Fatalf("the loot rule matched %d file and %d row findings, want both", len(fileReport.Findings), len(dbReport.Findings))
	}
	for _, f := range scanFindings {
		f.Site = "shop"
		if _, err := lite.PutFinding(ctx, store.FindingKey(f), f); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(map[string]any{"targets": []string{f.Path}, "evidence": f.Evidence})
		if _, err := lite.AppendEvent(ctx, store.Event{Site: "shop", Type: "scan", Actor: "skimwatch scan", Data: data}); err != nil {
			t.Fatal(err)
		}
	}

	// The SQLite file and its WAL, read while the store is open (the WAL
	// holds the latest pages) and again after it closed.
	written := map[string][]byte{}
	readTree(t, out, "open", written)
	must(t, lite.Close())
	readTree(t, out, "closed", written)
	if !slices.ContainsFunc(keys(written), func(k string) bool { return strings.Contains(k, "-wal ") }) {
		t.Errorf("no WAL file was read: %v", keys(written))
	}

	written["log"] = logs.Bytes()

	// Every path must have been taken: each card shows up masked somewhere.
	all := bytes.Join(values(written), []byte("\n"))
	for _, masked := range []string{card.Mask(cardBlockedPath), card.Mask(group(cardBlockedQuery, "-")), card.Mask(cardDocument),
		card.Mask(group(cardDocument, " ")), card.Mask(cardScannedFile), card.Mask(cardDatabaseRow)} {
		if !bytes.Contains(all, []byte(masked)) {
			t.Errorf("%s never arrived: its path was not exercised", masked)
		}
	}
	if !bytes.Contains(written[journal+" (closed)"], []byte(card.Mask(cardJournal))) {
		t.Errorf("the journal does not hold the masked card %s", card.Mask(cardJournal))
	}
	for _, name := range keys(written) {
		for _, leak := range leaks(written[name], allCards) {
			t.Errorf("%s: %s", name, leak)
		}
	}

	t.Run("and PostgreSQL holds no card in any row of any table", func(t *testing.T) {
		pgDSN := storetest.PostgresDSN(t)
		pg, err := postgres.Open(ctx, pgDSN, postgres.Options{Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		defer pg.Close()
		runCollector(t, pg, logger, csp.NormalizeOptions{KeepQuery: true}, "",
			append(reports, legacyReport("https://evil.example/c/"+cardPostgres+"?cc="+cardPostgres, "https://shop.example/pg-checkout")))
		for _, f := range scanFindings {
			f.Site = "shop"
			if _, err := pg.PutFinding(ctx, store.FindingKey(f), f); err != nil {
				t.Fatal(err)
			}
		}
		rows := dumpPostgres(t, pgDSN)
		for _, c := range []string{cardBlockedPath, cardPostgres, cardScannedFile, cardDatabaseRow} {
			if !bytes.Contains(rows, []byte(card.Mask(c))) {
				t.Errorf("card %s never reached PostgreSQL masked (%s)", c, card.Mask(c))
			}
		}
		for name, b := range map[string][]byte{"postgres rows": rows, "log": logs.Bytes()} {
			for _, leak := range leaks(b, allCards) {
				t.Errorf("%s: %s", name, leak)
			}
		}
	})
}

// lootRule matches a card field in a file or row, so that the matched bytes
// quoted in evidence hold the card.
const lootRule = `rule loot_card_field {
    meta:
        description = "A card number field in a skimmer's loot"
        severity = "high"
    strings:
        $cc = /cc=[0-9]{14,16}/
    condition:
        $cc
}
`

func legacyReport(blocked, doc string) string {
	b, _ := json.Marshal(map[string]any{"csp-report": map[string]any{
		"document-uri": doc, "effective-directive": "img-src", "blocked-uri": blocked,
		"disposition": "enforce", "source-file": doc, "script-sample": "",
	}})
	return string(b)
}

func reportingAPIReport(blocked, doc, sample string) string {
	b, _ := json.Marshal([]map[string]any{{
		"type": "csp-violation", "age": 0, "url": doc, "user_agent": "Mozilla/5.0",
		"body": map[string]any{"documentURL": doc, "blockedURL": blocked, "effectiveDirective": "script-src-elem",
			"disposition": "enforce", "sample": sample, "sourceFile": doc, "statusCode": 200},
	}})
	return string(b)
}

// runCollector serves reports through a collector on a loopback server and
// returns Run's error after shutdown.
func runCollector(t *testing.T, st collector.Store, logger *slog.Logger, norm csp.NormalizeOptions, journal string, reports []string) error {
	t.Helper()
	c, err := collector.New(st, collector.Options{
		Sites: []collector.Site{{Name: "shop", Key: siteKey}}, FlushInterval: 20 * time.Millisecond,
		ShutdownTimeout: 2 * time.Second, MinClients: 1, Journal: journal, Normalize: norm, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()
	srv := httptest.NewServer(c.Handler())
	defer srv.Close()
	for _, body := range reports {
		ct := "application/csp-report"
		if strings.HasPrefix(body, "[") {
			ct = "application/reports+json"
		}
		resp, err := http.Post(srv.URL+"/r/"+siteKey, ct, strings.NewReader(body))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			cancel()
			t.Fatalf("report answered %d: %s", resp.StatusCode, body)
		}
	}
	cancel()
	return <-done
}

// downStore is a store whose merges fail, as in an outage.
type downStore struct{ store.Store }

func (downStore) MergeReportAggregates(context.Context, string, []store.ReportAggregate) error {
	return errors.New("store unavailable (test outage)")
}

func (downStore) ApprovedSources(context.Context, string) ([]store.ApprovedSource, error) {
	return nil, errors.New("store unavailable (test outage)")
}

func seedShopDB(t *testing.T, path, note string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{"CREATE TABLE orders (id TEXT, note TEXT)", "INSERT INTO orders VALUES ('order-1', '" + note + "')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree reads every file under root into written, named path (when).
func readTree(t *testing.T, root, when string, written map[string][]byte) {
	t.Helper()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		written[p+" ("+when+")"] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// dumpPostgres returns every row of every table in the test schema as text.
func dumpPostgres(t *testing.T, dsn string) []byte {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1")
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		t.Fatalf("listing tables: %v (%d)", err, len(tables))
	}
	var buf bytes.Buffer
	for _, tb := range tables {
		rows, _ := conn.Query(ctx, "SELECT t::text FROM "+pgx.Identifier{tb}.Sanitize()+" t")
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("reading %s: %v", tb, err)
		}
		fmt.Fprintf(&buf, "== %s (%d rows)\n%s\n", tb, len(texts), strings.Join(texts, "\n"))
	}
	return buf.Bytes()
}

// leaks finds the given cards in b: with the card finder (every encoding it
// knows) and by literal search of the raw, grouped, UTF-16, hex and base64
// forms, so that a gap in the finder cannot hide a leak.
func leaks(b []byte, cards []string) []string {
	var out []string
	for _, c := range card.Find(b) {
		for _, want := range cards {
			if c.Digits == want || c.Glued && strings.Contains(string(b[c.Start:c.End]), want) {
				out = append(out, fmt.Sprintf("card %s found by the finder (%s) at %d", want, c.Encoding, c.Start))
			}
		}
	}
	for _, c := range cards {
		for form, lit := range literalForms(c) {
			if i := bytes.Index(b, lit); i >= 0 {
				out = append(out, fmt.Sprintf("card %s found %s at %d", c, form, i))
			}
		}
	}
	return out
}

func literalForms(c string) map[string][]byte {
	forms := map[string][]byte{
		"raw": []byte(c), "in groups with spaces": []byte(group(c, " ")), "in groups with dashes": []byte(group(c, "-")),
		"URL-escaped in groups": []byte(strings.ReplaceAll(group(c, " "), " ", "%20")),
		"as hex":                []byte(hex.EncodeToString([]byte(c))), "as upper-case hex": []byte(strings.ToUpper(hex.EncodeToString([]byte(c)))),
	}
	var le, be []byte
	for _, u := range utf16.Encode([]rune(c)) {
		le = append(le, byte(u), byte(u>>8))
		be = append(be, byte(u>>8), byte(u))
	}
	forms["as UTF-16LE"], forms["as UTF-16BE"] = le, be
	// In base64 a card starts at one of three byte alignments; only the
	// quanta made of card bytes alone are the same whatever surrounds it.
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(bytes.Repeat([]byte{'x'}, pad), c...))
		from, to := 0, 4*((pad+len(c))/3)
		if pad > 0 {
			from = 4
		}
		mid := enc[from:to]
		forms[fmt.Sprintf("as base64 at alignment %d", pad)] = []byte(mid)
		forms[fmt.Sprintf("as URL-alphabet base64 at alignment %d", pad)] = []byte(strings.NewReplacer("+", "-", "/", "_").Replace(mid))
	}
	return forms
}

// group writes a card in groups of four.
func group(c, sep string) string {
	var parts []string
	for i := 0; i < len(c); i += 4 {
		parts = append(parts, c[i:min(i+4, len(c))])
	}
	return strings.Join(parts, sep)
}

func keys(m map[string][]byte) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func values(m map[string][]byte) [][]byte {
	var vs [][]byte
	for _, k := range keys(m) {
		vs = append(vs, m[k])
	}
	return vs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
