package alert

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Slack posts each alert to a Slack-compatible incoming webhook (Slack,
// Mattermost, Rocket.Chat and others accept {"text": ...}).
type Slack struct {
	name   string
	url    string
	langs  []string
	client *http.Client
}

var _ Sink = (*Slack)(nil)

// NewSlack returns a sink named name posting to the incoming-webhook url in
// the given languages (English and Japanese when none are given).
func NewSlack(name, url string, client *http.Client, langs ...string) (*Slack, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("alert: slack %s: URL %q is not http(s)", name, url)
	}
	langs, err := checkLangs(langs)
	if err != nil {
		return nil, fmt.Errorf("alert: slack %s: %w", name, err)
	}
	if client == nil {
		client = noRedirectClient()
	}
	return &Slack{name: name, url: url, langs: langs, client: client}, nil
}

func checkLangs(langs []string) ([]string, error) {
	if len(langs) == 0 {
		return []string{English, Japanese}, nil
	}
	for _, l := range langs {
		if _, ok := words[l]; !ok {
			return nil, fmt.Errorf("language %q (want %s or %s)", l, English, Japanese)
		}
	}
	return langs, nil
}

// Name returns the sink's name.
func (s *Slack) Name() string { return s.name }

// slackEscape escapes the three characters Slack's message format treats
// as markup, so that a URL or script name from a page cannot become a link
// or a mention.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// SlackText is the message text of a for Slack in langs.
func SlackText(a Alert, langs []string) string {
	var b strings.Builder
	for i, l := range langs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		t := a.Texts[l]
		fmt.Fprintf(&b, "*%s*\n%s", slackEscape.Replace(t.Title), slackEscape.Replace(strings.TrimRight(t.Body, "\n")))
	}
	return b.String()
}

// Send posts the alert.
func (s *Slack) Send(ctx context.Context, a Alert) error {
	var body bytes.Buffer
	if err := termtext.WriteJSONLine(&body, map[string]string{"text": SlackText(a, s.langs)}); err != nil {
		return fmt.Errorf("%w: encode: %v", ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, &body)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	return postResult(s.client.Do(req))
}
