package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/skimwatch/skimwatch/internal/alert"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/monitor"
	"github.com/skimwatch/skimwatch/internal/store"
)

// notifier hands every run the monitor finishes to the alert package, which
// decides (one alert per incident) and queues deliveries in the store.
type notifier struct{ n *alert.Notifier }

var _ monitor.Alerter = notifier{}

func (a notifier) Observe(ctx context.Context, r monitor.RunResult) error {
	return a.n.Observe(ctx, alert.Run{
		Site: r.Site, Target: r.Target, Detector: r.Detector, At: r.At,
		Complete: r.Complete, Incomplete: r.Incomplete, Findings: r.Findings, Keys: r.Keys,
	})
}

// sinks builds the alert sinks the config names, resolving their secrets.
// A sink's name is its kind and a hash of where it sends, not its place in
// the list: a queued delivery is sent through the sink of its name, so a
// reload that reorders or removes sinks must not hand it to another.
func sinks(cfg *config.Config) ([]alert.Sink, error) {
	var out []alert.Sink
	for i, a := range cfg.Alerts {
		name := fmt.Sprintf("alerts[%d]", i)
		var (
			s   alert.Sink
			err error
		)
		switch {
		case a.Webhook != nil:
			var secret []byte
			if a.Webhook.Secret != nil {
				v, rerr := a.Webhook.Secret.Resolve()
				if rerr != nil {
					return nil, fmt.Errorf("%s webhook secret: %w", name, rerr)
				}
				secret = []byte(v)
			}
			s, err = alert.NewWebhook(sinkName("webhook", a.Webhook.URL), a.Webhook.URL, secret, nil)
		case a.Slack != nil:
			url, rerr := a.Slack.URL.Resolve()
			if rerr != nil {
				return nil, fmt.Errorf("%s slack url: %w", name, rerr)
			}
			s, err = alert.NewSlack(sinkName("slack", url), url, nil)
		case a.Mail != nil:
			password := ""
			if a.Mail.Password != nil {
				if password, err = a.Mail.Password.Resolve(); err != nil {
					return nil, fmt.Errorf("%s mail password: %w", name, err)
				}
			}
			s, err = alert.NewMail(sinkName("mail", a.Mail.Host, strconv.Itoa(a.Mail.Port), a.Mail.From, strings.Join(a.Mail.To, ",")), alert.MailOptions{
				Host: a.Mail.Host, Port: a.Mail.Port, Username: a.Mail.Username, Password: password,
				From: a.Mail.From, To: a.Mail.To,
			})
		case a.Syslog != nil:
			s, err = alert.NewSyslog(sinkName("syslog", a.Syslog.Network, a.Syslog.Address), alert.SyslogOptions{Network: a.Syslog.Network, Addr: a.Syslog.Address})
		default:
			return nil, fmt.Errorf("%s: no sink set", name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// sinkName names a sink by its kind and a hash of its destination (a
// Slack URL is itself a secret, so none is written out).
func sinkName(kind string, destination ...string) string {
	h := sha256.New()
	for _, d := range destination {
		fmt.Fprintf(h, "%d:%s;", len(d), d)
	}
	return kind + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// alertRules sets the timings the config's alerting section gives over
// rules. The config's 0 turns a timing off, which alert.Options spells as a
// negative duration (its 0 is "the default").
func alertRules(c config.Alerting, rules alert.Options) alert.Options {
	off := func(d config.Duration) time.Duration {
		if d == 0 {
			return -1
		}
		return d.D()
	}
	if c.Window != nil {
		rules.Window = off(*c.Window)
	}
	if c.Resend != nil {
		rules.Resend = off(*c.Resend)
	}
	if c.SilenceAfter != nil {
		rules.SilenceAfter = *c.SilenceAfter
	}
	return rules
}

// startAlerts builds the notifier of a process that runs jobs, and starts
// its delivery loop until ctx ends; the returned stop waits for the loop,
// and reload applies a reloaded config's sinks and alerting timings (see
// alert.Notifier.Reconfigure; on error the running ones are kept).
// Every process that runs jobs must name the same sinks (the same config),
// because deliveries are queued per sink name and any such process may
// send them. A process with no config gets no notifier: it warns, and its
// runs alert nobody.
func startAlerts(ctx context.Context, st store.Store, cfg *config.Config, rules alert.Options, log *slog.Logger) (a monitor.Alerter, stop func(), reload func(config.Config) error, err error) {
	if cfg == nil {
		log.Warn("no config: the runs of this process raise no alerts (give it the config that names the alert sinks)")
		return nil, func() {}, func(config.Config) error { return nil }, nil
	}
	ss, err := sinks(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	base := rules
	rules = alertRules(cfg.Alerting, base)
	rules.Store, rules.Sinks, rules.Logger = st, ss, log
	n, err := alert.New(rules)
	if err != nil {
		return nil, nil, nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(lctx); err != nil && lctx.Err() == nil {
			log.Error("alert delivery stopped", "err", err)
		}
	}()
	reload = func(c config.Config) error {
		ss, err := sinks(&c)
		if err != nil {
			return err
		}
		o := alertRules(c.Alerting, base)
		o.Sinks = ss
		return n.Reconfigure(o)
	}
	return notifier{n}, func() { cancel(); <-done }, reload, nil
}
