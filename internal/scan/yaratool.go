package scan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// toolEngine runs the yara command-line tool (4.x). It is the differential
// oracle in tests: the bundled rules must give the same answers in it as in
// skimwatch's own engine. Rules given as text are piped to it on stdin; content
// given as bytes is written to a private file in /dev/shm (memory, not
// disk: database rows may hold card data) and removed after the scan.
type toolEngine struct {
	bin string
}

// newToolEngine finds the yara tool.
func newToolEngine() (*toolEngine, error) {
	bin, err := exec.LookPath("yara")
	if err != nil {
		return nil, fmt.Errorf("the yara tool is not installed (apt-get install yara): %w", err)
	}
	return &toolEngine{bin: bin}, nil
}

var _ engine = (*toolEngine)(nil)

type cliRules struct {
	e        *toolEngine
	stdin    []byte // rules given as text
	compiled string // yarac output, once compiled
	files    []string
	warn     []string
	n        int
	compileX map[string]any
}

var cliDiag = regexp.MustCompile(`^(error|warning): (?:rule "[^"]*" in )?(.+)\((\d+)\): (.*)$`)
var cliDiag2 = regexp.MustCompile(`^(.+)\((\d+)\): (error|warning): (.*)$`)

func (e *toolEngine) compile(sources []ruleSource, opts compileOptions) (ruleSet, error) {
	r := &cliRules{e: e, compileX: opts.Externals}
	for _, s := range sources {
		if s.Data != nil {
			r.stdin = append(append(r.stdin, s.Data...), '\n')
			continue
		}
		r.files = append(r.files, s.Path)
	}
	stderr, _, runErr := r.run(context.Background(), append(externalArgs(opts.Externals), r.ruleArgs(os.DevNull)...))
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if line == "" {
			continue
		}
		var kind, file, msg string
		var ln int
		if m := cliDiag.FindStringSubmatch(line); m != nil {
			kind, file, msg = m[1], m[2], m[4]
			ln, _ = strconv.Atoi(m[3])
		} else if m := cliDiag2.FindStringSubmatch(line); m != nil {
			kind, file, msg = m[3], m[1], m[4]
			ln, _ = strconv.Atoi(m[2])
		} else {
			kind, msg = "error", line
		}
		if file == "/dev/stdin" && len(sources) > 0 {
			file = sources[0].Path
		}
		if kind == "warning" {
			r.warn = append(r.warn, fmt.Sprintf("%s:%d: %s", file, ln, msg))
			continue
		}
		return nil, &RuleError{File: file, Line: ln, Message: msg}
	}
	if runErr != nil {
		return nil, fmt.Errorf("yara: %w: %s", runErr, stderr)
	}
	// Count the rules: those that match an empty file plus those that do not.
	n := 0
	for _, neg := range [][]string{{"-w"}, {"-w", "-n"}} {
		_, out, err := r.run(context.Background(), append(append(externalArgs(opts.Externals), neg...), r.ruleArgs(os.DevNull)...))
		if err != nil {
			return nil, fmt.Errorf("yara: counting rules: %w", err)
		}
		n += strings.Count(out, "\n")
	}
	r.n = n
	if err := r.precompile(opts.Externals); err != nil {
		return nil, err
	}
	return r, nil
}

// precompile compiles the rules once with yarac, so that each scan loads
// compiled rules instead of parsing the sources again (about three times
// faster per file). The file is named by a hash of its inputs and shared
// between runs; compiled rules hold nothing secret.
func (r *cliRules) precompile(ext map[string]any) error {
	yarac, err := exec.LookPath("yarac")
	if err != nil {
		return nil // scanning from sources still works, only slower
	}
	h := sha256.New()
	h.Write(r.stdin)
	for _, f := range r.files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading rules: %w", err)
		}
		fmt.Fprintf(h, "\x00%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	fmt.Fprint(h, externalArgs(ext))
	out := filepath.Join(os.TempDir(), fmt.Sprintf("skimwatch-rules-%x.yarc", h.Sum(nil)[:12]))
	// /tmp is shared: use an existing file only if this user owns it and no
	// one else can write it, so that no one can plant blind rules.
	if !ownedPrivateFile(out) {
		f, err := os.CreateTemp(os.TempDir(), "skimwatch-rules-*.tmp")
		if err != nil {
			return fmt.Errorf("yarac: %w", err)
		}
		tmp := f.Name()
		f.Close()
		args := append(append(externalArgs(ext), "-w"), r.ruleArgs(tmp)...)
		cmd := exec.Command(yarac, args...)
		if r.stdin != nil {
			cmd.Stdin = bytes.NewReader(r.stdin)
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("yarac: %w: %s", err, b)
		}
		if err := os.Chmod(tmp, 0o600); err != nil {
			return fmt.Errorf("yarac: %w", err)
		}
		if err := os.Rename(tmp, out); err != nil || !ownedPrivateFile(out) {
			// Someone else holds the name: keep our private copy instead.
			out = tmp
		}
	}
	r.compiled = out
	return nil
}

// ruleArgs lists the rule files, stdin first, then the target.
func (r *cliRules) ruleArgs(target string) []string {
	if r.compiled != "" {
		return []string{"-C", r.compiled, target}
	}
	var args []string
	if r.stdin != nil {
		args = append(args, "/dev/stdin")
	}
	return append(append(args, r.files...), target)
}

// run runs yara, feeding text rules on stdin.
func (r *cliRules) run(ctx context.Context, args []string, extra ...*os.File) (stderr, stdout string, err error) {
	cmd := exec.CommandContext(ctx, r.e.bin, args...)
	cmd.ExtraFiles = extra
	if r.stdin != nil {
		cmd.Stdin = bytes.NewReader(r.stdin)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return e.String(), o.String(), err
}

func externalArgs(ext map[string]any) []string {
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var args []string
	for _, k := range keys {
		args = append(args, "-d", fmt.Sprintf("%s=%v", k, ext[k]))
	}
	return args
}

func (r *cliRules) warnings() []string { return r.warn }
func (r *cliRules) count() int         { return r.n }

// mayMatchSize: the oracle is asked about every file.
func (r *cliRules) mayMatchSize(int64) bool { return true }

// skipped is empty: the yara tool has every module.
func (r *cliRules) skipped() []SkippedRule { return nil }

func (r *cliRules) scanBytes(ctx context.Context, data []byte, opts matchOptions) ([]Match, error) {
	f, err := os.CreateTemp("/dev/shm", "skimwatch-scan-*")
	if err != nil {
		return nil, fmt.Errorf("the yara tool needs /dev/shm to scan content held in memory: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	ms, err := r.scanPath(ctx, f.Name(), opts)
	return ms, err
}

// scanFile hands the open file to yara as its descriptor 3, so the tool
// scans the file the scanner opened, not whatever the name leads to now.
func (r *cliRules) scanFile(ctx context.Context, f *os.File, opts matchOptions) ([]Match, error) {
	return r.scan(ctx, "/dev/fd/3", f, opts)
}

func (r *cliRules) scanPath(ctx context.Context, path string, opts matchOptions) ([]Match, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return r.scan(ctx, path, f, opts)
}

// scan runs yara on target (a path or /dev/fd/3 for f) and reads the
// matched bytes from f.
func (r *cliRules) scan(ctx context.Context, target string, f *os.File, opts matchOptions) ([]Match, error) {
	var extra []*os.File
	if target == "/dev/fd/3" {
		extra = []*os.File{f}
	}
	ext := r.compileX
	if opts.Externals != nil {
		ext = opts.Externals
	}
	args := append(externalArgs(ext), "-g", "-m", "-s", "-L", "-w", "-p", "1")
	if opts.Timeout > 0 {
		args = append(args, "-a", strconv.Itoa(max(1, int(opts.Timeout.Seconds()))))
	}
	stderr, stdout, err := r.run(ctx, append(args, r.ruleArgs(target)...), extra...)
	if err != nil {
		if strings.Contains(stderr, "timeout") || ctx.Err() != nil {
			return nil, timeoutError{limit: opts.Timeout}
		}
		return nil, fmt.Errorf("yara: %w: %s", err, strings.TrimSpace(stderr))
	}
	return parseCLIOutput([]byte(stdout), target, f)
}

// maxToolMatchData bounds the bytes kept per matched string.
const maxToolMatchData = 4096

// parseCLIOutput reads `yara -g -m -s -L` output for one target, taking
// matched bytes from target.
func parseCLIOutput(out []byte, path string, target io.ReaderAt) ([]Match, error) {
	var ms []Match
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "0x") && len(ms) > 0 {
			// 0xOFFSET:LENGTH:$id: data (printed escaped; read from the target instead)
			parts := strings.SplitN(line, ":", 4)
			if len(parts) != 4 {
				return nil, fmt.Errorf("bad string line %q", line)
			}
			off, err := strconv.ParseInt(parts[0][2:], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("bad offset in %q", line)
			}
			n, err := strconv.Atoi(parts[1])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad length in %q", line)
			}
			data := make([]byte, min(n, maxToolMatchData))
			k, _ := target.ReadAt(data, off)
			data = data[:k]
			parts[1] = parts[2]
			m := &ms[len(ms)-1]
			m.Strings = append(m.Strings, StringMatch{ID: parts[1], Offset: off, Data: data})
			continue
		}
		rest, ok := strings.CutSuffix(line, " "+path)
		if !ok {
			return nil, fmt.Errorf("unexpected yara output %q", line)
		}
		name, rest, _ := strings.Cut(rest, " [")
		tags, rest, _ := strings.Cut(rest, "] [")
		m := Match{Rule: name, Namespace: "default"}
		if tags != "" {
			m.Tags = strings.Split(tags, ",")
		}
		meta, err := parseCLIMeta(strings.TrimSuffix(rest, "]"))
		if err != nil {
			return nil, fmt.Errorf("meta of %s: %w", name, err)
		}
		m.Meta = meta
		ms = append(ms, m)
	}
	return ms, sc.Err()
}

func parseCLIMeta(s string) ([]MetaEntry, error) {
	var out []MetaEntry
	for s != "" {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, errors.New("missing =")
		}
		k = strings.TrimSpace(k)
		var v any
		if strings.HasPrefix(rest, `"`) {
			var sb strings.Builder
			i := 1
			for ; i < len(rest) && rest[i] != '"'; i++ {
				if rest[i] == '\\' && i+1 < len(rest) {
					i++
				}
				sb.WriteByte(rest[i])
			}
			v, rest = sb.String(), rest[min(i+1, len(rest)):]
		} else {
			raw, r2, _ := strings.Cut(rest, ",")
			rest = "," + r2
			if r2 == "" {
				rest = ""
			}
			switch raw {
			case "true", "false":
				v = raw == "true"
			default:
				n, err := strconv.ParseInt(raw, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("bad value %q", raw)
				}
				v = n
			}
		}
		out = append(out, MetaEntry{Key: k, Value: v})
		s = strings.TrimPrefix(rest, ",")
	}
	return out, nil
}

func ownedPrivateFile(p string) bool {
	st, err := os.Lstat(p)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o022 != 0 {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Geteuid()
}
