package cli

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/skimwatch/skimwatch/internal/collector"
	"github.com/skimwatch/skimwatch/internal/config"
	"github.com/skimwatch/skimwatch/internal/csp"
	"github.com/skimwatch/skimwatch/internal/finding"
	"github.com/skimwatch/skimwatch/internal/store"
)

func init() { register(newCollectCmd) }

func newCollectCmd(app *App) *cobra.Command {
	var (
		listen     string
		metricsAt  string
		sites      []string
		flush      time.Duration
		minClients int
		maxBody    int64
		journal    string
		clientKey  string
		trusted    []string
		origins    []string
		retain     string
		siteRate   float64
		clientRate float64
		dsn        *string
	)
	cmd := &cobra.Command{
		Use:   "collect --site NAME=KEY [--site ...]",
		Short: "Receive CSP violation reports from customers' browsers",
		Long: "collect serves POST /r/{site-key} for report-uri and Reporting API reports,\n" +
			"aggregates them, writes the aggregates to the store every --flush-interval and\n" +
			"raises a finding when browsers report a script or destination the site's\n" +
			"approved inventory lacks. GET /metrics serves Prometheus metrics on a listener\n" +
			"of its own (--metrics-listen, loopback by default), never on the report listener.\n\n" +
			"KEY may be @FILE to read the key from a file. Generate keys with\n" +
			"`skimwatch collect keygen`. It listens on loopback unless --listen says\n" +
			"otherwise; put a TLS reverse proxy in front of it (browsers send the\n" +
			"Reporting API only to https endpoints). See docs/COLLECTOR.md.\n\n" +
			"If the store is down at shutdown, what it did not take goes to --journal and\n" +
			"is written at the next start.\n\n" +
			"Exit codes: 0 after a clean shutdown with every accepted report stored,\n" +
			"2 when reports went to the journal or could not be stored, or on a usage error.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			parsed, err := parseSites(sites)
			if err != nil {
				return usageErr("%w", err)
			}
			if parsed, err = addSiteOrigins(parsed, origins); err != nil {
				return usageErr("%w", err)
			}
			keep, err := config.ParseDuration(retain)
			if err != nil || keep <= 0 {
				return usageErr("--retain %q: want a positive duration such as 90d or 720h", retain)
			}
			if siteRate <= 0 || clientRate <= 0 {
				return usageErr("--site-rate and --client-rate must be above 0")
			}
			var proxies []netip.Prefix
			for _, tp := range trusted {
				p, err := netip.ParsePrefix(tp)
				if err != nil {
					a, aerr := netip.ParseAddr(tp)
					if aerr != nil {
						return usageErr("--trusted-proxy %q: want an address or CIDR prefix", tp)
					}
					p = netip.PrefixFrom(a, a.BitLen())
				}
				proxies = append(proxies, p.Masked())
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return usageErr("--listen: %w", err)
			}
			defer ln.Close()
			var mln net.Listener
			if metricsAt != "" {
				if mln, err = net.Listen("tcp", metricsAt); err != nil {
					return usageErr("--metrics-listen: %w", err)
				}
				defer mln.Close()
				if tcp, ok := mln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
					fmt.Fprintf(app.Stderr, "skimwatch collect: warning: serving /metrics beyond loopback on %s\n", mln.Addr())
				}
			}
			st, err := openStore(ctx, app, *dsn)
			if err != nil {
				return err
			}
			// The store closes last, after Serve has made its final flush.
			defer st.Close()
			for _, s := range parsed {
				if err := st.UpsertSite(ctx, s.Name, store.HashKey(s.Key)); err != nil {
					return &finding.ExitError{Code: finding.ExitIncomplete, Err: fmt.Errorf("register site %q: %w", s.Name, err)}
				}
			}
			var ck []byte
			if clientKey != "" {
				b, err := os.ReadFile(clientKey)
				if err != nil {
					return usageErr("--client-key-file: %w", err)
				}
				if ck = []byte(strings.TrimSpace(string(b))); len(ck) < 16 {
					return usageErr("--client-key-file: the key is %d bytes, want at least 16", len(ck))
				}
			}
			c, err := collector.New(st, collector.Options{
				ClientKey: ck,
				Sites:     parsed, FlushInterval: flush, MinClients: minClients, MaxBody: maxBody, Journal: journal, Logger: app.Logger,
				TrustedProxies: proxies, Retain: keep,
				// Bursts of two seconds' worth: a page load sends its reports at once.
				SiteRate: rate.Limit(siteRate), SiteBurst: max(1, int(2*siteRate)),
				ClientRate: rate.Limit(clientRate), ClientBurst: max(1, int(2*clientRate)),
			})
			if err != nil {
				return usageErr("%w", err)
			}
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
				fmt.Fprintf(app.Stderr, "skimwatch collect: warning: listening beyond loopback on %s; serve it through TLS\n", ln.Addr())
			}
			fmt.Fprintf(app.Stderr, "skimwatch collect: listening on http://%s/r/{site-key} for %d site(s)\n", ln.Addr(), len(parsed))
			if mln != nil {
				fmt.Fprintf(app.Stderr, "skimwatch collect: metrics on http://%s/metrics\n", mln.Addr())
			}
			err = c.Serve(ctx, ln, mln, collector.ServerTimeouts{})
			s := c.Stats()
			b, _ := json.Marshal(s)
			fmt.Fprintf(app.Stderr, "skimwatch collect: stopped: %s\n", b)
			if err != nil {
				return &finding.ExitError{Code: finding.ExitIncomplete, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8787", "address to listen on for reports")
	cmd.Flags().StringVar(&metricsAt, "metrics-listen", "127.0.0.1:9464", "address to serve GET /metrics on (empty: no metrics)")
	cmd.Flags().StringArrayVar(&trusted, "trusted-proxy", nil, "address or CIDR of a reverse proxy whose X-Forwarded-For names the client; repeatable")
	cmd.Flags().StringArrayVar(&origins, "site-origin", nil,
		"NAME=ORIGIN: one of a site's own origins (https://shop.example); reports from other documents are kept as\n"+
			"evidence of forgery and approve nothing. Repeatable; origins approved with `skimwatch csp origins approve` add to them")
	cmd.Flags().StringVar(&retain, "retain", "90d",
		"how long report aggregates and their samples are kept after last seen (findings and the event log are kept)")
	cmd.Flags().Float64Var(&siteRate, "site-rate", 1000, "requests a second each site accepts (burst: twice that), plus a tenth for clients never seen before")
	cmd.Flags().Float64Var(&clientRate, "client-rate", 20, "requests a second each client network (IPv4 /24, IPv6 /56) may send (burst: twice that)")
	cmd.Flags().StringArrayVar(&sites, "site", nil, "NAME=KEY (or NAME=@FILE) of a site whose reports to accept; repeatable")
	cmd.Flags().DurationVar(&flush, "flush-interval", 5*time.Second, "how often aggregates are written (and the most a crash loses)")
	cmd.Flags().IntVar(&minClients, "min-clients", 2, "distinct clients before a finding is high rather than single-source medium")
	cmd.Flags().Int64Var(&maxBody, "max-body", 64<<10, "largest request body accepted, in bytes")
	cmd.Flags().StringVar(&clientKey, "client-key-file", "",
		"file with the secret that keys client hashes; share it between restarts and collectors\n"+
			"so that one browser counts once (default: random per process)")
	cmd.Flags().StringVar(&journal, "journal", defaultJournal(),
		"file that keeps aggregates the store refused at shutdown, replayed at the next start (empty: none)")
	dsn = storeFlag(cmd)
	cmd.AddCommand(newCollectKeygenCmd(app))
	return cmd
}

func defaultJournal() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "skimwatch", "collector.journal")
}

func parseSites(flags []string) ([]collector.Site, error) {
	if len(flags) == 0 {
		return nil, fmt.Errorf("at least one --site NAME=KEY is required")
	}
	var out []collector.Site
	for _, f := range flags {
		name, key, ok := strings.Cut(f, "=")
		if !ok || name == "" || key == "" {
			return nil, fmt.Errorf("--site %q: want NAME=KEY or NAME=@FILE", f)
		}
		if path, ok := strings.CutPrefix(key, "@"); ok {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("--site %s: %w", name, err)
			}
			key = strings.TrimSpace(string(b))
		}
		out = append(out, collector.Site{Name: name, Key: key})
	}
	return out, nil
}

// addSiteOrigins attaches each --site-origin NAME=ORIGIN to its site.
func addSiteOrigins(sites []collector.Site, flags []string) ([]collector.Site, error) {
	for _, f := range flags {
		name, origin, ok := strings.Cut(f, "=")
		i := slices.IndexFunc(sites, func(s collector.Site) bool { return s.Name == name })
		if !ok || i < 0 {
			return nil, fmt.Errorf("--site-origin %q: want NAME=ORIGIN for a site given with --site", f)
		}
		o, err := csp.ParseSiteOrigin(origin)
		if err != nil {
			return nil, fmt.Errorf("--site-origin %s: %w", name, err)
		}
		sites[i].Origins = append(sites[i].Origins, o)
	}
	return sites, nil
}

func newCollectKeygenCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Print a new random site key (160 bits, base32)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := make([]byte, 20)
			if _, err := rand.Read(b); err != nil {
				return err
			}
			fmt.Fprintln(app.Stdout, strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)))
			return nil
		},
	}
}
