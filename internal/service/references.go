package service

import (
	"errors"
	"fmt"
	"os"

	"github.com/skimwatch/skimwatch/internal/check/pagecheck"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/scan"
	"github.com/skimwatch/skimwatch/internal/webroot"
)

// CheckReferences reads what a valid config points at (flow files, fim
// baselines and their keys, secrets) as the jobs will, and returns every
// problem as a *config.Error with the line of the item, or nil. A config
// can be valid and still name a file that is not there; the jobs would then
// run incomplete every interval, so `config check` and serve's start say so
// first.
func CheckReferences(cfg config.Config) error {
	var errs []error
	add := func(line int, field, msg string) {
		errs = append(errs, &config.Error{Line: line, Field: field, Msg: msg})
	}
	for i, s := range cfg.Sites {
		at := fmt.Sprintf("sites[%d]", i)
		if s.CollectorKey != nil {
			if _, err := s.CollectorKey.Resolve(); err != nil {
				add(s.CollectorKey.Line, at+".collector_key", err.Error())
			}
		}
		for j, fl := range s.Flows {
			if err := parseFlow(fl.File); err != nil {
				add(fl.Line, fmt.Sprintf("%s.flows[%d].file", at, j), err.Error())
			}
		}
		for j, w := range s.WebRoots {
			f := fmt.Sprintf("%s.web_roots[%d]", at, j)
			if _, err := webroot.LoadBaseline(w.Baseline, w.Pub); err != nil {
				add(w.Line, f+".baseline", err.Error())
			}
			if fi, err := os.Stat(w.Path); err != nil || !fi.IsDir() {
				add(w.Line, f+".path", "not a readable directory")
			}
			if len(w.Rules) > 0 {
				// Compiled as the scan will, so that a rule that does not
				// compile is named (file, line) before any run needs it.
				if _, err := scan.New(scan.Options{Rules: w.Rules}); err != nil {
					add(w.Line, f+".rules", err.Error())
				}
			}
		}
	}
	for i, a := range cfg.Alerts {
		for _, ref := range []struct {
			field string
			s     *config.SecretRef
		}{
			{"webhook.secret", webhookSecret(a)}, {"slack.url", slackURL(a)}, {"mail.password", mailPassword(a)},
		} {
			if ref.s == nil {
				continue
			}
			if _, err := ref.s.Resolve(); err != nil {
				add(ref.s.Line, fmt.Sprintf("alerts[%d].%s", i, ref.field), err.Error())
			}
		}
	}
	return errors.Join(errs...)
}

func parseFlow(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = pagecheck.ParseFlow(f)
	return err
}

func webhookSecret(a config.Alert) *config.SecretRef {
	if a.Webhook == nil {
		return nil
	}
	return a.Webhook.Secret
}

func slackURL(a config.Alert) *config.SecretRef {
	if a.Slack == nil {
		return nil
	}
	return a.Slack.URL
}

func mailPassword(a config.Alert) *config.SecretRef {
	if a.Mail == nil {
		return nil
	}
	return a.Mail.Password
}
