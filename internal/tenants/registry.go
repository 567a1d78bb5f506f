// Package tenants keeps the service users of the tenants subscribed to the microservice
// and identifies the tenant of each request, so that a request is served with its own
// tenant's credentials and never with another's.
//
// With MULTI_TENANT isolation the service users come from the platform, which lists them
// for the bootstrap user at GET /application/currentApplication/subscriptions. The list is
// loaded at start and every RefreshInterval. It is loaded at once when a request comes
// from a tenant not yet known or the platform rejects a service user. With PER_TENANT
// isolation the one service user comes from C8Y_TENANT, C8Y_USER and C8Y_PASSWORD.
package tenants

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/config"
)

// Errors of Lookup, Client and Call; test for them with errors.Is.
var (
	// ErrNotSubscribed means the tenant has no subscription to the microservice.
	ErrNotSubscribed = errors.New("tenant is not subscribed to the microservice")

	// ErrUnavailable means the list of subscribed tenants has never been loaded, so
	// whether a tenant is subscribed is unknown.
	ErrUnavailable = errors.New("the subscribed tenants could not be loaded from the platform")
)

// Defaults of Config.
const (
	DefaultRefreshInterval    = 60 * time.Second
	DefaultMinRefreshInterval = 5 * time.Second
	DefaultRefreshTimeout     = 30 * time.Second
)

// Config configures a Registry. Zero durations get the defaults above.
type Config struct {
	// Isolation is config.MultiTenant (the default when empty) or config.PerTenant.
	Isolation string

	// Bootstrap is the bootstrap user (C8Y_BOOTSTRAP_TENANT, _USER, _PASSWORD), required
	// with MULTI_TENANT isolation.
	Bootstrap c8y.Credentials

	// Service is the tenant's service user (C8Y_TENANT, C8Y_USER, C8Y_PASSWORD), required
	// with PER_TENANT isolation.
	Service c8y.Credentials

	// RefreshInterval is the time between two loads of the subscribed tenants.
	RefreshInterval time.Duration

	// MinRefreshInterval is the least time between two loads that requests trigger: for
	// an unknown tenant, or after a service user was rejected. Periodic loads do not count.
	MinRefreshInterval time.Duration

	// RefreshTimeout bounds one load, retries included.
	RefreshTimeout time.Duration

	// Logger receives subscription changes and load failures; nil discards them.
	Logger *slog.Logger
}

// Registry holds the service user of each subscribed tenant. It is safe for concurrent use.
type Registry struct {
	client    *c8y.Client // without credentials
	bootstrap *c8y.Client // nil with PER_TENANT isolation
	cfg       Config
	logger    *slog.Logger

	mu            sync.Mutex
	users         map[string]c8y.Credentials // service users by tenant
	loaded        bool                       // users came from the platform at least once
	lastRequested time.Time                  // start of the last load that a request triggered
	inflight      *loading                   // the load in progress, shared by its waiters
}

// loading is one load of the subscribed tenants; done is closed when err is set.
type loading struct {
	done chan struct{}
	err  error
}

// errRateLimited is returned by refresh when a load that a request triggers would come
// sooner than MinRefreshInterval after the previous one.
var errRateLimited = errors.New("the subscribed tenants were loaded moments ago")

// New returns a registry that sends platform requests with client, which must carry no
// credentials. With PER_TENANT isolation the registry is complete at once; with
// MULTI_TENANT isolation it is empty until Run or a lookup loads the subscribed tenants.
func New(client *c8y.Client, cfg Config) (*Registry, error) {
	if client == nil {
		return nil, errors.New("creating the tenant registry: client is nil")
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.MinRefreshInterval <= 0 {
		cfg.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if cfg.RefreshTimeout <= 0 {
		cfg.RefreshTimeout = DefaultRefreshTimeout
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Registry{client: client, cfg: cfg, logger: logger, users: make(map[string]c8y.Credentials)}

	switch cfg.Isolation {
	case config.PerTenant:
		if !complete(cfg.Service) {
			return nil, errors.New("creating the tenant registry: PER_TENANT isolation needs C8Y_TENANT, C8Y_USER and C8Y_PASSWORD")
		}
		r.users[cfg.Service.Tenant] = cfg.Service
		r.loaded = true
	case config.MultiTenant, "":
		if !complete(cfg.Bootstrap) {
			return nil, errors.New("creating the tenant registry: MULTI_TENANT isolation needs C8Y_BOOTSTRAP_TENANT, C8Y_BOOTSTRAP_USER and C8Y_BOOTSTRAP_PASSWORD")
		}
		r.bootstrap = client.WithAuth(cfg.Bootstrap)
	default:
		return nil, fmt.Errorf("creating the tenant registry: isolation %q is neither %s nor %s", cfg.Isolation, config.MultiTenant, config.PerTenant)
	}
	return r, nil
}

func complete(c c8y.Credentials) bool {
	return c.Tenant != "" && c.User != "" && c.Password != ""
}

// Run loads the subscribed tenants now and every RefreshInterval until ctx is done. A
// failed load is logged and tried again after a backoff of one second, doubling up to
// RefreshInterval. With PER_TENANT isolation it returns at once, as there is nothing to load.
func (r *Registry) Run(ctx context.Context) {
	if r.bootstrap == nil {
		return
	}

	failures := 0
	for {
		wait := r.cfg.RefreshInterval
		if err := r.refresh(ctx, "periodic", ""); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait = min(time.Second<<min(failures-1, 10), r.cfg.RefreshInterval)
			r.logger.WarnContext(ctx, "loading the subscribed tenants failed", "error", err.Error(),
				"failures", failures, "retryIn", wait.String())
		} else {
			failures = 0
		}

		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
	}
}

// Lookup returns the service user of the tenant. A tenant not yet known triggers a load
// of the subscribed tenants, unless one started less than MinRefreshInterval ago. It
// returns an error that wraps ErrNotSubscribed when the tenant has no subscription, or
// ErrUnavailable when the subscribed tenants have never been loaded.
func (r *Registry) Lookup(ctx context.Context, tenant string) (c8y.Credentials, error) {
	if user, ok := r.user(tenant); ok {
		return user, nil
	}
	if r.bootstrap == nil {
		return c8y.Credentials{}, fmt.Errorf("tenant %s: %w", tenant, ErrNotSubscribed)
	}

	refreshErr := r.refresh(ctx, "unknown tenant", tenant)
	if user, ok := r.user(tenant); ok {
		return user, nil
	}
	if !r.isLoaded() {
		return c8y.Credentials{}, fmt.Errorf("tenant %s: %w: %w", tenant, ErrUnavailable, refreshErr)
	}
	return c8y.Credentials{}, fmt.Errorf("tenant %s: %w", tenant, ErrNotSubscribed)
}

// Client returns a client that authenticates as the tenant's service user; see Lookup for
// the errors.
func (r *Registry) Client(ctx context.Context, tenant string) (*c8y.Client, error) {
	user, err := r.Lookup(ctx, tenant)
	if err != nil {
		return nil, err
	}
	return r.client.WithAuth(user), nil
}

// CallerClient returns a client that authenticates with auth rather than with a service
// user, for calls made as the caller of the service, such as checking its credentials.
func (r *Registry) CallerClient(auth c8y.Auth) *c8y.Client {
	return r.client.WithAuth(auth)
}

// Call runs fn with a client that authenticates as the tenant's service user. When the
// platform rejects the service user with 401, as after the tenant subscribed again with a
// new password, Call loads the subscribed tenants and runs fn once more if the credentials
// changed. It returns an error that wraps ErrNotSubscribed when the tenant has left, and
// otherwise fn's error. fn must be safe to run twice.
func (r *Registry) Call(ctx context.Context, tenant string, fn func(ctx context.Context, client *c8y.Client) error) error {
	user, err := r.Lookup(ctx, tenant)
	if err != nil {
		return err
	}

	err = fn(ctx, r.client.WithAuth(user))
	if !c8y.IsUnauthorized(err) || r.bootstrap == nil {
		return err
	}

	r.logger.WarnContext(ctx, "the platform rejected a service user", "tenant", tenant, "error", err.Error())
	if refreshErr := r.refresh(ctx, "service user rejected", tenant); refreshErr != nil && !errors.Is(refreshErr, errRateLimited) {
		return fmt.Errorf("%w (loading the subscribed tenants again failed: %w)", err, refreshErr)
	}
	fresh, ok := r.user(tenant)
	if !ok {
		return fmt.Errorf("tenant %s: %w", tenant, ErrNotSubscribed)
	}
	if fresh == user {
		return err
	}
	return fn(ctx, r.client.WithAuth(fresh))
}

func (r *Registry) user(tenant string) (c8y.Credentials, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	user, ok := r.users[tenant]
	return user, ok
}

func (r *Registry) isLoaded() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loaded
}

// refresh loads the subscribed tenants, or waits for the load in progress, which one
// caller starts and all share. A load that a request triggers (every reason but
// "periodic") is skipped with errRateLimited within MinRefreshInterval of the previous
// one. The load runs on its own context, so a caller that gives up stops only its wait.
func (r *Registry) refresh(ctx context.Context, reason, tenant string) error {
	r.mu.Lock()
	call := r.inflight
	if call == nil {
		requested := reason != "periodic"
		if requested && time.Since(r.lastRequested) < r.cfg.MinRefreshInterval {
			r.mu.Unlock()
			return errRateLimited
		}
		if requested {
			r.lastRequested = time.Now()
		}
		call = &loading{done: make(chan struct{})}
		r.inflight = call
		r.logger.DebugContext(ctx, "loading the subscribed tenants", "reason", reason, "tenant", tenant)
		go r.load(context.WithoutCancel(ctx), call)
	}
	r.mu.Unlock()

	select {
	case <-call.done:
		return call.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// load fetches the service users with the bootstrap user, replaces the registry's users
// and logs the tenants that joined or left and the credentials that changed.
func (r *Registry) load(ctx context.Context, call *loading) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.RefreshTimeout)
	defer cancel()
	list, err := r.bootstrap.Subscriptions(ctx)

	r.mu.Lock()
	var previous map[string]c8y.Credentials
	if err == nil {
		previous = r.users
		r.users = make(map[string]c8y.Credentials, len(list))
		for _, user := range list {
			r.users[user.Tenant] = user
		}
		r.loaded = true
	}
	current := r.users
	r.inflight = nil
	call.err = err
	close(call.done)
	r.mu.Unlock()

	if err == nil {
		r.logChanges(ctx, previous, current)
	}
}

// logChanges logs each tenant that joined or left and each service user whose
// credentials changed, with the tenant and user names only.
func (r *Registry) logChanges(ctx context.Context, previous, current map[string]c8y.Credentials) {
	for tenant, user := range current {
		old, known := previous[tenant]
		switch {
		case !known:
			r.logger.InfoContext(ctx, "tenant subscribed", "tenant", tenant, "serviceUser", user.User)
		case old != user:
			r.logger.InfoContext(ctx, "service user credentials changed", "tenant", tenant, "serviceUser", user.User)
		}
	}
	for tenant := range maps.Keys(previous) {
		if _, ok := current[tenant]; !ok {
			r.logger.InfoContext(ctx, "tenant unsubscribed", "tenant", tenant)
		}
	}
}
