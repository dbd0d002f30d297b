package browser

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"

	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// launch starts Chromium for a test, or skips when it cannot be found
// (fails under CI=true).
func launch(t testing.TB, opts Options) *Browser {
	t.Helper()
	_, err := FindChromium(opts.ExecPath)
	testsupport.Need(t, "Chromium", err)
	b, err := Launch(context.Background(), opts)
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func navigate(t *testing.T, ctx context.Context, s *Session, url string) {
	t.Helper()
	loaded, cancel := s.Subscribe(page.LoadEventFired.Method)
	defer cancel()
	if _, err := cdp.Call(ctx, s, page.Enable, page.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cdp.Call(ctx, s, page.Navigate, page.NavigateParams{URL: url}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		t.Fatal("page did not load")
	}
}

func eval[T any](t *testing.T, ctx context.Context, s *Session, expr string) T {
	t.Helper()
	res, err := cdp.Call(ctx, s, runtime.Evaluate, runtime.EvaluateParams{Expression: expr, ReturnByValue: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExceptionDetails != nil {
		t.Fatalf("%s: %s", expr, res.ExceptionDetails.Text)
	}
	var v T
	if err := Unmarshal(res.Result.Value, &v); err != nil {
		t.Fatalf("%s: decoding %s: %v", expr, res.Result.Value, err)
	}
	return v
}

func TestTabLooksLikeADesktopBrowser(t *testing.T) {
	b := launch(t, Options{})
	var gotUA, gotLang string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA, gotLang = r.UserAgent(), r.Header.Get("Accept-Language")
		w.Write([]byte("<html><body>hello</body></html>"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab, err := b.NewTab(ctx, TabOptions{Locale: "ja-JP"})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	s := tab.Page()
	navigate(t, ctx, s, srv.URL)

	tests := []struct {
		name string
		expr string
		want any
	}{
		{"navigator.webdriver is false", "navigator.webdriver === false", true},
		{"the user agent does not say Headless", "!/Headless/i.test(navigator.userAgent)", true},
		{"window.chrome exists", "typeof window.chrome === 'object' && window.chrome !== null", true},
		{"navigator.language is the locale", "navigator.language", "ja-JP"},
		{"navigator.languages starts with the locale", "navigator.languages[0]", "ja-JP"},
		{"Intl uses the locale", "Intl.DateTimeFormat().resolvedOptions().locale", "ja-JP"},
		{"the window has a real outer size", "window.outerWidth > 1000 && window.outerHeight > 600", true},
		{"the inner size fits inside the outer size", "window.innerWidth > 1000 && window.innerWidth <= window.outerWidth", true},
		{"client hints do not say Headless", "navigator.userAgentData.brands.every(b => !/Headless/i.test(b.brand))", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch want := tt.want.(type) {
			case bool:
				if got := eval[bool](t, ctx, s, tt.expr); got != want {
					t.Errorf("%s = %v, want %v", tt.expr, got, want)
				}
			case string:
				if got := eval[string](t, ctx, s, tt.expr); got != want {
					t.Errorf("%s = %q, want %q", tt.expr, got, want)
				}
			}
		})
	}
	t.Run("the server sees no Headless user agent", func(t *testing.T) {
		if strings.Contains(gotUA, "Headless") || !strings.Contains(gotUA, "Chrome/") {
			t.Errorf("User-Agent = %q", gotUA)
		}
	})
	t.Run("the server sees the Accept-Language a Japanese desktop Chrome sends", func(t *testing.T) {
		// Chromium adds the q-values itself; a list that already has them
		// comes out as "ja;q=0.9;q=0.9", which no real browser sends and
		// any skimmer's bot filter can key on.
		if want := "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7"; gotLang != want {
			t.Errorf("Accept-Language = %q, want %q", gotLang, want)
		}
	})
}

func TestTabsDoNotShareCookies(t *testing.T) {
	b := launch(t, Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/set" {
			http.SetCookie(w, &http.Cookie{Name: "visit", Value: "1"})
		}
		w.Write([]byte("<html><body>ok</body></html>"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab1, err := b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	navigate(t, ctx, tab1.Page(), srv.URL+"/set")
	if got := eval[string](t, ctx, tab1.Page(), "document.cookie"); got != "visit=1" {
		t.Fatalf("first tab cookie = %q", got)
	}
	tab1.Close()
	tab2, err := b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab2.Close()
	navigate(t, ctx, tab2.Page(), srv.URL+"/get")
	if got := eval[string](t, ctx, tab2.Page(), "document.cookie"); got != "" {
		t.Errorf("second tab sees cookie %q from the first", got)
	}
}

func TestMaxConcurrentCapsOpenTabs(t *testing.T) {
	b := launch(t, Options{MaxConcurrent: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab1, err := b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := b.NewTab(short, TabOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second NewTab with one slot taken: err = %v, want deadline exceeded", err)
	}
	tab1.Close()
	tab2, err := b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatalf("NewTab after Close: %v", err)
	}
	tab2.Close()
}

// chromiumProcesses counts live processes that belong to b.
func chromiumProcesses(b *Browser) []int {
	var live []int
	for _, pid := range Processes(b.PID(), b.UserDataDir()) {
		st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// Zombies still hold a pid until reaped; they are not running.
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			continue
		}
		live = append(live, pid)
	}
	return live
}

func TestNoChromiumProcessOutlivesTheBrowser(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><body><iframe src="/frame"></iframe><script>new Worker(URL.createObjectURL(new Blob(["setInterval(()=>{},1000)"])))</script></body></html>`))
	}))
	defer srv.Close()
	cases := []struct {
		name string
		end  func(t *testing.T, b *Browser, cancel context.CancelFunc)
	}{
		{"Close kills every process", func(t *testing.T, b *Browser, _ context.CancelFunc) { b.Close() }},
		{"cancelling the launch context kills every process", func(t *testing.T, b *Browser, cancel context.CancelFunc) {
			cancel()
			select {
			case <-b.Done():
			case <-time.After(15 * time.Second):
				t.Fatal("browser not done after cancel")
			}
			b.Close()
		}},
		{"a browser killed mid-check leaves no renderer behind", func(t *testing.T, b *Browser, _ context.CancelFunc) {
			syscall.Kill(b.PID(), syscall.SIGKILL)
			select {
			case <-b.Done():
			case <-time.After(15 * time.Second):
				t.Fatal("browser not done after SIGKILL")
			}
			b.Close()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() {
				t.Skip("needs Chromium")
			}
			launch(t, Options{}).Close() // skip/fail consistently when missing
			lctx, lcancel := context.WithCancel(context.Background())
			defer lcancel()
			b, err := Launch(lctx, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tab, err := b.NewTab(ctx, TabOptions{})
			if err != nil {
				t.Fatal(err)
			}
			navigate(t, ctx, tab.Page(), srv.URL)
			before := chromiumProcesses(b)
			if len(before) < 2 {
				t.Fatalf("only %d chromium processes while a page is open: the count cannot be trusted", len(before))
			}
			tc.end(t, b, lcancel)
			var after []int
			for range 50 { // the kernel reaps asynchronously
				if after = chromiumProcesses(b); len(after) == 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(after) != 0 {
				t.Errorf("%d processes before, %d still alive after: %v", len(before), len(after), after)
			}
			if _, err := os.Stat(b.UserDataDir()); !os.IsNotExist(err) {
				t.Errorf("profile dir %s still exists (err %v)", b.UserDataDir(), err)
			}
		})
	}
}

func TestCallsFailFastOnceTheBrowserIsGone(t *testing.T) {
	b := launch(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tab, err := b.NewTab(ctx, TabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	wg.Go(func() {
		// A page that never answers keeps the call pending until the kill.
		_, err := cdp.Call(ctx, tab.Page(), runtime.Evaluate, runtime.EvaluateParams{Expression: "new Promise(() => {})", AwaitPromise: ptr(true)})
		errs <- err
	})
	time.Sleep(200 * time.Millisecond)
	syscall.Kill(b.PID(), syscall.SIGKILL)
	wg.Wait()
	if err := <-errs; !errors.Is(err, ErrClosed) {
		t.Errorf("pending call after kill: err = %v, want ErrClosed", err)
	}
	if _, err := b.NewTab(ctx, TabOptions{}); err == nil {
		t.Error("NewTab on a dead browser succeeded")
	}
}

func TestAcceptLanguage(t *testing.T) {
	tests := []struct{ locale, want string }{
		{"ja-JP", "ja-JP,ja,en-US,en"},
		{"en-US", "en-US,en"},
		{"de", "de,en-US,en"},
	}
	for _, tt := range tests {
		t.Run(tt.locale+" lists the base language and English after it", func(t *testing.T) {
			if got := acceptLanguage(tt.locale); got != tt.want {
				t.Errorf("acceptLanguage(%q) = %q, want %q", tt.locale, got, tt.want)
			}
		})
	}
}
