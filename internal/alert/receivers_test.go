package alert_test

// Real receivers on loopback for the sink tests: an HTTP endpoint that
// verifies the webhook signature, a Slack-shaped endpoint, an SMTP server
// that offers STARTTLS with a test certificate, and syslog listeners on UDP
// and TCP. Each keeps what it received, in order.

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/skimwatch/skimwatch/internal/alert"
)

// inbox is what one receiver got, in arrival order.
type inbox[T any] struct {
	mu  sync.Mutex
	got []T
}

func (b *inbox[T]) add(v T) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, v)
}

func (b *inbox[T]) all() []T {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]T(nil), b.got...)
}

// webhookReceiver accepts only requests whose signature verifies, as a
// real receiver must; the others are counted and answered 401.
type webhookReceiver struct {
	URL      string
	alerts   inbox[alert.Alert]
	rejected inbox[string]
}

func newWebhookReceiver(t *testing.T, secret []byte) *webhookReceiver {
	r := &webhookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 1<<20))
		if err != nil {
			http.Error(w, "body", http.StatusBadRequest)
			return
		}
		if err := alert.Verify(secret, req.Header.Get(alert.HeaderTimestamp), req.Header.Get(alert.HeaderSignature), body,
			time.Now(), 5*time.Minute); err != nil {
			r.rejected.add(err.Error())
			http.Error(w, "signature", http.StatusUnauthorized)
			return
		}
		var a alert.Alert
		if err := json.Unmarshal(body, &a); err != nil {
			r.rejected.add("json: " + err.Error())
			http.Error(w, "json", http.StatusBadRequest)
			return
		}
		if a.ID != req.Header.Get(alert.HeaderAlertID) {
			r.rejected.add("alert ID header differs from body")
		}
		r.alerts.add(a)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// slackReceiver accepts what a Slack incoming webhook accepts: a JSON
// object with a text field.
type slackReceiver struct {
	URL   string
	texts inbox[string]
}

func newSlackReceiver(t *testing.T) *slackReceiver {
	r := &slackReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var msg struct {
			Text string `json:"text"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, 1<<20))
		dec.DisallowUnknownFields()
		if req.Header.Get("Content-Type") != "application/json" || dec.Decode(&msg) != nil || msg.Text == "" {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		r.texts.add(msg.Text)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// testCert returns a server certificate for 127.0.0.1 and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "skimwatch test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// received is one mail as the SMTP server got it.
type received struct {
	From, To  string
	TLS       bool
	Subject   string
	MessageID string
	Body      string
}

type smtpBackend struct{ box *inbox[received] }

func (b smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{box: b.box, conn: c}, nil
}

type smtpSession struct {
	box      *inbox[received]
	conn     *smtp.Conn
	from, to string
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	_, isTLS := s.conn.TLSConnectionState()
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	text, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	s.box.add(received{From: s.from, To: s.to, TLS: isTLS, Subject: subject, MessageID: m.Header.Get("Message-Id"), Body: string(text)})
	return nil
}

// newSMTPServer starts an SMTP server on loopback that offers STARTTLS
// with a test certificate, and returns its port and the client's pool.
func newSMTPServer(t *testing.T, box *inbox[received]) (int, *x509.CertPool) {
	cert, pool := testCert(t)
	srv := smtp.NewServer(smtpBackend{box: box})
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, pool
}

// newSyslogUDP listens for syslog datagrams on loopback.
func newSyslogUDP(t *testing.T, box *inbox[string]) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			box.add(string(buf[:n]))
		}
	}()
	return pc.LocalAddr().String()
}

// newSyslogTCP listens for octet-counted syslog messages on loopback and
// records each frame; a frame that does not parse is recorded as an error.
func newSyslogTCP(t *testing.T, box *inbox[string]) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					msg, err := readOctetCounted(r)
					if errors.Is(err, io.EOF) {
						return
					}
					if err != nil {
						box.add("FRAMING ERROR: " + err.Error())
						return
					}
					box.add(msg)
				}
			}()
		}
	}()
	return l.Addr().String()
}

// readOctetCounted reads one "MSG-LEN SP SYSLOG-MSG" frame (RFC 6587 3.4.1).
func readOctetCounted(r *bufio.Reader) (string, error) {
	lenText, err := r.ReadString(' ')
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(strings.TrimSuffix(lenText, " "))
	if err != nil || n <= 0 || n > 1<<20 {
		return "", fmt.Errorf("bad length %q", lenText)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", fmt.Errorf("short frame: %w", err)
	}
	return string(buf), nil
}
