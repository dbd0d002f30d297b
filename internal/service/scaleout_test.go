package service

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// Settings the worker helper processes take from the scale-out test.
const (
	envWorkerDSN = "SKIMWATCH_TEST_WORKER_DSN"
	envWorkerID  = "SKIMWATCH_TEST_WORKER_ID"
	// A dead worker's job is rescued after this; each check's own
	// timeout is shorter.
	scaleJobTimeout = 30 * time.Second
	scaleRescue     = 35 * time.Second
)

// TestWorkerProcess is not a test: it is the `skimwatch worker` process
// that TestScaleOutSurvivesAKilledWorker starts (twice) and kills.
func TestWorkerProcess(t *testing.T) {
	dsn := os.Getenv(envWorkerDSN)
	if dsn == "" {
		t.Skip("helper process of TestScaleOutSurvivesAKilledWorker")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	err := Work(ctx, dsn, WorkerOptions{Concurrency: 2, Monitor: monitor.Options{ID: os.Getenv(envWorkerID), Dwell: time.Second,
		PollInterval: 100 * time.Millisecond, JobTimeout: scaleJobTimeout, RescueAfter: scaleRescue}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestScaleOutSurvivesAKilledWorker(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// The store and the queue are migrated here, before any worker opens
	// them, so that no two processes migrate at once.
	st, err := open.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sched, err := monitor.New(ctx, monitor.Options{Queue: dsn, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Stop(ctx)

	workers := map[string]*exec.Cmd{}
	logs := map[string]*bytes.Buffer{}
	for _, id := range []string{"worker-1", "worker-2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$", "-test.v")
		cmd.Env = append(os.Environ(), envWorkerDSN+"="+dsn, envWorkerID+"="+id)
		logs[id] = &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = logs[id], logs[id]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		workers[id] = cmd
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		})
	}

	var y strings.Builder
	// differential: never keeps each check one pass: the test counts jobs,
	// and with no baseline ever approved auto would triple every check.
	y.WriteString("data_dir: " + t.TempDir() + "\nsites:\n  - name: lab\n    differential: never\n    payment_origins: [\"${PSP}\", \"${PSP_API}\"]\n    pages:\n")
	pages := []string{"/checkout/link", "/checkout/token", "/register", "/cart", "/login", "/"}
	for _, p := range pages {
		y.WriteString("      - {url: \"${SHOP}" + p + "\", every: 1s, timeout: 25s}\n")
	}
	env := map[string]string{"PSP": l.PSPOrigin(), "PSP_API": l.PSPAPIOrigin(), "SHOP": l.ShopURL()}
	cfg, err := config.ParseWith(strings.NewReader(y.String()), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	sched.Schedule(ctx, cfg)

	// Kill worker-1 with SIGKILL in the middle of a browser check.
	var killed monitor.Run
	deadline := time.Now().Add(2 * time.Minute)
	for killed.ID == 0 && time.Now().Before(deadline) {
		runs, err := sched.Runs(ctx, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.Kind == (monitor.CheckArgs{}).Kind() && r.State == "running" && r.Worker == "worker-1" {
				killed = r
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if killed.ID == 0 {
		t.Fatalf("worker-1 never ran a check; its log:\n%s", logs["worker-1"])
	}
	time.Sleep(500 * time.Millisecond) // well inside the check: it dwells 1s after typing
	if err := workers["worker-1"].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed worker-1 during job %d", killed.ID)
	// Keep scheduling a while with one worker left, then stop and let
	// everything queued finish, the killed job included once rescued.
	time.Sleep(20 * time.Second)
	sched.Schedule(ctx, config.Config{})

	var runs []monitor.Run
	deadline = time.Now().Add(scaleRescue + 2*time.Minute)
	for {
		all, err := sched.Runs(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		// Only checks are counted; the site's housekeeping runs too.
		runs = runs[:0]
		for _, r := range all {
			if r.Kind == (monitor.CheckArgs{}).Kind() {
				runs = append(runs, r)
			}
		}
		if allFinal(runs) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	events, err := st.Events(ctx, store.EventQuery{Site: "lab", Type: "check"})
	if err != nil {
		t.Fatal(err)
	}
	completed, byJob := 0, map[int64]monitor.Run{}
	for _, r := range runs {
		byJob[r.ID] = r
		if r.State == "completed" {
			completed++
		}
	}
	t.Logf("%d check jobs scheduled, %d completed, %d check events recorded", len(runs), completed, len(events))

	t.Run("every scheduled check completes", func(t *testing.T) {
		for _, r := range runs {
			if r.State != "completed" || !r.Complete {
				b, _ := json.Marshal(r)
				t.Errorf("job not completed cleanly: %s", b)
			}
		}
	})
	t.Run("the check the killed worker was running is completed by the other on its second attempt", func(t *testing.T) {
		r := byJob[killed.ID]
		if r.State != "completed" || r.Attempt != 2 || r.Worker != "worker-2" {
			t.Errorf("killed job now %+v, want completed on attempt 2 by worker-2", r)
		}
	})
	t.Run("each check is recorded exactly once", func(t *testing.T) {
		if len(events) != completed {
			t.Errorf("%d check events for %d completed checks", len(events), completed)
		}
	})
	if t.Failed() {
		t.Logf("worker-2's log:\n%s", logs["worker-2"])
	}
}

func allFinal(runs []monitor.Run) bool {
	for _, r := range runs {
		switch r.State {
		case "completed", "discarded", "cancelled":
		default:
			return false
		}
	}
	return true
}
