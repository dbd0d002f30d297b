package alert

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// Syslog sends each alert as one RFC 5424 message, over UDP (one datagram)
// or TCP (octet-counting framing, RFC 6587 3.4.1).
type Syslog struct {
	name     string
	network  string
	addr     string
	hostname string
	facility int
}

var _ Sink = (*Syslog)(nil)

// SyslogOptions configures a syslog sink.
type SyslogOptions struct {
	// Network is "udp" or "tcp".
	Network string
	// Addr is host:port.
	Addr string
	// Hostname is the HOSTNAME field (default os.Hostname()).
	Hostname string
	// Facility is the syslog facility (default 13, log audit).
	Facility int
}

// NewSyslog returns a syslog sink named name.
func NewSyslog(name string, opts SyslogOptions) (*Syslog, error) {
	if opts.Network != "udp" && opts.Network != "tcp" {
		return nil, fmt.Errorf("alert: syslog %s: network %q (want udp or tcp)", name, opts.Network)
	}
	if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
		return nil, fmt.Errorf("alert: syslog %s: address %q: %w", name, opts.Addr, err)
	}
	if opts.Facility == 0 {
		opts.Facility = 13
	}
	if opts.Facility < 0 || opts.Facility > 23 {
		return nil, fmt.Errorf("alert: syslog %s: facility %d (want 0 to 23)", name, opts.Facility)
	}
	if opts.Hostname == "" {
		opts.Hostname, _ = os.Hostname()
	}
	return &Syslog{name: name, network: opts.Network, addr: opts.Addr, hostname: printUSASCII(opts.Hostname, 255), facility: opts.Facility}, nil
}

// Name returns the sink's name.
func (s *Syslog) Name() string { return s.name }

// maxUDPMessage keeps a datagram within what RFC 5426 says every receiver
// should accept.
const maxUDPMessage = 2048

// syslogSeverity maps an alert to an RFC 5424 severity: news of an end is
// a notice, whatever the incident's severity was.
func syslogSeverity(a Alert) int {
	switch a.Type {
	case TypeResolved, TypeRecovered:
		return 5
	}
	switch a.Severity {
	case finding.Critical:
		return 2
	case finding.High:
		return 3
	case finding.Medium:
		return 4
	case finding.Low:
		return 5
	}
	return 6
}

// printUSASCII keeps the PRINTUSASCII characters RFC 5424 allows in header
// fields, at most n of them, and "-" (the nil value) for none.
func printUSASCII(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 33 || r > 126 {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
	}
	if s == "" {
		return "-"
	}
	return s
}

// sdEscape escapes a structured-data parameter value (RFC 5424 6.3.3).
var sdEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

// SyslogMessage is the RFC 5424 message for a (without transport framing).
// The message text is English, on one line (termtext escapes the line
// breaks), after a BOM that marks it as UTF-8.
func (s *Syslog) SyslogMessage(a Alert) []byte {
	pri := s.facility*8 + syslogSeverity(a)
	t := a.Texts[English]
	msg := termtext.Escape(t.Title + "\n" + strings.TrimRight(t.Body, "\n"))
	line := fmt.Sprintf("<%d>1 %s %s skimwatch %d %s [skimwatch@32473 id=\"%s\" type=\"%s\" site=\"%s\" severity=\"%s\" items=\"%d\"] \ufeff%s",
		pri, a.At.UTC().Format(time.RFC3339Nano), s.hostname, os.Getpid(), printUSASCII(a.Type, 32),
		sdEscape.Replace(a.ID), sdEscape.Replace(a.Type), sdEscape.Replace(termtext.Escape(a.Site)), a.Severity, len(a.Items), msg)
	if s.network == "udp" && len(line) > maxUDPMessage {
		cut := maxUDPMessage
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut]
	}
	return []byte(line)
}

// Send sends the alert on a new connection, so that a restarted receiver
// costs no lost message on a stale TCP connection.
func (s *Syslog) Send(ctx context.Context, a Alert) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, s.network, s.addr)
	if err != nil {
		return fmt.Errorf("syslog %s %s: %w", s.network, s.addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	msg := s.SyslogMessage(a)
	if s.network == "tcp" {
		msg = append([]byte(strconv.Itoa(len(msg))+" "), msg...)
	}
	if _, err := conn.Write(msg); err != nil {
		return fmt.Errorf("syslog %s %s: %w", s.network, s.addr, err)
	}
	return nil
}
