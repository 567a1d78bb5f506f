// Command hello-microservice is a Cumulocity IoT microservice: it serves / and /health
// and shows the platform's environment at /environment.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // the zone database for TZ, since the distroless base image has none

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/config"
	"hello-microservice/internal/logging"
	"hello-microservice/internal/server"
	"hello-microservice/internal/tenants"
)

// version is set at build time from the version in cumulocity.json.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)

	// Log lines go through a buffer that is flushed every 100 ms and at exit; warnings and
	// errors are written at once.
	sink := logging.NewWriter(os.Stdout)
	logger := logging.NewLogger(sink)
	flushCtx, stopFlushing := context.WithCancel(context.Background())
	flushed := make(chan struct{})
	go func() {
		sink.Run(flushCtx)
		close(flushed)
	}()

	// After the first signal, a second one ends the process at once, as it would without
	// the handler: Ctrl-C twice skips the grace period in a local run.
	go func() {
		<-ctx.Done()
		stop()
	}()

	err := run(ctx, os.LookupEnv, logger)
	stop()
	if err != nil {
		logger.Error("service failed", "version", version, "error", err)
	}

	stopFlushing()
	<-flushed
	if err != nil {
		os.Exit(1)
	}
}

// run applies the configuration read through lookup to the process and serves until ctx
// is done.
func run(ctx context.Context, lookup func(string) (string, bool), logger *slog.Logger) error {
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}

	applyTimeZone(cfg, logger)
	applyMemoryLimit(cfg, logger)

	if missing := cfg.MissingPlatform(); len(missing) > 0 {
		logger.Info("platform variables not set, so routes that need the platform respond with 503", "missing", missing)
	}

	registry, err := newTenantRegistry(cfg, logger)
	if err != nil {
		return err
	}
	if registry != nil {
		go registry.Run(ctx)
	}

	return server.Run(ctx, server.Options{Config: cfg, Version: version, Logger: logger, Tenants: registry})
}

// newTenantRegistry returns the registry of subscribed tenants' service users, or nil in a
// local run without the platform variables.
func newTenantRegistry(cfg config.Config, logger *slog.Logger) (*tenants.Registry, error) {
	if len(cfg.MissingPlatform()) > 0 {
		return nil, nil
	}

	// The platform passes credentials in the bootstrap variables, never in the URL: user
	// information in C8Y_BASEURL is dropped rather than sent.
	baseURL, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing C8Y_BASEURL %q: %w", config.RedactURL(cfg.BaseURL), err)
	}
	if baseURL.User != nil {
		logger.Warn("ignoring the credentials inside C8Y_BASEURL", "platformUrl", config.RedactURL(cfg.BaseURL))
		baseURL.User = nil
	}

	client, err := c8y.New(baseURL.String(),
		c8y.WithTransport(cfg.Transport()),
		c8y.WithApplicationKey(cfg.AppKey),
		c8y.WithUserAgent("hello-microservice/"+version),
		c8y.WithTimeout(5*time.Second),
		c8y.WithLogger(logger),
	)
	if err != nil {
		return nil, err
	}
	return tenants.New(client, tenants.Config{
		Isolation: cfg.Isolation,
		Bootstrap: c8y.Credentials{Tenant: cfg.BootstrapTenant, User: cfg.BootstrapUser, Password: cfg.BootstrapPassword},
		Service:   c8y.Credentials{Tenant: cfg.Tenant, User: cfg.User, Password: cfg.Password},
		Logger:    logger,
	})
}

// applyTimeZone sets time.Local to TZ, the tenant's time zone, which the platform expects
// the service to apply itself. Without TZ, time.Local stays as the Go runtime set it.
func applyTimeZone(cfg config.Config, logger *slog.Logger) {
	if cfg.Location == nil {
		return
	}

	time.Local = cfg.Location
	logger.Info("time zone set", "timeZone", cfg.TimeZone)
}

// applyMemoryLimit sets the Go runtime's soft memory limit below the container's
// MEMORY_LIMIT, so the garbage collector works harder before the kernel kills the
// container. A lower limit set through GOMEMLIMIT is kept.
func applyMemoryLimit(cfg config.Config, logger *slog.Logger) {
	if cfg.MemoryLimitBytes == 0 {
		return
	}

	limit := config.SoftMemoryLimit(cfg.MemoryLimitBytes)
	if current := debug.SetMemoryLimit(-1); current < limit {
		logger.Info("memory limit kept from GOMEMLIMIT", "memoryLimit", cfg.MemoryLimit, "goMemoryLimitBytes", current)
		return
	}

	debug.SetMemoryLimit(limit)
	logger.Info("memory limit set", "memoryLimit", cfg.MemoryLimit, "goMemoryLimitBytes", limit)
}
