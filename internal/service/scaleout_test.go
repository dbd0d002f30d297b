package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/check/browser"
	"github.com/skimwatch/skimwatch/internal/check/verdict"
	"github.com/skimwatch/skimwatch/internal/lab"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
	"github.com/skimwatch/skimwatch/internal/store/open"
	"github.com/skimwatch/skimwatch/internal/store/storetest"
	"github.com/skimwatch/skimwatch/internal/testsupport"
)

// The scale-out test's shape. Each check is made cheap (a small lab page,
// no honey typing, a half-second dwell) so that hundreds fit in the few
// minutes `make test` can spend on it on two cores; one page, the tampered
// checkout, is probed as a real customer's would be. Four checks at once per
// process keep the cores busy while checks wait on their dwell.
const (
	scalePages    = 60
	scaleEvery    = "2s"
	scaleTimeout  = 30 * time.Second
	scaleDwell    = "500ms"
	scaleSchedule = 90 * time.Second
	// scaleBeforeKill is how many checks worker-1 completes before it is
	// killed in the middle of its next.
	scaleBeforeKill = 2
	// scaleRescue is the config's rescue_after: the page timeout plus
	// config.RescueMargin, the least it accepts.
	scaleRescue = "75s"
)

// processes are the serve and worker processes of the scale-out test,
// each the built skimwatch binary in its own process group (Chromium
// included), with its output kept for a failure's log.
type processes struct {
	t    *testing.T
	cmds map[string]*exec.Cmd
	logs map[string]*bytes.Buffer
}

func (p *processes) start(name, bin string, env []string, args ...string) {
	p.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p.logs[name] = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = p.logs[name], p.logs[name]
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.cmds[name] = cmd
	p.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			_ = cmd.Wait()
		}
		// Whatever of the group outlived it (a killed worker's Chromium).
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
}

// stop ends a process as an operator would, letting it finish its running
// checks, and returns the CPU time it and the children it waited for
// (its Chromium) used.
func (p *processes) stop(name string) time.Duration {
	p.t.Helper()
	cmd := p.cmds[name]
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		p.t.Errorf("%s ended with %v; its log:\n%s", name, err, p.logs[name])
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// buildSkimwatch builds the command as users run it.
func buildSkimwatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "skimwatch")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/skimwatch").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestScaleOutSurvivesAKilledWorker runs one `skimwatch serve` and two
// `skimwatch worker` processes (the built binary) on one PostgreSQL queue
// against the lab, with the checkout tampered, kills one worker with
// SIGKILL in the middle of a browser check, and then counts: every
// scheduled check completes exactly once (by job and by the store's
// events), the killed one on its second attempt elsewhere, and every
// incident reaches the webhook exactly once.
func TestScaleOutSurvivesAKilledWorker(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	_, err := browser.FindChromium("")
	testsupport.Need(t, "Chromium", err)
	bin := buildSkimwatch(t)
	ctx := context.Background()
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.SetScenario("fake-card-form"); err != nil {
		t.Fatal(err)
	}
	recv := &webhookReceiver{t: t, secret: []byte("the-scale-out-webhook-secret")}
	hook := httptest.NewServer(recv)
	defer hook.Close()

	// The store and the queue are migrated here, before any process opens
	// them, so that no two migrate at once. The test's own queue client
	// only lists jobs.
	st, err := open.Open(ctx, dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	q, err := monitor.New(ctx, monitor.Options{Queue: dsn, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Stop(ctx)

	dir := t.TempDir()
	writeConfig := func(withPages bool) string {
		var y strings.Builder
		fmt.Fprintf(&y, "data_dir: %s\nstore: ${SCALE_DSN}\nlisten: 127.0.0.1:0\nmetrics_listen: 127.0.0.1:0\nconcurrency: 4\nrescue_after: %s\n", dir, scaleRescue)
		// differential: never keeps each check the one pass the test
		// counts: no baseline is ever approved here, and auto would
		// triple every check.
		fmt.Fprintf(&y, "sites:\n  - name: lab\n    differential: never\n    payment_origins: [%q, %q]\n    pages:\n", l.PSPOrigin(), l.PSPAPIOrigin())
		if withPages {
			fmt.Fprintf(&y, "      - {url: %q, every: %s, timeout: %s, dwell: 1s}\n", l.ShopURL()+"/checkout/link", scaleEvery, scaleTimeout)
			paths := []string{"/", "/cart", "/login", "/register"}
			for i := range scalePages {
				fmt.Fprintf(&y, "      - {url: %q, every: %s, timeout: %s, dwell: %s, no_probe: true}\n",
					fmt.Sprintf("%s%s?page=%d", l.ShopURL(), paths[i%len(paths)], i), scaleEvery, scaleTimeout, scaleDwell)
			}
		} else {
			y.WriteString("      []\n")
		}
		fmt.Fprintf(&y, "alerts:\n  - webhook: {url: %s, secret: {env: SCALE_HOOK_SECRET}}\nalerting:\n  window: 0s\n", hook.URL)
		path := filepath.Join(dir, "skimwatch.yaml")
		if err := os.WriteFile(path, []byte(y.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cfgFile := writeConfig(true)
	env := []string{"SCALE_DSN=" + dsn, "SCALE_HOOK_SECRET=" + string(recv.secret), "SKIMWATCH_STORE="}
	p := &processes{t: t, cmds: map[string]*exec.Cmd{}, logs: map[string]*bytes.Buffer{}}
	for _, id := range []string{"worker-1", "worker-2"} {
		p.start(id, bin, env, "worker", "--store", dsn, "--config", cfgFile, "--name", id, "--concurrency", "4")
	}
	p.start("serve", bin, env, "serve", "--config", cfgFile)
	started := time.Now()

	// Kill worker-1 with SIGKILL in the middle of a browser check, once it
	// has done a share of the work. The worker is frozen (SIGSTOP) first
	// and the job read again: a check that finished between the read and
	// the kill would otherwise be taken for one the kill interrupted.
	var killed monitor.Run
	pgid := -p.cmds["worker-1"].Process.Pid
	for deadline := time.Now().Add(2 * time.Minute); killed.ID == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		running := runningCheck(ctx, t, q, "worker-1", scaleBeforeKill)
		if running.ID == 0 {
			continue
		}
		time.Sleep(300 * time.Millisecond) // inside the check: a check loads, then dwells at least 500ms
		if err := syscall.Kill(pgid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if still := runningCheck(ctx, t, q, "worker-1", 0); still.ID == running.ID {
			killed = running
			break
		}
		if err := syscall.Kill(pgid, syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
	}
	if killed.ID == 0 {
		t.Fatalf("worker-1 never ran a check; its log:\n%s\nserve's log:\n%s", p.logs["worker-1"], p.logs["serve"])
	}
	if err := syscall.Kill(pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmds["worker-1"].Wait()
	t.Logf("killed worker-1 (and its Chromium) during job %d, %s after start", killed.ID, time.Since(started).Round(time.Second))

	// Schedule a while longer, then stop scheduling as an operator would:
	// a reloaded config without the pages (running and queued checks go
	// on), and let everything queued finish, the killed job included.
	time.Sleep(time.Until(started.Add(scaleSchedule)))
	writeConfig(false)
	// Every process given the config is sent the reload, as SERVE.md
	// asks; the worker re-reads its alert sinks and goes on working.
	for _, name := range []string{"serve", "worker-2"} {
		if err := p.cmds[name].Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}
	var runs []monitor.Run
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(time.Second) {
		all, err := q.Runs(ctx, 1000)
		if err != nil {
			t.Fatal(err)
		}
		runs = runs[:0]
		for _, r := range all {
			if r.Kind == (monitor.CheckArgs{}).Kind() { // not the site's housekeeping
				runs = append(runs, r)
			}
		}
		if allFinal(runs) && byID(runs)[killed.ID].State == "completed" || time.Now().After(deadline) {
			break
		}
	}
	// Deliveries of the last runs' alerts, if any, go out within a tick.
	time.Sleep(2 * time.Second)
	cpu := map[string]time.Duration{"serve": p.stop("serve"), "worker-2": p.stop("worker-2")}
	wall := time.Since(started)

	events, err := st.Events(ctx, store.EventQuery{Site: "lab", Type: "check"})
	if err != nil {
		t.Fatal(err)
	}
	// An attempt that ran out of time or could not see the page records
	// itself (incomplete) and is retried; one whose process was killed
	// records nothing, and the rescuer says so in its errors.
	completed, recordedFailures, checksBy := 0, 0, map[string]int{}
	for _, r := range runs {
		for _, e := range r.Errors {
			if e != rescuedError {
				recordedFailures++
			}
		}
		if r.State == "completed" {
			completed++
			who := r.Worker
			if who != "worker-1" && who != "worker-2" {
				who = "serve"
			}
			checksBy[who]++
		}
	}
	t.Logf("%d check jobs scheduled, %d completed (serve %d, worker-1 %d before the kill, worker-2 %d), %d incomplete attempts retried, %d check events, in %s",
		len(runs), completed, checksBy["serve"], checksBy["worker-1"], checksBy["worker-2"], recordedFailures, len(events), wall.Round(time.Second))
	if n := checksBy["serve"] + checksBy["worker-2"]; n > 0 {
		total := cpu["serve"] + cpu["worker-2"]
		t.Logf("CPU: serve %s, worker-2 %s (with their Chromium): %.2f CPU-seconds per check over their %d checks",
			cpu["serve"].Round(time.Millisecond), cpu["worker-2"].Round(time.Millisecond), total.Seconds()/float64(n), n)
	}

	t.Run("the surviving processes shared the checks", func(t *testing.T) {
		// How many fit is what the shared cores finish in the schedule
		// (107 at a load average of 36 on two cores); the floor only
		// catches a queue that stopped handing out work.
		if len(runs) < 60 || checksBy["serve"] == 0 || checksBy["worker-2"] == 0 {
			t.Errorf("%d check jobs (serve %d, worker-2 %d), want at least 60 and both processes working", len(runs), checksBy["serve"], checksBy["worker-2"])
		}
	})
	t.Run("every scheduled check completes", func(t *testing.T) {
		for _, r := range runs {
			if r.State != "completed" || !r.Complete {
				b, _ := json.Marshal(r)
				t.Errorf("job not completed cleanly: %s", b)
			}
		}
	})
	t.Run("the check the killed worker was running is completed elsewhere on its second attempt", func(t *testing.T) {
		r := byID(runs)[killed.ID]
		if r.State != "completed" || r.Attempt != 2 || r.Worker == "worker-1" || len(r.Errors) == 0 || r.Errors[0] != rescuedError {
			t.Errorf("killed job now %+v, want rescued, then completed on attempt 2 by another process", r)
		}
	})
	t.Run("each completed check is recorded exactly once, and each incomplete attempt once", func(t *testing.T) {
		// A run's findings, check runs and events are filed with a record
		// of its job and attempt, in one transaction, and an attempt after one that recorded the
		// job complete hands that record on instead of checking again: so
		// a worker killed after it filed a check but before the queue
		// marked the job completed leaves no second record.
		bySeq := map[int64]store.Event{}
		for _, e := range events {
			bySeq[e.Seq] = e
		}
		named, incomplete := map[int64]bool{}, 0
		for _, r := range runs {
			recs, err := st.JobRecords(ctx, store.JobRef{ID: r.ID, Created: r.Created})
			if err != nil {
				t.Fatal(err)
			}
			complete, failures, rescues := 0, 0, 0
			for _, rec := range recs {
				if rec.Complete {
					complete++
				}
				if len(rec.Seqs) != 1 || bySeq[rec.Seqs[0]].Type != "check" || named[rec.Seqs[0]] {
					t.Errorf("job %d attempt %d names events %v, want one check event of its own", r.ID, rec.Attempt, rec.Seqs)
				}
				for _, seq := range rec.Seqs {
					named[seq] = true
				}
			}
			for _, e := range r.Errors {
				if e == rescuedError {
					rescues++
				} else {
					failures++
				}
			}
			// Each failed attempt recorded itself incomplete; an attempt
			// killed just after it did so has the rescue as its error.
			if n := len(recs) - complete; n < failures || n > failures+rescues {
				t.Errorf("job %d: %d incomplete records for %d failed attempts and %d rescues", r.ID, n, failures, rescues)
			}
			incomplete += len(recs) - complete
			if r.ID == killed.ID {
				// Whether the killed attempt had filed its check decides
				// which path the rescue took; both must end in one record.
				for _, rec := range recs {
					t.Logf("the killed job %d: attempt %d recorded it (complete %v)", r.ID, rec.Attempt, rec.Complete)
				}
			}
			if r.State == "completed" && complete != 1 {
				t.Errorf("completed job %d (attempt %d) has %d complete records, want exactly 1: %+v", r.ID, r.Attempt, complete, recs)
			}
		}
		if n := len(events); n != completed+incomplete {
			t.Errorf("%d check events for %d completed checks and %d incomplete attempts (%d failed attempts in the queue), want one each", n, completed, incomplete, recordedFailures)
		}
		for _, e := range events {
			if !named[e.Seq] {
				t.Errorf("check event %d belongs to no job's record: %s", e.Seq, e.Data)
			}
		}
	})
	recv.mu.Lock()
	got := append([]alert.Alert(nil), recv.got...)
	bad := recv.bad
	recv.mu.Unlock()
	received := map[string]int{}
	alertedKeys := map[string]map[string]bool{} // alert type -> incident keys
	for _, a := range got {
		received[a.ID]++
		if alertedKeys[a.Type] == nil {
			alertedKeys[a.Type] = map[string]bool{}
		}
		for _, it := range a.Items {
			alertedKeys[a.Type][it.Key] = true
		}
	}
	t.Run("every alert the service queued reached the webhook, none twice", func(t *testing.T) {
		ds, err := st.Deliveries(ctx, store.DeliveryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 0 {
			t.Fatal("no alert was queued")
		}
		for _, d := range ds {
			n := received[d.AlertID]
			// A retried attempt whose first answer was lost may arrive
			// twice (receivers drop it by ID); one attempt arrives once.
			if d.Status != store.DeliveryDelivered || n < 1 || n > d.Attempts {
				t.Errorf("alert %s: delivery %s after %d attempts (%s), received %d times", d.AlertID, d.Status, d.Attempts, d.LastError, n)
			}
			delete(received, d.AlertID)
		}
		for id, n := range received {
			t.Errorf("alert %s arrived %d times but was never queued", id, n)
		}
		if bad != 0 {
			t.Errorf("%d deliveries with a bad signature", bad)
		}
	})
	t.Run("every incident announced in the store is in an alert, the tamper's card theft among them", func(t *testing.T) {
		incs, err := st.Incidents(ctx, store.IncidentQuery{Site: "lab"})
		if err != nil {
			t.Fatal(err)
		}
		exfil := false
		for _, inc := range incs {
			switch {
			case inc.Kind == store.IncidentSilence && !inc.Announced.IsZero():
				// A check that could not finish once, under load, starts
				// a silence streak that alerts only if it goes on.
				t.Errorf("a silence alert about %s: %+v", inc.Target, inc.Finding)
			case inc.Kind == store.IncidentFinding && !alertedKeys[alert.TypeIncident][inc.Key]:
				t.Errorf("incident %s (%s) is in no incident alert", inc.Key, inc.Finding.Kind)
			case inc.Kind == store.IncidentFinding && inc.Status == store.IncidentClosed && !alertedKeys[alert.TypeResolved][inc.Key]:
				t.Errorf("incident %s (%s) was closed without a resolution alert", inc.Key, inc.Finding.Kind)
			}
			exfil = exfil || inc.Finding.Kind == verdict.KindCardExfil
		}
		if !exfil || !hasKind(got, verdict.KindCardExfil) {
			t.Errorf("no incident or alert about the card leaving the tampered checkout; alerts: %+v", got)
		}
		// The same tamper seen by checks that caught the send at a
		// different moment (typing, or leaving the page) can read as two
		// findings with two keys; that opens and resolves incidents the
		// alerter is right to announce. Counted here, not asserted.
		t.Logf("%d alerts: %d incident, %d resolved; %d incident rows", len(got),
			countType(got, alert.TypeIncident), countType(got, alert.TypeResolved), len(incs))
	})
	if t.Failed() {
		t.Logf("serve's log:\n%s\nworker-2's log:\n%s", p.logs["serve"], p.logs["worker-2"])
	}
}

func countType(as []alert.Alert, typ string) int {
	n := 0
	for _, a := range as {
		if a.Type == typ {
			n++
		}
	}
	return n
}

func hasKind(as []alert.Alert, kind string) bool {
	for _, a := range as {
		if hasItem(a, kind) {
			return true
		}
	}
	return false
}

// rescuedError is what River's rescuer writes into a job whose worker died.
const rescuedError = "Stuck job rescued by JobRescuer"

func byID(runs []monitor.Run) map[int64]monitor.Run {
	out := map[int64]monitor.Run{}
	for _, r := range runs {
		out[r.ID] = r
	}
	return out
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

// runningCheck returns the check job worker is running once it has
// completed at least done checks; the zero Run when there is none.
func runningCheck(ctx context.Context, t *testing.T, q *monitor.Monitor, worker string, done int) monitor.Run {
	t.Helper()
	runs, err := q.Runs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	completed, running := 0, monitor.Run{}
	for _, r := range runs {
		if r.Kind != (monitor.CheckArgs{}).Kind() || r.Worker != worker {
			continue
		}
		switch r.State {
		case "completed":
			completed++
		case "running":
			running = r
		}
	}
	if completed < done {
		return monitor.Run{}
	}
	return running
}
