package collector

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ServerTimeouts bound how long a client may hold a connection. Reports are
// small: a client that needs seconds to send headers is a slowloris.
type ServerTimeouts struct {
	ReadHeader     time.Duration // 5s
	Read           time.Duration // 10s
	Write          time.Duration // 10s
	Idle           time.Duration // 60s
	MaxHeaderBytes int           // 16 KiB
}

func (t ServerTimeouts) withDefaults() ServerTimeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 5 * time.Second
	}
	if t.Read <= 0 {
		t.Read = 10 * time.Second
	}
	if t.Write <= 0 {
		t.Write = 10 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 60 * time.Second
	}
	if t.MaxHeaderBytes <= 0 {
		t.MaxHeaderBytes = 16 << 10
	}
	return t
}

// NewServer returns an http.Server for h with the timeouts set.
func NewServer(h http.Handler, t ServerTimeouts) *http.Server {
	t = t.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
	}
}

// Serve runs the collector's report endpoint on ln and, when metrics is
// not nil, GET /metrics on metrics (a separate listener, so that it can stay
// on loopback while reports come from the internet), until ctx is
// cancelled. Then it shuts down in this order: the HTTP servers stop
// accepting and wait for in-flight handlers (which may still enqueue); then
// the aggregator closes intake, drains the queue and makes its final flush
// (Run). The store must stay open until Serve returns; closing it is the
// caller's last step.
func (c *Collector) Serve(ctx context.Context, ln, metrics net.Listener, t ServerTimeouts) error {
	srv := NewServer(c.Handler(), t)
	servers := []*http.Server{srv}
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(runCtx) }()

	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	if metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", c.MetricsHandler())
		msrv := NewServer(mux, t)
		servers = append(servers, msrv)
		go func() { serveErr <- msrv.Serve(metrics) }()
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	shCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.ShutdownTimeout)
	defer cancel()
	for _, s := range servers {
		if e := s.Shutdown(shCtx); e != nil {
			c.log.Warn("HTTP shutdown did not finish; open requests will get 503", "error", e)
			s.Close()
		}
	}
	stopRun()
	return errors.Join(err, <-runErr)
}
