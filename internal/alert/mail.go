package alert

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// MailOptions configures a mail sink. STARTTLS is required: an alert names
// the shop and what is wrong with it, and is not sent in the clear.
type MailOptions struct {
	Host     string
	Port     int // default 587
	Username string
	Password string
	From     string
	To       []string
	// Langs are the languages of the body (English and Japanese by default);
	// the subject is in the first.
	Langs []string
	// TLS overrides the TLS settings (a private CA, for instance);
	// ServerName defaults to Host.
	TLS *tls.Config
}

// Mail sends each alert as a plain-text mail over SMTP with STARTTLS.
type Mail struct {
	name string
	opts MailOptions
}

var _ Sink = (*Mail)(nil)

// NewMail returns a mail sink named name.
func NewMail(name string, opts MailOptions) (*Mail, error) {
	if opts.Host == "" || opts.From == "" || len(opts.To) == 0 {
		return nil, fmt.Errorf("alert: mail %s: host, from and at least one recipient are required", name)
	}
	if opts.Port == 0 {
		opts.Port = 587
	}
	langs, err := checkLangs(opts.Langs)
	if err != nil {
		return nil, fmt.Errorf("alert: mail %s: %w", name, err)
	}
	opts.Langs = langs
	if opts.TLS == nil {
		opts.TLS = &tls.Config{}
	}
	opts.TLS = opts.TLS.Clone()
	if opts.TLS.ServerName == "" {
		opts.TLS.ServerName = opts.Host
	}
	opts.TLS.MinVersion = max(opts.TLS.MinVersion, tls.VersionTLS12)
	return &Mail{name: name, opts: opts}, nil
}

// Name returns the sink's name.
func (m *Mail) Name() string { return m.name }

// MailBody is the plain-text body of a in langs.
func MailBody(a Alert, langs []string) string {
	var b strings.Builder
	for i, l := range langs {
		if i > 0 {
			b.WriteString("\n----\n\n")
		}
		t := a.Texts[l]
		fmt.Fprintf(&b, "%s\n\n%s", t.Title, t.Body)
	}
	fmt.Fprintf(&b, "\nalert: %s\n", a.ID)
	return b.String()
}

// Send sends the alert. The attempt's deadline comes from ctx.
func (m *Mail) Send(ctx context.Context, a Alert) error {
	msg := mail.NewMsg()
	if err := msg.From(m.opts.From); err != nil {
		return fmt.Errorf("%w: from: %v", ErrPermanent, err)
	}
	if err := msg.To(m.opts.To...); err != nil {
		return fmt.Errorf("%w: to: %v", ErrPermanent, err)
	}
	// Texts are built from escaped strings, so the subject holds no line
	// break to inject headers with; go-mail encodes it as well.
	msg.Subject("[skimwatch] " + a.Texts[m.opts.Langs[0]].Title)
	msg.SetMessageIDWithValue(a.ID + "@skimwatch")
	msg.SetDateWithValue(a.At)
	msg.SetBodyString(mail.TypeTextPlain, MailBody(a, m.opts.Langs))
	opts := []mail.Option{
		mail.WithPort(m.opts.Port),
		mail.WithTLSPolicy(mail.TLSMandatory),
		mail.WithTLSConfig(m.opts.TLS),
	}
	if m.opts.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(m.opts.Username), mail.WithPassword(m.opts.Password))
	}
	if dl, ok := ctx.Deadline(); ok {
		opts = append(opts, mail.WithTimeout(max(time.Until(dl), time.Millisecond)))
	}
	c, err := mail.NewClient(m.opts.Host, opts...)
	if err != nil {
		return fmt.Errorf("%w: mail client: %v", ErrPermanent, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail via %s:%d: %w", m.opts.Host, m.opts.Port, err)
	}
	return nil
}
