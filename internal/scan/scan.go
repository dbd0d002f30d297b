// Package scan looks for skimmer, webshell and hidden-payload signatures in
// files, in-memory blobs and database rows, with skimwatch's bundled YARA
// rules plus any the user adds.
//
// # Policies
//
//   - Paths are walked without following symbolic links. A link whose target
//     lies outside the root it was found under is reported as a finding
//     (scan.symlink-outside-root), because a link out of a web root is a known
//     way to expose or plant files; its target is not scanned. A root given
//     on the command line is followed if it is itself a link: the user named it.
//   - Only regular files are scanned; devices, sockets and pipes are counted
//     in the report's details and skipped.
//   - Folders are listed and files opened beneath the root (package
//     beneath), so a parent swapped for a link is refused, not followed.
//   - Files up to Options.MaxFileSize (default 512 MiB) are scanned. Files up to
//     16 MiB are read into memory once, so that a change during the read is
//     seen; larger ones are mapped by the engine from the descriptor already
//     open, and a truncation during that scan is reported, not fatal. A
//     larger file is not scanned and makes the report incomplete, naming
//     the file.
//   - Each file gets Options.Timeout (default 60 s). A scan that runs out of
//     time, a file that cannot be read, vanishes or changes while it is read
//     makes the report incomplete, naming the file: never a silent clean.
//   - Matched bytes quoted in evidence have every card number masked to its
//     first six and last four digits (package card: raw, UTF-16, URL-escaped,
//     hex and base64) and are then cut to 64 bytes, so that real card numbers
//     found in a skimmer's loot file or a database row do not land in
//     reports or the store. Masking comes first so that the cut cannot leave
//     a card too short to be recognised but long enough to matter.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/skimwatch/skimwatch/internal/beneath"
	"github.com/skimwatch/skimwatch/internal/card"
	"github.com/skimwatch/skimwatch/internal/finding"
)

// Defaults for Options fields left at zero.
const (
	DefaultMaxFileSize = 512 << 20
	DefaultTimeout     = 60 * time.Second
	// inMemoryLimit is the largest file read whole before scanning.
	inMemoryLimit = 16 << 20
)

// Finding kinds produced by the scanner.
const (
	KindMatch          = "scan.match"
	KindSymlinkOutside = "scan.symlink-outside-root"
)

// Options configures a Scanner. The zero value scans with the bundled rules.
type Options struct {
	// Rules are extra rule files or directories (*.yar, *.yara, recursive).
	Rules []string
	// NoDefaultRules leaves the bundled rules out; Rules must then be set.
	NoDefaultRules bool
	// Externals define YARA external variables, for compiling and scanning.
	Externals map[string]any
	// Workers is how many files are scanned at once (default GOMAXPROCS).
	Workers int
	// MaxFileSize is the largest file scanned, in bytes (default
	// DefaultMaxFileSize; negative means no limit).
	MaxFileSize int64
	// Timeout limits the scan of one file or blob (default DefaultTimeout).
	Timeout time.Duration
	// SkipUnsupportedImports leaves out the rules that use a YARA module the
	// engine lacks (and rules that reference them) instead of failing; the
	// report's "skipped_rules" detail counts them by reason.
	SkipUnsupportedImports bool
	// Logger receives debug and warning messages (default: discard).
	Logger *slog.Logger
	// LoadRules is a file written by SaveRules (skimwatch scan
	// --save-rules) whose rule sets replace compiling: Rules, NoDefaultRules
	// and SkipUnsupportedImports must then be unset, and AutoExternals is
	// as it was when the rules were saved.
	LoadRules string
	// AutoExternals declares the external variables filename, filepath,
	// extension, filetype and owner and fills them per file (see
	// docs/SCAN.md); defining one of them in Externals too is an error.
	AutoExternals bool
	// Console receives the lines rules print with YARA's console module
	// (default: discard). Writes may come from several workers at once.
	Console io.Writer
	// Now is the clock for report times (default time.Now).
	Now func() time.Time
}

// Blob is in-memory content to scan, such as a file from a baseline diff or
// a database row. Name becomes the finding's Path.
type Blob struct {
	Name string
	Data []byte
}

// Scanner scans files and blobs with compiled rules. It is safe for
// concurrent use.
type Scanner struct {
	opts     Options
	log      *slog.Logger
	sets     []namedSet
	warnings []string
	skipped  []SkippedRule
	owners   ownerNames
}

type namedSet struct {
	name string // "bundled" or "user"
	set  ruleSet
}

// New compiles the bundled rules (unless NoDefaultRules) and opts.Rules. A
// rule file that does not compile gives an error wrapping *RuleError.
func New(opts Options) (*Scanner, error) {
	return newScanner(opts, defaultEngine())
}

func newScanner(opts Options, eng engine) (*Scanner, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFileSize == 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Console != nil {
		opts.Console = &lineWriter{w: opts.Console}
	}
	s := &Scanner{opts: opts, log: opts.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.LoadRules != "" {
		if err := s.useSavedRules(opts); err != nil {
			return nil, err
		}
	} else if err := s.compileRules(opts, eng); err != nil {
		return nil, err
	}
	if len(s.sets) == 0 {
		return nil, errors.New("no rules to scan with: --no-default-rules needs at least one --rules file or directory")
	}
	for _, ns := range s.sets {
		s.skipped = append(s.skipped, ns.set.skipped()...)
		for _, w := range ns.set.warnings() {
			s.log.Warn("rule warning", "rules", ns.name, "warning", w)
			s.warnings = append(s.warnings, w)
		}
	}
	return s, nil
}

// compileRules compiles the bundled rules (unless NoDefaultRules) and
// opts.Rules into the scanner's sets.
func (s *Scanner) compileRules(opts Options, eng engine) error {
	copts := compileOptions{Externals: opts.Externals, SkipUnsupportedImports: opts.SkipUnsupportedImports}
	if opts.AutoExternals {
		if err := checkAutoExternals(opts.Externals); err != nil {
			return err
		}
		copts.Externals = autoExternalDefaults()
		maps.Copy(copts.Externals, opts.Externals)
	}
	if !opts.NoDefaultRules {
		src, err := bundledSources()
		if err != nil {
			return err
		}
		set, err := eng.compile(src, copts)
		if err != nil {
			return fmt.Errorf("compiling bundled rules: %w", err)
		}
		s.sets = append(s.sets, namedSet{"bundled", set})
	}
	if len(opts.Rules) > 0 {
		src, err := expandRulePaths(opts.Rules)
		if err != nil {
			return err
		}
		set, err := eng.compile(src, copts)
		if err != nil {
			return fmt.Errorf("compiling rules: %w", err)
		}
		s.sets = append(s.sets, namedSet{"user", set})
	}
	return nil
}

// RuleCount is the number of compiled rules across all rule sets.
func (s *Scanner) RuleCount() int {
	n := 0
	for _, ns := range s.sets {
		n += ns.set.count()
	}
	return n
}

// Skipped summarises the rules left out by SkipUnsupportedImports; Count is
// 0 when every rule runs.
func (s *Scanner) Skipped() SkippedSummary {
	sum := SkippedSummary{Count: len(s.skipped), Total: s.RuleCount(), Reasons: map[string]int{}, Rules: slices.Clone(s.skipped)}
	for _, r := range s.skipped {
		sum.Reasons[r.Reason]++
	}
	return sum
}

// Warnings are the rule compiler's warnings.
func (s *Scanner) Warnings() []string { return slices.Clone(s.warnings) }

// run collects one scan's results from concurrent workers.
type run struct {
	mu      sync.Mutex
	report  *finding.Report
	scanned int
	bytes   int64
	skipped map[string]int
	seen    map[fileID]bool // files already queued (overlapping roots, hard links)
}

type fileID struct{ dev, ino uint64 }

// firstVisit reports whether the file has not been queued before.
func (r *run) firstVisit(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	id := fileID{uint64(st.Dev), uint64(st.Ino)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen[id] {
		return false
	}
	r.seen[id] = true
	return true
}

func (s *Scanner) newRun(targets []string) *run {
	return &run{
		report: &finding.Report{
			Tool:     "skimwatch",
			Command:  "scan",
			Targets:  targets,
			Started:  s.opts.Now().UTC(),
			Complete: true,
		},
		skipped: map[string]int{},
		seen:    map[fileID]bool{},
	}
}

func (r *run) add(fs ...finding.Finding) {
	r.mu.Lock()
	r.report.Findings = append(r.report.Findings, fs...)
	r.mu.Unlock()
}

func (r *run) incomplete(reason string) {
	r.mu.Lock()
	r.report.MarkIncomplete(reason)
	r.mu.Unlock()
}

func (r *run) counted(n int64) {
	r.mu.Lock()
	r.scanned++
	r.bytes += n
	r.mu.Unlock()
}

func (r *run) skip(why string) {
	r.mu.Lock()
	r.skipped[why]++
	r.mu.Unlock()
}

func (s *Scanner) finish(ctx context.Context, r *run) *finding.Report {
	if err := ctx.Err(); err != nil {
		r.report.MarkIncomplete("the scan was stopped before it finished: " + err.Error())
	}
	r.report.Finished = s.opts.Now().UTC()
	r.report.Sort()
	d := map[string]any{
		"files_scanned": r.scanned,
		"bytes_scanned": r.bytes,
		"rules":         s.RuleCount(),
	}
	if len(r.skipped) > 0 {
		d["skipped"] = r.skipped
	}
	if len(s.warnings) > 0 {
		d["rule_warnings"] = s.warnings
	}
	if len(s.skipped) > 0 {
		d["skipped_rules"] = s.Skipped()
	}
	r.report.Details = d
	return r.report
}

// ScanBlobs scans in-memory content. Each blob gets the per-file timeout.
func (s *Scanner) ScanBlobs(ctx context.Context, blobs []Blob) (*finding.Report, error) {
	names := make([]string, len(blobs))
	for i, b := range blobs {
		names[i] = b.Name
	}
	r := s.newRun(names)
	jobs := make(chan Blob)
	var wg sync.WaitGroup
	for range min(s.opts.Workers, max(len(blobs), 1)) {
		wg.Go(func() {
			for b := range jobs {
				s.scanBlob(ctx, r, b)
			}
		})
	}
feed:
	for _, b := range blobs {
		select {
		case jobs <- b:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return s.finish(ctx, r), nil
}

func (s *Scanner) scanBlob(ctx context.Context, r *run, b Blob) {
	if s.opts.MaxFileSize > 0 && int64(len(b.Data)) > s.opts.MaxFileSize {
		r.incomplete(fmt.Sprintf("%s was not scanned: %d bytes is over the %d-byte limit", b.Name, len(b.Data), s.opts.MaxFileSize))
		return
	}
	ms, err := s.match(ctx, b.Name, s.objectExternals(b.Name, b.Data, nil), func(ctx context.Context, set ruleSet, o matchOptions) ([]namedMatch, error) {
		m, err := set.scanBytes(ctx, b.Data, o)
		return wrapMatches(m), err
	})
	if err != nil {
		r.incomplete(err.Error())
	}
	r.counted(int64(len(b.Data)))
	r.add(s.findings(b.Name, ms)...)
}

type namedMatch struct {
	Match
	set string
}

func wrapMatches(ms []Match) []namedMatch {
	out := make([]namedMatch, len(ms))
	for i, m := range ms {
		out[i] = namedMatch{Match: m}
	}
	return out
}

// mayMatchSize reports whether a rule of any set can match a file of size
// bytes.
func (s *Scanner) mayMatchSize(size int64) bool {
	for _, ns := range s.sets {
		if ns.set.mayMatchSize(size) {
			return true
		}
	}
	return false
}

// match runs every rule set over one object, each with its own timeout.
// Matches found before an error are kept.
func (s *Scanner) match(ctx context.Context, name string, externals map[string]any, scan func(context.Context, ruleSet, matchOptions) ([]namedMatch, error)) ([]namedMatch, error) {
	var all []namedMatch
	var errs []error
	for _, ns := range s.sets {
		if ctx.Err() != nil {
			return all, fmt.Errorf("%s was not scanned: %w", name, ctx.Err())
		}
		sctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		ms, err := scan(sctx, ns.set, matchOptions{Externals: externals, Timeout: s.opts.Timeout, Console: s.opts.Console})
		timedOut := sctx.Err() == context.DeadlineExceeded
		cancel()
		for i := range ms {
			ms[i].set = ns.name
		}
		all = append(all, ms...)
		var te timeoutError
		switch {
		case err == nil:
		case errors.Is(err, errChangedDuringScan):
			errs = append(errs, fmt.Errorf("%s changed while it was being scanned (it shrank under the %s rules' scan)", name, ns.name))
		case errors.As(err, &te) || (timedOut && ctx.Err() == nil):
			errs = append(errs, fmt.Errorf("%s: scanning with the %s rules timed out after %s", name, ns.name, s.opts.Timeout))
		default:
			errs = append(errs, fmt.Errorf("%s: scanning with the %s rules failed: %w", name, ns.name, err))
		}
	}
	return all, errors.Join(errs...)
}

// ScanPaths walks files and directories and scans every regular file.
// An error is returned only when nothing could be done (no paths); problems
// with single files make the report incomplete instead.
func (s *Scanner) ScanPaths(ctx context.Context, paths []string) (*finding.Report, error) {
	if len(paths) == 0 {
		return nil, errors.New("no paths to scan")
	}
	r := s.newRun(paths)
	jobs := make(chan fileJob)
	// Roots stay open until every worker is done with their files.
	var roots []*beneath.Dir
	defer func() {
		for _, root := range roots {
			root.Close()
		}
	}()
	var wg sync.WaitGroup
	for range s.opts.Workers {
		wg.Go(func() {
			// Each worker reuses one read buffer (at most inMemoryLimit+1
			// bytes), so small files cost no allocation or clearing.
			var buf []byte
			for j := range jobs {
				s.scanFile(ctx, r, j, &buf)
			}
		})
	}
	for _, root := range paths {
		if ctx.Err() != nil {
			break
		}
		if dir := s.walk(ctx, r, root, jobs); dir != nil {
			roots = append(roots, dir)
		}
	}
	close(jobs)
	wg.Wait()
	return s.finish(ctx, r), nil
}

// ScanFilesUnder scans the named files beneath root: rels are
// slash-separated paths relative to it, such as the files a baseline diff
// found added or modified. Each is opened through root, so that no file is
// reached through a link or a parent swapped for one since it was named;
// a path that is not a regular file any more makes the report incomplete.
// Findings name root-joined paths, as ScanPaths does.
func (s *Scanner) ScanFilesUnder(ctx context.Context, root string, rels []string) (*finding.Report, error) {
	dir, err := beneath.Open(root)
	if err != nil {
		return nil, fmt.Errorf("scan under %s: %w", root, err)
	}
	defer dir.Close()
	r := s.newRun([]string{root})
	jobs := make(chan fileJob)
	var wg sync.WaitGroup
	for range min(s.opts.Workers, max(len(rels), 1)) {
		wg.Go(func() {
			var buf []byte
			for j := range jobs {
				s.scanFile(ctx, r, j, &buf)
			}
		})
	}
feed:
	for _, rel := range rels {
		j := fileJob{root: dir, path: rel, shown: filepath.Join(root, filepath.FromSlash(rel))}
		select {
		case jobs <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	return s.finish(ctx, r), nil
}

type fileJob struct {
	// root is the walked folder, opened once: files are opened beneath it,
	// so that a parent folder swapped for a link cannot lead outside. It is
	// nil for a file named on the command line.
	root  *beneath.Dir
	path  string // under root (slash-separated), or the resolved file named
	shown string // as the user named it, for reports
	// info is what a caller saw of the file before queueing it, when it
	// looked: the opened file must still be that file. The walk leaves it nil
	// and the worker's fstat is the first look.
	info fs.FileInfo
}

// walk sends the regular files under root to jobs, reporting links that
// leave root. It returns the opened root folder (nil for a file), which
// must stay open until the jobs are done.
func (s *Scanner) walk(ctx context.Context, r *run, root string, jobs chan<- fileJob) *beneath.Dir {
	// A root that is itself a link is followed: the user named it.
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		r.incomplete(fmt.Sprintf("%s could not be scanned: %v", root, err))
		return nil
	}
	realRoot, err = filepath.Abs(realRoot)
	if err != nil {
		r.incomplete(fmt.Sprintf("%s could not be scanned: %v", root, err))
		return nil
	}
	fi, err := os.Lstat(realRoot)
	if err != nil {
		r.incomplete(fmt.Sprintf("%s could not be scanned: %v", root, unwrapPathError(err)))
		return nil
	}
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			r.skip("not a regular file")
			return nil
		}
		select {
		case jobs <- fileJob{path: realRoot, shown: root}:
		case <-ctx.Done():
		}
		return nil
	}
	// Everything under the folder is listed and opened beneath it: no
	// step may be a symlink or leave it.
	dir, err := beneath.Open(realRoot)
	if err != nil {
		r.incomplete(fmt.Sprintf("%s could not be scanned: %v", root, unwrapPathError(err)))
		return nil
	}
	err = fs.WalkDir(dir.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		shown := filepath.Join(root, filepath.FromSlash(p))
		if err != nil {
			// A directory that cannot be listed hides everything in it;
			// one swapped for a link out of the root lands here too.
			r.incomplete(fmt.Sprintf("%s could not be read: %v", shown, unwrapPathError(err)))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		// The type comes from the directory listing, so regular files cost
		// no stat here: the worker checks the opened file with fstat.
		switch mode := d.Type(); {
		case mode&fs.ModeSymlink != 0:
			s.checkLink(r, dir, realRoot, p, shown)
			return nil
		case !mode.IsRegular():
			r.skip("not a regular file")
			s.log.Debug("skipping special file", "path", shown, "mode", mode.String())
			return nil
		}
		select {
		case jobs <- fileJob{root: dir, path: p, shown: shown}:
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		r.incomplete(fmt.Sprintf("%s could not be walked: %v", root, err))
	}
	return dir
}

// checkLink reports a symbolic link whose target is outside root. Links
// inside root are not followed: their targets are scanned where they are.
func (s *Scanner) checkLink(r *run, dir *beneath.Dir, root, p, shown string) {
	target, err := dir.Readlink(p)
	if err != nil {
		r.incomplete(fmt.Sprintf("%s: the link could not be read: %v", shown, unwrapPathError(err)))
		return
	}
	abs := target
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, filepath.FromSlash(path.Dir(p)), target)
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		// Dangling: nothing to scan, but a dangling link out of the root is
		// still worth knowing about.
		resolved = filepath.Clean(abs)
	}
	if within(root, resolved) {
		r.skip("symbolic link inside the root")
		return
	}
	r.add(finding.Finding{
		Severity: finding.Medium,
		Kind:     KindSymlinkOutside,
		Source:   "scan",
		Path:     shown,
		Message:  fmt.Sprintf("The symbolic link %s points outside the scanned directory, to %s; its target was not scanned.", shown, resolved),
		Evidence: map[string]any{"link_target": target, "resolved": resolved, "root": root},
	})
}

func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// scanFile scans one regular file found by the walk. buf is the worker's
// read buffer, grown as needed; the engine copies what it keeps of it.
func (s *Scanner) scanFile(ctx context.Context, r *run, j fileJob, buf *[]byte) {
	shown := j.shown
	if j.info != nil && s.opts.MaxFileSize > 0 && j.info.Size() > s.opts.MaxFileSize {
		r.incomplete(fmt.Sprintf("%s was not scanned: %d bytes is over the %d-byte limit (raise --max-file-size)", shown, j.info.Size(), s.opts.MaxFileSize))
		return
	}
	f, err := j.open()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.incomplete(fmt.Sprintf("%s vanished before it could be scanned", shown))
		} else {
			r.incomplete(fmt.Sprintf("%s could not be read: %v", shown, unwrapPathError(err)))
		}
		return
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil || !before.Mode().IsRegular() || (j.info != nil && !os.SameFile(before, j.info)) {
		r.incomplete(fmt.Sprintf("%s changed while it was being scanned (replaced before it was opened)", shown))
		return
	}
	if !r.firstVisit(before) {
		r.skip("already scanned (the same file under another path)")
		return
	}
	if j.info == nil && s.opts.MaxFileSize > 0 && before.Size() > s.opts.MaxFileSize {
		r.incomplete(fmt.Sprintf("%s was not scanned: %d bytes is over the %d-byte limit (raise --max-file-size)", shown, before.Size(), s.opts.MaxFileSize))
		return
	}

	if !s.mayMatchSize(before.Size()) {
		// Every rule's filesize test excludes this file: nothing to read.
		r.counted(before.Size())
		return
	}

	var ms []namedMatch
	var size int64
	if before.Size() <= inMemoryLimit {
		// Read one byte past the size seen, to notice a file that grows.
		want := int(before.Size()) + 1
		if cap(*buf) < want {
			*buf = make([]byte, want)
		}
		data := (*buf)[:want]
		n, err := io.ReadFull(f, data)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			r.incomplete(fmt.Sprintf("%s could not be read: %v", shown, unwrapPathError(err)))
			return
		}
		data = data[:n]
		size = int64(n)
		ms, err = s.match(ctx, shown, s.objectExternals(shown, data, before), func(ctx context.Context, set ruleSet, o matchOptions) ([]namedMatch, error) {
			m, err := set.scanBytes(ctx, data, o)
			return wrapMatches(m), err
		})
		if err != nil {
			r.incomplete(err.Error())
		}
		if size != before.Size() {
			r.incomplete(fmt.Sprintf("%s changed while it was being scanned (size %d, then %d bytes)", shown, before.Size(), size))
		}
	} else {
		size = before.Size()
		var ext map[string]any
		if s.opts.AutoExternals {
			header := make([]byte, fileTypeHeader)
			n, _ := f.ReadAt(header, 0)
			ext = s.objectExternals(shown, header[:n], before)
		} else {
			ext = s.opts.Externals
		}
		ms, err = s.match(ctx, shown, ext, func(ctx context.Context, set ruleSet, o matchOptions) ([]namedMatch, error) {
			m, err := set.scanFile(ctx, f, o)
			return wrapMatches(m), err
		})
		if err != nil {
			r.incomplete(err.Error())
		}
	}
	after, err := j.lstat()
	switch {
	case err != nil:
		r.incomplete(fmt.Sprintf("%s vanished while it was being scanned", shown))
	case !sameInode(before, after) || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()):
		r.incomplete(fmt.Sprintf("%s changed while it was being scanned", shown))
	}
	r.counted(size)
	r.add(s.findings(shown, ms)...)
}

// open opens the job's file. Beneath the root, no step may be a link or
// leave it; O_NOFOLLOW keeps a named file swapped for a link from being
// followed, and O_NONBLOCK keeps one swapped for a FIFO from blocking: the
// fstat that follows refuses anything but a regular file.
func (j fileJob) open() (*os.File, error) {
	if j.root != nil {
		return j.root.OpenFile(j.path, os.O_RDONLY|syscall.O_NONBLOCK)
	}
	return os.OpenFile(j.path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

func (j fileJob) lstat() (fs.FileInfo, error) {
	if j.root != nil {
		return j.root.Lstat(j.path)
	}
	return os.Lstat(j.path)
}

// sameInode is os.SameFile for infos from different sources (an open
// file's fstat, and an lstat beneath the root).
func sameInode(a, b fs.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return os.SameFile(a, b)
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// findings turns matches on one object into findings.
func (s *Scanner) findings(path string, ms []namedMatch) []finding.Finding {
	out := make([]finding.Finding, 0, len(ms))
	for _, m := range ms {
		sev := finding.High
		if v := m.meta("severity"); v != "" {
			if parsed, err := finding.ParseSeverity(v); err == nil {
				sev = parsed
			} else {
				s.log.Warn("rule has an unknown severity; using high", "rule", m.Rule, "severity", v)
			}
		}
		desc := m.meta("description")
		msg := fmt.Sprintf("%s matches the signature %s.", path, m.Rule)
		if desc != "" {
			msg = fmt.Sprintf("%s matches the signature %s: %s.", path, m.Rule, strings.TrimSuffix(desc, "."))
		}
		ev := map[string]any{
			"rules":   m.set,
			"strings": evidenceStrings(m.Strings),
		}
		if m.Namespace != "" && m.Namespace != "default" {
			ev["namespace"] = m.Namespace
		}
		if desc != "" {
			ev["description"] = desc
		}
		if ref := m.meta("reference"); ref != "" {
			ev["reference"] = ref
		}
		if len(m.Tags) > 0 {
			ev["tags"] = m.Tags
		}
		if len(m.Strings) > maxEvidenceStrings {
			ev["strings_total"] = len(m.Strings)
		}
		out = append(out, finding.Finding{
			Severity: sev,
			Kind:     KindMatch,
			Source:   "scan",
			Path:     path,
			Rule:     m.Rule,
			Message:  msg,
			Evidence: ev,
		})
	}
	return out
}

const (
	maxEvidenceStrings = 10
	maxEvidenceBytes   = 64
)

// EvidenceString is one matched string as shown in a finding's evidence.
type EvidenceString struct {
	ID     string `json:"id"`
	Offset int64  `json:"offset"`
	Data   string `json:"data"`
}

func evidenceStrings(sm []StringMatch) []EvidenceString {
	sorted := slices.Clone(sm)
	slices.SortStableFunc(sorted, func(a, b StringMatch) int {
		return cmp.Or(cmp.Compare(a.Offset, b.Offset), cmp.Compare(a.ID, b.ID))
	})
	out := []EvidenceString{}
	for _, m := range sorted[:min(len(sorted), maxEvidenceStrings)] {
		out = append(out, EvidenceString{ID: m.ID, Offset: m.Offset, Data: quoteEvidence(m.Data)})
	}
	return out
}

// quoteEvidence masks card numbers in matched bytes, cuts them and escapes
// what is not printable ASCII.
func quoteEvidence(b []byte) string {
	b = card.MaskBytes(b)
	cut := len(b) > maxEvidenceBytes
	if cut {
		b = b[:maxEvidenceBytes]
	}
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02x`, c)
		}
	}
	if cut {
		sb.WriteString("…")
	}
	return sb.String()
}
