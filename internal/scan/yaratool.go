package scan

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cliEngine runs the yara command-line tool (4.x). It is the differential
// oracle: the bundled rules must give the same answers in it as in
// skimwatch's own engine.
type cliEngine struct {
	bin string
	dir string // for rule sources that only exist in memory
}

// requireYara returns the oracle engine, or skips (fails under CI=true)
// when the yara tool is missing.
func requireYara(t testing.TB) *cliEngine {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: the yara oracle is not used with -short")
	}
	bin, err := exec.LookPath("yara")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("yara is not installed (apt-get install yara), and CI=true requires it")
		}
		t.Skip("skipping: yara is not installed (apt-get install yara)")
	}
	return &cliEngine{bin: bin, dir: t.TempDir()}
}

var _ engine = (*cliEngine)(nil)

type cliRules struct {
	e        *cliEngine
	files    []string
	warn     []string
	n        int
	compileX map[string]any
}

var cliDiag = regexp.MustCompile(`^(error|warning): (?:rule "[^"]*" in )?(.+)\((\d+)\): (.*)$`)
var cliDiag2 = regexp.MustCompile(`^(.+)\((\d+)\): (error|warning): (.*)$`)

func (e *cliEngine) compile(sources []ruleSource, opts compileOptions) (ruleSet, error) {
	r := &cliRules{e: e, compileX: opts.Externals}
	for i, s := range sources {
		p := s.Path
		if s.Data != nil {
			p = filepath.Join(e.dir, fmt.Sprintf("src%d-%d.yar", time.Now().UnixNano(), i))
			if err := os.WriteFile(p, s.Data, 0o600); err != nil {
				return nil, err
			}
		}
		r.files = append(r.files, p)
	}
	args := append(externalArgs(opts.Externals), r.files...)
	args = append(args, os.DevNull)
	// --count prints nothing useful for /dev/null; we only want diagnostics.
	cmd := exec.Command(e.bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
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
		if kind == "warning" {
			r.warn = append(r.warn, fmt.Sprintf("%s:%d: %s", file, ln, msg))
			continue
		}
		return nil, &RuleError{File: file, Line: ln, Message: msg}
	}
	if runErr != nil {
		return nil, fmt.Errorf("yara: %w: %s", runErr, stderr.String())
	}
	// Count rules by listing them against an empty file with -n (negate).
	out, err := exec.Command(e.bin, append(append(append(externalArgs(opts.Externals), "-w", "-n"), r.files...), os.DevNull)...).Output()
	if err != nil {
		return nil, fmt.Errorf("yara: counting rules: %w", err)
	}
	out2, err := exec.Command(e.bin, append(append(append(externalArgs(opts.Externals), "-w"), r.files...), os.DevNull)...).Output()
	if err != nil {
		return nil, fmt.Errorf("yara: counting rules: %w", err)
	}
	r.n = bytes.Count(out, []byte("\n")) + bytes.Count(out2, []byte("\n"))
	return r, nil
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

func (r *cliRules) scanBytes(ctx context.Context, data []byte, opts matchOptions) ([]Match, error) {
	f, err := os.CreateTemp(r.e.dir, "blob-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	return r.scanFile(ctx, f.Name(), opts)
}

func (r *cliRules) scanFile(ctx context.Context, path string, opts matchOptions) ([]Match, error) {
	ext := r.compileX
	if opts.Externals != nil {
		ext = opts.Externals
	}
	args := append(externalArgs(ext), "-g", "-m", "-s", "-w")
	if opts.Timeout > 0 {
		args = append(args, "-a", strconv.Itoa(max(1, int(opts.Timeout.Seconds()))))
	}
	args = append(args, r.files...)
	args = append(args, path)
	cmd := exec.CommandContext(ctx, r.e.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "timeout") || ctx.Err() != nil {
			return nil, timeoutError{limit: opts.Timeout}
		}
		return nil, fmt.Errorf("yara: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseCLIOutput(stdout.Bytes(), path)
}

var hexData = regexp.MustCompile(`^([0-9A-F]{2} )+$`)

// parseCLIOutput reads `yara -g -m -s` output for one target.
func parseCLIOutput(out []byte, path string) ([]Match, error) {
	var ms []Match
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "0x") && len(ms) > 0 {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) != 3 {
				return nil, fmt.Errorf("bad string line %q", line)
			}
			off, err := strconv.ParseInt(parts[0][2:], 16, 64)
			if err != nil {
				return nil, fmt.Errorf("bad offset in %q", line)
			}
			data := []byte(parts[2][1:])
			if hexData.MatchString(parts[2][1:] + " ") {
				data, _ = hex.DecodeString(strings.ReplaceAll(parts[2][1:], " ", ""))
			}
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
