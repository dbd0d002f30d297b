package incident

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// AccessRequest is one line of a web server's access log.
type AccessRequest struct {
	Line   int       `json:"line"`
	Time   time.Time `json:"time"`
	Host   string    `json:"host"`
	Method string    `json:"method"`
	// Path is the request target without its query.
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Referer   string `json:"referer,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// MaxAccessLineBytes caps one access-log line; longer lines are skipped
// as malformed rather than read whole.
const MaxAccessLineBytes = 64 << 10

// ErrAccessLine is wrapped by ParseAccessLine for a line in neither the
// common nor the combined log format.
var ErrAccessLine = errors.New("not a common or combined log format line")

const clfTime = "02/Jan/2006:15:04:05 -0700"

// ParseAccessLine reads one line in the common log format
//
//	host ident user [10/Oct/2000:13:55:36 -0700] "GET /a.js HTTP/1.1" 200 2326
//
// or the combined format, which adds "referer" "user-agent".
func ParseAccessLine(line string) (AccessRequest, error) {
	var r AccessRequest
	bad := func(why string) (AccessRequest, error) {
		return AccessRequest{}, fmt.Errorf("%w: %s", ErrAccessLine, why)
	}
	host, rest, ok := strings.Cut(line, " ")
	if !ok || host == "" {
		return bad("no host")
	}
	r.Host = host
	open := strings.IndexByte(rest, '[')
	closeAt := strings.IndexByte(rest, ']')
	if open < 0 || closeAt < open {
		return bad("no [time]")
	}
	t, err := time.Parse(clfTime, rest[open+1:closeAt])
	if err != nil {
		return bad("time: " + err.Error())
	}
	r.Time = t.UTC()
	rest = strings.TrimLeft(rest[closeAt+1:], " ")
	req, rest, ok := quoted(rest)
	if !ok {
		return bad("no quoted request")
	}
	parts := strings.Fields(req)
	if len(parts) < 2 {
		return bad("request without method and target")
	}
	r.Method = parts[0]
	r.Path, _, _ = strings.Cut(parts[1], "?")
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		return bad("no status and size")
	}
	if r.Status, err = strconv.Atoi(fields[0]); err != nil || r.Status < 100 || r.Status > 999 {
		return bad("status")
	}
	if fields[1] != "-" {
		if _, err := strconv.ParseInt(fields[1], 10, 64); err != nil {
			return bad("size")
		}
	}
	// Combined format: two more quoted fields.
	if i := strings.IndexByte(rest, '"'); i >= 0 {
		ref, more, ok := quoted(rest[i:])
		if !ok {
			return bad("unterminated referer")
		}
		r.Referer = ref
		if j := strings.IndexByte(more, '"'); j >= 0 {
			if r.UserAgent, _, ok = quoted(more[j:]); !ok {
				return bad("unterminated user agent")
			}
		}
	}
	return r, nil
}

// quoted reads a "..." field (backslash escapes kept as written) at the
// start of s and returns it and what follows.
func quoted(s string) (string, string, bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return s[1:i], s[i+1:], true
		}
	}
	return "", "", false
}

// AccessLog is a parsed log: its requests, and how many lines were not
// requests (so a reader knows the log was not read whole).
type AccessLog struct {
	Requests  []AccessRequest
	Malformed int
}

// ReadAccessLog reads a log in the common or combined format, gzip
// compressed or not (told by its first bytes, as rotated logs are named
// any way).
func ReadAccessLog(r io.Reader) (AccessLog, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return AccessLog{}, fmt.Errorf("access log: gzip: %w", err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var out AccessLog
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), MaxAccessLineBytes)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		req, err := ParseAccessLine(line)
		if err != nil {
			out.Malformed++
			continue
		}
		req.Line = n
		out.Requests = append(out.Requests, req)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("access log line %d: %w", n+1, err)
	}
	return out, nil
}
