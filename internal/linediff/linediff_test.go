package linediff

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// render writes a script as " x", "-x", "+x" lines.
func render(lines []Line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(map[Op]string{Equal: " ", Delete: "-", Insert: "+"}[l.Op] + l.Text + "\n")
	}
	return b.String()
}

// apply rebuilds both texts from a script, checking its line numbers.
func apply(t *testing.T, lines []Line) (a, b []string) {
	t.Helper()
	for _, l := range lines {
		if l.Op != Insert {
			a = append(a, l.Text)
			if l.Old != len(a) {
				t.Fatalf("line %q numbered old %d, is old line %d", l.Text, l.Old, len(a))
			}
		}
		if l.Op != Delete {
			b = append(b, l.Text)
			if l.New != len(b) {
				t.Fatalf("line %q numbered new %d, is new line %d", l.Text, l.New, len(b))
			}
		}
	}
	return a, b
}

func edits(lines []Line) int {
	n := 0
	for _, l := range lines {
		if l.Op != Equal {
			n++
		}
	}
	return n
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, a, b, want string
	}{
		{"equal texts have no edits", "a\nb\n", "a\nb\n", " a\n b\n"},
		{"an added line is an insertion", "a\nc\n", "a\nb\nc\n", " a\n+b\n c\n"},
		{"a removed line is a deletion", "a\nb\nc\n", "a\nc\n", " a\n-b\n c\n"},
		{"a changed line is a deletion then an insertion", "a\nb\nc\n", "a\nB\nc\n", " a\n-b\n+B\n c\n"},
		{"an empty old text is all insertions", "", "x\ny\n", "+x\n+y\n"},
		{"an empty new text is all deletions", "x\ny\n", "", "-x\n-y\n"},
		{"the shortest script is found among moved lines", "a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := Split(tc.a), Split(tc.b)
			got := Diff(a, b)
			ga, gb := apply(t, got)
			if !slices.Equal(ga, a) || !slices.Equal(gb, b) {
				t.Fatalf("script does not rebuild the texts:\n%s", render(got))
			}
			if tc.want != "" && render(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", render(got), tc.want)
			}
			if tc.name == "the shortest script is found among moved lines" && edits(got) != 5 {
				// Myers' paper's example: D = 5.
				t.Errorf("%d edits, want 5:\n%s", edits(got), render(got))
			}
		})
	}
	t.Run("texts further apart than MaxEdits are shown replaced whole, still correct", func(t *testing.T) {
		var a, b []string
		for i := range MaxEdits {
			a, b = append(a, fmt.Sprint("old ", i)), append(b, fmt.Sprint("new ", i))
		}
		a, b = append([]string{"same"}, a...), append([]string{"same"}, b...)
		got := Diff(a, b)
		ga, gb := apply(t, got)
		if !slices.Equal(ga, a) || !slices.Equal(gb, b) || edits(got) != 2*MaxEdits {
			t.Fatalf("%d edits; script does not rebuild the texts", edits(got))
		}
	})
}

func TestHunks(t *testing.T) {
	var a []string
	for i := 1; i <= 20; i++ {
		a = append(a, fmt.Sprint("line ", i))
	}
	b := slices.Clone(a)
	b[2] = "changed 3"
	b[4] = "changed 5"
	b[16] = "changed 17"
	t.Run("changes far apart are separate hunks and near ones share a hunk", func(t *testing.T) {
		hs := Hunks(a, b, 2)
		if len(hs) != 2 {
			t.Fatalf("%d hunks, want 2: %+v", len(hs), hs)
		}
		h := hs[0]
		if h.OldStart != 1 || h.OldLines != 7 || h.NewStart != 1 || h.NewLines != 7 {
			t.Errorf("first hunk @@ -%d,%d +%d,%d @@, want -1,7 +1,7", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		}
		h = hs[1]
		if h.OldStart != 15 || h.OldLines != 5 || h.NewStart != 15 || h.NewLines != 5 {
			t.Errorf("second hunk @@ -%d,%d +%d,%d @@, want -15,5 +15,5", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		}
	})
	t.Run("equal texts have no hunks", func(t *testing.T) {
		if hs := Hunks(a, a, 3); len(hs) != 0 {
			t.Errorf("%d hunks, want none", len(hs))
		}
	})
}

func FuzzDiff(f *testing.F) {
	f.Add("a\nb\nc", "a\nc\nd")
	f.Fuzz(func(t *testing.T, x, y string) {
		a, b := Split(x), Split(y)
		got := Diff(a, b)
		ga, gb := apply(t, got)
		if !slices.Equal(ga, a) || !slices.Equal(gb, b) {
			t.Fatalf("script does not rebuild the texts")
		}
		for _, h := range Hunks(a, b, 3) {
			if edits(h.Lines) == 0 {
				t.Fatalf("a hunk without changes")
			}
		}
	})
}
