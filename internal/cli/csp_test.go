package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/inventory"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
)

// runCSPCLI runs skimwatch with args under ctx and returns stdout, stderr and
// the exit code main would use.
func runCSPCLI(ctx context.Context, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	root := NewRootCommand(&App{Stdout: &out, Stderr: &errb})
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	code := 0
	if err != nil {
		var ee *finding.ExitError
		if errors.As(err, &ee) {
			code = ee.Code
		} else {
			code = finding.ExitIncomplete
		}
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

func TestCSPLintExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a policy with unsafe-inline fails on high", []string{"csp", "lint", "script-src 'self' 'unsafe-inline'"}, 1, "csp.lint.unsafe-inline"},
		{"a pasted header name is accepted", []string{"csp", "lint", "Content-Security-Policy: script-src 'unsafe-eval'"}, 1, "csp.lint.unsafe-eval"},
		{"a tight policy passes at the default threshold", []string{"csp", "lint",
			"default-src 'self'; script-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; base-uri 'self'; report-uri /r"}, 0, "0 finding(s)"},
		{"medium findings fail with --fail-on medium", []string{"csp", "lint", "--fail-on", "medium", "default-src 'self'"}, 1, "csp.lint.no-form-action"},
		{"an empty policy is a usage error", []string{"csp", "lint", " "}, 2, "empty policy"},
		{"json output is a report", []string{"csp", "lint", "--format", "json", "script-src *"}, 1, `"kind": "csp.lint.wildcard-source"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCSPCLI(context.Background(), tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.want) {
				t.Errorf("exit %d (want %d); output lacks %q:\n%s%s", code, tt.code, tt.want, out, errOut)
			}
		})
	}
}

func TestCSPPolicyFromBaselineAndStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := inventory.New(time.Now())
	b.Pages["checkout"] = &inventory.PageInventory{
		Target:       "https://shop.example/checkout",
		Scripts:      []inventory.ScriptEntry{{Identity: "x", Kind: "external", URL: "https://cdn.shop.example/app.js?v=3"}},
		Destinations: []inventory.DestinationEntry{{Origin: "https://api.psp.example", Types: []string{"xhr"}}},
		Forms:        []inventory.FormEntry{{Document: "/checkout", ActionOrigin: "https://pay.psp.example"}},
	}
	path := filepath.Join(dir, "baseline.json")
	if err := b.Save(path); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite://" + filepath.Join(dir, "s.db")
	st, err := open.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.ApproveSource(ctx, store.ApprovedSource{Site: "shop", Directive: "img-src", Value: "https://stats.example", Origin: store.OriginManual})
	st.Close()

	out, errOut, code := runCSPCLI(ctx, "csp", "policy", "--site", "shop", "--store", dsn, "--baseline", path, "--report-uri", "https://watch.example/r/KEY")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"Content-Security-Policy-Report-Only: default-src 'self'; script-src 'self' https://cdn.shop.example;",
		"connect-src 'self' https://api.psp.example;", "form-action 'self' https://pay.psp.example;",
		"img-src 'self' https://stats.example;", "report-uri https://watch.example/r/KEY; report-to skimwatch",
		`Reporting-Endpoints: skimwatch="https://watch.example/r/KEY"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("policy lacks %q:\n%s", want, out)
		}
	}
	// The generated policy lints without a high finding.
	line := strings.SplitN(out, "\n", 2)[0]
	if _, errOut, code := runCSPCLI(ctx, "csp", "lint", line); code != 0 {
		t.Errorf("own policy fails lint (exit %d): %s", code, errOut)
	}
	if _, _, code := runCSPCLI(ctx, "csp", "policy"); code != 2 {
		t.Errorf("policy without --site or --baseline: exit %d, want 2", code)
	}
	if out, _, _ := runCSPCLI(ctx, "csp", "guide"); !strings.Contains(out, "nginx") || !strings.Contains(out, "EC-CUBE") {
		t.Errorf("guide lacks nginx or EC-CUBE")
	}
}

func TestCollectCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a loopback port")
	}
	keyOut, _, code := runCSPCLI(context.Background(), "collect", "keygen")
	key := strings.TrimSpace(keyOut)
	if code != 0 || !regexp.MustCompile(`^[a-z2-7]{32}$`).MatchString(key) {
		t.Fatalf("keygen printed %q (exit %d), want 32 base32 characters", key, code)
	}
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"collect without --site", nil},
		{"a retention that is not a duration", []string{"--site", "shop=" + key, "--retain", "forever"}},
		{"a zero client rate", []string{"--site", "shop=" + key, "--client-rate", "0"}},
		{"a site origin with a path", []string{"--site", "shop=" + key, "--site-origin", "shop=https://shop.example/checkout"}},
		{"a site origin for an unknown site", []string{"--site", "shop=" + key, "--site-origin", "blog=https://blog.example"}},
	} {
		if _, errOut, code := runCSPCLI(context.Background(), append([]string{"collect", "--listen", "127.0.0.1:0", "--metrics-listen", ""}, tt.args...)...); code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", tt.name, code, errOut)
		}
	}

	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "s.db")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	maddr := mln.Addr().String()
	mln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		stderr string
		code   int
	}
	done := make(chan result, 1)
	go func() {
		_, errOut, code := runCSPCLI(ctx, "collect", "--listen", addr, "--metrics-listen", maddr, "--site", "shop="+key,
			"--site-origin", "shop=https://shop.example", "--site-rate", "500", "--client-rate", "50", "--retain", "30d",
			"--store", dsn, "--flush-interval", "1h", "--journal", filepath.Join(dir, "j"))
		done <- result{errOut, code}
	}()
	body := `{"csp-report":{"document-uri":"https://shop.example/checkout","effective-directive":"connect-src","blocked-uri":"https://evil.example/c","disposition":"report"}}`
	sent := 0
	deadline := time.Now().Add(10 * time.Second)
	for sent < 3 && time.Now().Before(deadline) {
		resp, err := http.Post("http://"+addr+"/r/"+key, "application/csp-report", strings.NewReader(body))
		if err != nil {
			time.Sleep(20 * time.Millisecond) // not listening yet
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		sent++
	}
	for _, tt := range []struct {
		name, addr string
		code       int
	}{
		{"metrics are served on --metrics-listen", maddr, 200},
		{"metrics are not served on the report listener", addr, 404},
	} {
		resp, err := http.Get("http://" + tt.addr + "/metrics")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.code)
		}
	}
	// Stop as SIGINT would: the final flush writes what was accepted.
	cancel()
	r := <-done
	if r.code != 0 {
		t.Fatalf("collect exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `"accepted":3`) {
		t.Errorf("stop summary lacks the count: %s", r.stderr)
	}
	st, err := open.Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ReportAggregates(context.Background(), store.AggregateQuery{Site: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Count != 3 || rows[0].Blocked != "https://evil.example" {
		t.Errorf("stored %+v, want one aggregate of 3 reports", rows)
	}
	if _, err := st.SiteByKeyHash(context.Background(), store.HashKey(key)); err != nil {
		t.Errorf("site not registered: %v", err)
	}
	fs, err := st.Findings(context.Background(), store.FindingQuery{Site: "shop"})
	if err != nil {
		t.Fatalf("reading findings: %v", err)
	}
	if len(fs) != 1 || fs[0].Kind != "csp.unapproved-connect" {
		t.Errorf("findings %v", fmt.Sprint(fs))
	}
}

func TestCSPOrigins(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "s.db")
	st, err := open.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	agg := func(path, sample, client string) store.ReportAggregate {
		return store.ReportAggregate{Site: "shop", Directive: "script-src-elem", Blocked: "https://skim.example", DocumentPath: path,
			Disposition: "report", Count: 2, ClientHashes: []string{client}, FirstSeen: at, LastSeen: at, Sample: sample}
	}
	if err := st.MergeReportAggregates(ctx, "b1", []store.ReportAggregate{
		agg("/checkout", `{"DocumentOrigin":"https://shop.example"}`, "c1"),
		agg("https://skim.example/", "", "c2"),
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"origins seen in reports are listed, none approved yet", []string{"csp", "origins", "--site", "shop", "--store", dsn}, 0,
			[]string{"https://shop.example  false     2", "https://skim.example  false     2"}},
		{"an origin with a path is refused", []string{"csp", "origins", "approve", "--site", "shop", "--store", dsn, "https://shop.example/x"}, 2, []string{"not a site origin"}},
		{"approving an origin records it", []string{"csp", "origins", "approve", "--site", "shop", "--store", dsn, "HTTPS://Shop.Example:443"}, 0,
			[]string{"approved https://shop.example as an origin of shop"}},
		{"the approved origin is listed as the site's own", []string{"csp", "origins", "--site", "shop", "--store", dsn}, 0,
			[]string{"https://shop.example  true      2", "https://skim.example  false     2"}},
		{"a policy for the site leaves its origins out", []string{"csp", "policy", "--site", "shop", "--store", dsn}, 0,
			[]string{"script-src 'self';"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCSPCLI(ctx, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s%s", code, tt.code, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
		})
	}
	st, err = open.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(ctx, store.EventQuery{Site: "shop", Type: "csp.origin-approved"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || !strings.Contains(string(evs[0].Data), "https://shop.example") {
		t.Errorf("event log %v, want one csp.origin-approved for https://shop.example", evs)
	}
}
