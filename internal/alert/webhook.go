package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook signature headers (see docs/ALERTS.md).
const (
	HeaderTimestamp = "X-Skimwatch-Timestamp"
	HeaderSignature = "X-Skimwatch-Signature"
	HeaderAlertID   = "X-Skimwatch-Alert-Id"
	// signatureVersion prefixes the signature, so that the scheme can
	// change without receivers misreading a new one.
	signatureVersion = "v1="
)

// Webhook posts each alert as JSON, signed with HMAC-SHA256 over
// "<timestamp>.<body>" with a shared secret.
type Webhook struct {
	name   string
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

var _ Sink = (*Webhook)(nil)

// NewWebhook returns a webhook sink named name that posts to url, signing
// with secret (at least 16 bytes). client may be nil (a client with no
// redirects is used; the attempt's timeout comes from its context).
func NewWebhook(name, url string, secret []byte, client *http.Client) (*Webhook, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("alert: webhook %s: URL %q is not http(s)", name, url)
	}
	if len(secret) < 16 {
		return nil, fmt.Errorf("alert: webhook %s: secret of %d bytes is too short (want at least 16)", name, len(secret))
	}
	if client == nil {
		client = noRedirectClient()
	}
	return &Webhook{name: name, url: url, secret: bytes.Clone(secret), client: client, now: time.Now}, nil
}

// noRedirectClient does not follow redirects: a sink that redirects is
// misconfigured, and following would send the signed alert elsewhere.
func noRedirectClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Name returns the sink's name.
func (w *Webhook) Name() string { return w.name }

// Sign returns the signature header value for body sent at timestamp ts
// (Unix seconds).
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return signatureVersion + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature is returned by Verify for a request that does not verify.
var ErrBadSignature = errors.New("webhook signature does not verify")

// Verify checks a received webhook: its timestamp header must be within
// tolerance of now (against replays) and its signature header must match
// the body. It is what a Go receiver calls; docs/ALERTS.md shows the same
// check in other languages.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %.20q", ErrBadSignature, timestamp)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp is %v away from now", ErrBadSignature, d.Round(time.Second))
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}

// Send posts the alert. 2xx is delivered; 4xx other than 408 and 429 is a
// permanent failure (retrying the same request cannot help); anything else
// is retried.
func (w *Webhook) Send(ctx context.Context, a Alert) error {
	body, err := a.MarshalJSON()
	if err != nil {
		return fmt.Errorf("%w: encode: %v", ErrPermanent, err)
	}
	ts := w.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "skimwatch-alert/1")
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	req.Header.Set(HeaderAlertID, a.ID)
	return postResult(w.client.Do(req))
}

// postResult turns an HTTP answer into a delivery outcome. The response
// body is read only a little (to keep the connection reusable) and never
// quoted: it comes from the receiver, not from us.
func postResult(resp *http.Response, err error) error {
	if err != nil {
		return Redact(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		return nil
	case c >= 400 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests:
		return fmt.Errorf("%w: HTTP %d", ErrPermanent, c)
	default:
		return fmt.Errorf("HTTP %d", c)
	}
}

// Redact drops the URL an HTTP client error names (*url.Error), keeping
// what failed and why: a Slack webhook URL, and many a webhook's, is itself
// the secret, and a delivery's error is stored, logged and shown.
func Redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
