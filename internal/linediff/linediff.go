// Package linediff compares two texts line by line (Myers' shortest edit
// script) and groups the changes into hunks with context, for showing a
// changed script to a person.
package linediff

import "strings"

// Op says what happened to a line.
type Op int

// Line operations.
const (
	Equal Op = iota
	Delete
	Insert
)

// MarshalText writes an Op as its name in JSON.
func (o Op) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

func (o Op) String() string {
	switch o {
	case Delete:
		return "delete"
	case Insert:
		return "insert"
	}
	return "equal"
}

// Line is one line of the comparison. Old and New are its 1-based line
// numbers in the old and the new text (0 where it is absent).
type Line struct {
	Op   Op     `json:"op"`
	Old  int    `json:"old,omitempty"`
	New  int    `json:"new,omitempty"`
	Text string `json:"text"`
}

// Hunk is a run of changed lines with up to the requested context of
// unchanged lines on each side.
type Hunk struct {
	OldStart int    `json:"old_start"`
	OldLines int    `json:"old_lines"`
	NewStart int    `json:"new_start"`
	NewLines int    `json:"new_lines"`
	Lines    []Line `json:"lines"`
}

// MaxEdits bounds the search: two texts further apart than this many
// inserted and deleted lines (after their common start and end) are shown
// as the old middle deleted and the new one inserted, so a reader's
// request costs at most about MaxEdits² steps and 16·MaxEdits² bytes.
const MaxEdits = 1000

// Split cuts s into lines without their line breaks; a final line break
// does not start another line.
func Split(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// Diff returns a shortest edit script turning a into b, every line of
// both included, deletions before insertions where they meet.
func Diff(a, b []string) []Line {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]Line, 0, len(a)+len(b))
	for i := range pre {
		out = append(out, Line{Op: Equal, Old: i + 1, New: i + 1, Text: a[i]})
	}
	out = append(out, middle(a[pre:len(a)-suf], b[pre:len(b)-suf], pre, pre)...)
	for i := range suf {
		oi, ni := len(a)-suf+i, len(b)-suf+i
		out = append(out, Line{Op: Equal, Old: oi + 1, New: ni + 1, Text: a[oi]})
	}
	return out
}

// middle is Myers' algorithm on a and b, whose first lines are numbered
// offA+1 and offB+1.
func middle(a, b []string, offA, offB int) []Line {
	n, m := len(a), len(b)
	if n == 0 && m == 0 {
		return nil
	}
	limit := min(n+m, MaxEdits)
	off := limit + 1
	v := make([]int, 2*limit+3)
	var trace [][]int
	end := -1
	for d := 0; d <= limit && end < 0; d++ {
		trace = append(trace, append([]int(nil), v...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				end = d
				break
			}
		}
	}
	if end < 0 {
		return replaced(a, b, offA, offB)
	}
	// Walk back from the end, collecting the script in reverse.
	var rev []Line
	x, y := n, m
	for d := end; d > 0; d-- {
		v := trace[d]
		k := x - y
		var pk int
		if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		px := v[off+pk]
		py := px - pk
		for x > px && y > py {
			x, y = x-1, y-1
			rev = append(rev, Line{Op: Equal, Old: offA + x + 1, New: offB + y + 1, Text: a[x]})
		}
		if pk == k+1 {
			y--
			rev = append(rev, Line{Op: Insert, New: offB + y + 1, Text: b[y]})
		} else {
			x--
			rev = append(rev, Line{Op: Delete, Old: offA + x + 1, Text: a[x]})
		}
	}
	for x > 0 && y > 0 {
		x, y = x-1, y-1
		rev = append(rev, Line{Op: Equal, Old: offA + x + 1, New: offB + y + 1, Text: a[x]})
	}
	out := make([]Line, len(rev))
	for i, l := range rev {
		out[len(rev)-1-i] = l
	}
	return out
}

func replaced(a, b []string, offA, offB int) []Line {
	out := make([]Line, 0, len(a)+len(b))
	for i, s := range a {
		out = append(out, Line{Op: Delete, Old: offA + i + 1, Text: s})
	}
	for i, s := range b {
		out = append(out, Line{Op: Insert, New: offB + i + 1, Text: s})
	}
	return out
}

// Hunks groups the changes of Diff(a, b) with up to context unchanged
// lines around each; changes closer than twice context share a hunk. Two
// equal texts have no hunks.
func Hunks(a, b []string, context int) []Hunk {
	lines := Diff(a, b)
	var out []Hunk
	for i := 0; i < len(lines); {
		if lines[i].Op == Equal {
			i++
			continue
		}
		start := max(0, i-context)
		end := i // one past the last changed line of this hunk
		for j := i; j < len(lines); j++ {
			if lines[j].Op != Equal {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		stop := min(len(lines), end+context)
		out = append(out, hunk(lines[start:stop]))
		i = stop
	}
	return out
}

func hunk(lines []Line) Hunk {
	h := Hunk{Lines: lines}
	for _, l := range lines {
		if l.Op != Insert {
			if h.OldStart == 0 {
				h.OldStart = l.Old
			}
			h.OldLines++
		}
		if l.Op != Delete {
			if h.NewStart == 0 {
				h.NewStart = l.New
			}
			h.NewLines++
		}
	}
	return h
}
