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
	"syscall"
	"time"

	"hello-microservice/internal/config"
	"hello-microservice/internal/tenants"
	"hello-microservice/routes"
)

// Server timeouts. Kubernetes sends SIGTERM and kills the container 30 seconds later
// (the default terminationGracePeriodSeconds). The server then stops accepting and gives
// the requests in flight DefaultShutdownGrace to finish, which leaves 10 seconds for the
// process to exit. A response must be written within writeTimeout of the end of the
// request headers, so a request that started just before SIGTERM fits in the grace
// period.
//
// NOTE: writeTimeout only makes late writes fail. It does not stop a handler, and
// Shutdown waits for a handler that runs on: handlers that call other services must
// bound their calls with a context deadline shorter than writeTimeout.
//
// The platform's probes time out after one second by default. /health depends on
// nothing, so it responds well within that and no timeout here needs to be shorter.
const (
	// readHeaderTimeout bounds slow clients that never finish their headers. The gateway
	// sends them at once.
	readHeaderTimeout = 5 * time.Second

	// readTimeout bounds the headers and the body together. A body is at most 1 MiB.
	readTimeout = 15 * time.Second

	// writeTimeout bounds the time from the end of the request headers to the end of
	// the response.
	writeTimeout = 15 * time.Second

	// idleTimeout closes keep-alive connections that the gateway no longer uses. It is
	// long so that the gateway, not the service, closes them first, which avoids a request
	// racing a closing connection.
	idleTimeout = 120 * time.Second

	// DefaultShutdownGrace is how long requests in flight may take after SIGTERM.
	DefaultShutdownGrace = 20 * time.Second
)

// Options configures Run and Serve.
type Options struct {
	Config  config.Config
	Version string
	Logger  *slog.Logger

	// Tenants serves the platform features; nil when the platform variables are missing.
	Tenants *tenants.Registry

	// ShutdownGrace is how long requests in flight may take after ctx is done.
	// Zero means DefaultShutdownGrace.
	ShutdownGrace time.Duration
}

// Run listens on the configured address and port, then serves until ctx is done; see Serve.
func Run(ctx context.Context, opts Options) error {
	listener, err := Listen(ctx, opts.Config)
	if err != nil {
		return err
	}
	return Serve(ctx, listener, opts)
}

// Listen binds the TCP port of cfg, on all interfaces unless cfg.Address is set. For the
// usual causes of failure, its error gives the configuration fix.
func Listen(ctx context.Context, cfg config.Config) (net.Listener, error) {
	address := net.JoinHostPort(cfg.Address, strconv.Itoa(cfg.Port))

	var listenConfig net.ListenConfig
	listener, err := listenConfig.Listen(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("listening on %s failed, so the service cannot start: %s: %w", address, listenAdvice(err), err)
	}
	return listener, nil
}

// listenAdvice returns the cause and the fix of a failure to listen.
func listenAdvice(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "the port is in use: stop the process that uses it, or set SERVER_PORT to a free port (PORT=... with go tool task run or dev)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "the address is not one of this machine's: set SERVER_ADDRESS to an address of one of its interfaces, such as 127.0.0.1, or unset it to listen on all interfaces"
	case errors.Is(err, syscall.EACCES):
		return "ports below 1024 need root or the NET_BIND_SERVICE capability: set SERVER_PORT to 1024 or above for a local run (PORT=... with go tool task run or dev)"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "the host name in SERVER_ADDRESS does not resolve: set an IP address of this machine, such as 127.0.0.1, or unset it to listen on all interfaces"
	}
	return "check SERVER_ADDRESS and SERVER_PORT"
}

// Serve serves HTTP on listener until ctx is done. It then stops accepting, lets the
// requests in flight finish within the grace period and returns nil. It returns an
// error when serving fails or when requests were still running at the end of the grace
// period, which it then cuts off. Serve closes listener.
func Serve(ctx context.Context, listener net.Listener, opts Options) error {
	handler, err := routes.New(routes.Options{Config: opts.Config, Version: opts.Version, Logger: opts.Logger, Tenants: opts.Tenants})
	if err != nil {
		listener.Close()
		return fmt.Errorf("building the router: %w", err)
	}
	srv := newServer(handler, opts.Logger)

	opts.Logger.Info("service started",
		"version", opts.Version,
		"address", listener.Addr().String(),
		"isolation", opts.Config.Isolation,
		"platformUrl", config.RedactURL(opts.Config.BaseURL),
		"timeZone", opts.Config.TimeZone,
		"verifyCallers", opts.Config.VerifyCallers,
	)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", listener.Addr(), err)
	case <-ctx.Done():
	}

	grace := opts.ShutdownGrace
	if grace == 0 {
		grace = DefaultShutdownGrace
	}
	opts.Logger.Info("service stopping", "reason", context.Cause(ctx).Error(), "grace", grace.String())

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		closeErr := srv.Close()
		return errors.Join(fmt.Errorf("stopping the server: requests still running after the grace period of %s were cut off: %w", grace, err), closeErr)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", listener.Addr(), err)
	}

	opts.Logger.Info("service stopped")
	return nil
}

// newServer returns an HTTP server with the timeouts above. Errors of the server itself,
// such as a malformed request line, go to logger as warnings.
func newServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
