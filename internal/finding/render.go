package finding

import (
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Format names an output format.
type Format string

const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatSARIF Format = "sarif"
)

// ParseFormat accepts table, json or sarif.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case FormatTable, FormatJSON, FormatSARIF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want table, json or sarif)", s)
}

// Render writes the report in the given format.
func Render(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatJSON:
		return RenderJSON(w, r)
	case FormatSARIF:
		return RenderSARIF(w, r)
	case FormatTable, "":
		return RenderTable(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// RenderJSON writes the report as one indented JSON object.
func RenderJSON(w io.Writer, r *Report) error {
	return termtext.WriteJSON(w, r)
}

// RenderTable writes a human-readable table: one line per finding, then its
// most useful evidence indented below it. Every string in a report may come
// from the attacker (file names, URLs, page text), so each passes through
// termtext.Escape: a name cannot erase, overwrite or reorder what is printed.
func RenderTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	esc := termtext.Escape
	status := "complete"
	if !r.Complete {
		status = "INCOMPLETE: " + esc(strings.Join(r.Incomplete, "; "))
	}
	fmt.Fprintf(tw, "%s %s: %d finding(s), %s\n", esc(r.Tool), esc(r.Command), len(r.Findings), status)
	if len(r.Findings) == 0 {
		if r.Complete {
			fmt.Fprintln(tw, "No findings.")
		}
		return tw.Flush()
	}
	fmt.Fprintln(tw, "SEVERITY\tKIND\tWHERE\tMESSAGE")
	for _, f := range r.Findings {
		where := cmpOr(f.Path, f.URL)
		if f.Rule != "" {
			where += " [" + f.Rule + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", strings.ToUpper(f.Severity.String()), esc(f.Kind), esc(where), esc(f.Message))
		for _, k := range sortedKeys(f.Evidence) {
			fmt.Fprintf(tw, "\t\t  %s:\t%s\n", esc(k), shorten(esc(fmt.Sprint(f.Evidence[k])), 160))
		}
	}
	return tw.Flush()
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// shorten cuts s to at most n bytes on a character boundary.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - 1
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// SARIF 2.1.0, the subset code-scanning dashboards read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Results     []sarifResult     `json:"results"`
	Invocations []sarifInvocation `json:"invocations"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	ShortDescription sarifText      `json:"shortDescription"`
	Properties       map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations,omitempty"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

func sarifLevel(s Severity) string {
	switch {
	case s >= High:
		return "error"
	case s >= Medium:
		return "warning"
	default:
		return "note"
	}
}

// sarifSecurity maps severities onto GitHub's security-severity scale.
func sarifSecurity(s Severity) string {
	return map[Severity]string{Critical: "9.5", High: "8.0", Medium: "5.5", Low: "3.0", Info: "0.0"}[s]
}

// sarifURI is the finding's location as the URI reference SARIF requires: a
// file path is percent-encoded, so that a "#", "?", "%" or control character
// in a planted file's name is read as part of the name; a page URL already
// is a URI.
func sarifURI(f Finding) string {
	if f.Path != "" {
		return (&url.URL{Path: f.Path}).EscapedPath()
	}
	return f.URL
}

// RenderSARIF writes the report as a SARIF 2.1.0 log with one run.
func RenderSARIF(w io.Writer, r *Report) error {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           r.Tool,
			Version:        r.Version,
			InformationURI: "https://github.com/skimwatch/skimwatch",
			Rules:          []sarifRule{},
		}},
		Results:     []sarifResult{},
		Invocations: []sarifInvocation{{ExecutionSuccessful: r.Complete}},
	}
	for _, reason := range r.Incomplete {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications,
			sarifNotification{Level: "error", Message: sarifText{Text: "incomplete: " + reason}})
	}
	for _, w := range r.Warnings {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications,
			sarifNotification{Level: "warning", Message: sarifText{Text: w}})
	}
	seen := map[string]bool{}
	for _, f := range r.Findings {
		id := f.Kind
		if f.Rule != "" {
			id = f.Kind + "/" + f.Rule
		}
		if !seen[id] {
			seen[id] = true
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
				ID:               id,
				ShortDescription: sarifText{Text: f.Kind},
				Properties:       map[string]any{"security-severity": sarifSecurity(f.Severity), "tags": []string{"security"}},
			})
		}
		res := sarifResult{
			RuleID:     id,
			Level:      sarifLevel(f.Severity),
			Message:    sarifText{Text: f.Message},
			Properties: map[string]any{"severity": f.Severity.String(), "evidence": f.Evidence},
		}
		if loc := sarifURI(f); loc != "" {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: loc}}}}
		}
		run.Results = append(run.Results, res)
	}
	return termtext.WriteJSON(w, sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
