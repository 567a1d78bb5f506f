// Package server runs the service's HTTP server from start to a graceful stop.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"hello-microservice/internal/config"
	"hello-microservice/routes"
)

// Server timeouts. The platform's probes time out after one second by default, and
// Kubernetes waits 30 seconds after SIGTERM before it kills the container.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 120 * time.Second
	shutdownGrace     = 20 * time.Second
)

// Options configures Run.
type Options struct {
	Config  config.Config
	Version string
	Logger  *slog.Logger
}

// Run serves HTTP on all interfaces at the configured port until ctx is done, then stops
// accepting and lets requests in flight finish within the grace period.
func Run(ctx context.Context, opts Options) error {
	addr := net.JoinHostPort(opts.Config.Address, strconv.Itoa(opts.Config.Port))
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		opts.Logger.Error("binding the port failed", "address", addr, "error", err)
		return fmt.Errorf("listening on %s: %w", addr, err)
	}

	srv := &http.Server{
		Handler:           routes.New(routes.Options{Config: opts.Config, Version: opts.Version}),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
	}
	opts.Logger.Info("service started", "version", opts.Version, "address", listener.Addr().String(),
		"isolation", opts.Config.Isolation, "platformUrl", config.RedactURL(opts.Config.BaseURL))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", addr, err)
	case <-ctx.Done():
	}

	// Stop accepting and wait for the requests in flight, within the grace period.
	opts.Logger.Info("service stopping", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", addr, err)
	}
	opts.Logger.Info("service stopped")
	return nil
}
