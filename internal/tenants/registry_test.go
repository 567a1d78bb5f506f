package tenants_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
	"hello-microservice/internal/config"
	"hello-microservice/internal/tenants"
)

const subscriptionsPath = "/application/currentApplication/subscriptions"

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// setup serves a fake platform and returns it with a client for it, whose traffic is
// checked against the platform's spec, and a log that captures the registry's output.
func setup(t *testing.T) (*c8yfake.Platform, *c8y.Client, *logBuffer) {
	t.Helper()
	spec := oascheck.Load(t)
	fake := c8yfake.New(c8yfake.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	client, err := c8y.New(srv.URL,
		c8y.WithTransport(spec.Transport(t, srv.Client().Transport)),
		c8y.WithRetry(c8y.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	return fake, client, &logBuffer{}
}

// multiTenant returns a registry with the fake's bootstrap user; change adjusts its config.
func multiTenant(t *testing.T, fake *c8yfake.Platform, client *c8y.Client, logs *logBuffer, change func(*tenants.Config)) *tenants.Registry {
	t.Helper()
	b := fake.Bootstrap()
	cfg := tenants.Config{
		Isolation: config.MultiTenant,
		Bootstrap: c8y.Credentials{Tenant: b.Tenant, User: b.User, Password: config.Secret(b.Password)},
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if change != nil {
		change(&cfg)
	}
	registry, err := tenants.New(client, cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return registry
}

// run starts the registry's refresh loop until the test ends. t.Context is canceled
// before the cleanup waits for the loop to return.
func run(t *testing.T, registry *tenants.Registry) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		registry.Run(t.Context())
	}()
	t.Cleanup(func() { <-done })
}

// eventually polls cond until it holds or 10 seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	client, err := c8y.New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	full := c8y.Credentials{Tenant: "t1", User: "u", Password: "p"}

	tests := map[string]tenants.Config{
		"multi without bootstrap":    {Isolation: config.MultiTenant, Service: full},
		"default without bootstrap":  {},
		"bootstrap without password": {Bootstrap: c8y.Credentials{Tenant: "t1", User: "u"}},
		"per tenant without user":    {Isolation: config.PerTenant, Bootstrap: full},
		"unknown isolation":          {Isolation: "SHARED", Bootstrap: full, Service: full},
	}
	for name, cfg := range tests {
		if _, err := tenants.New(client, cfg); err == nil {
			t.Errorf("%s: New returned no error", name)
		}
	}
	if _, err := tenants.New(nil, tenants.Config{Bootstrap: full}); err == nil {
		t.Error("New without a client returned no error")
	}
}

func TestPerTenant(t *testing.T) {
	t.Parallel()
	fake, client, _ := setup(t)
	service := fake.Subscribe("t100")
	registry, err := tenants.New(client, tenants.Config{
		Isolation: config.PerTenant,
		Service:   c8y.Credentials{Tenant: service.Tenant, User: service.User, Password: config.Secret(service.Password)},
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	registry.Run(t.Context()) // returns at once with PER_TENANT isolation

	var got string
	err = registry.Call(t.Context(), "t100", func(ctx context.Context, c *c8y.Client) error {
		tenant, err := c.CurrentTenant(ctx)
		if err == nil {
			got = tenant.Name
		}
		return err
	})
	if err != nil || got != "t100" {
		t.Errorf("Call for t100: tenant %q, error %v; want t100", got, err)
	}

	if _, err := registry.Lookup(t.Context(), "t200"); !errors.Is(err, tenants.ErrNotSubscribed) {
		t.Errorf("Lookup(t200) error = %v, want ErrNotSubscribed", err)
	}
	if got := fake.Count("", subscriptionsPath); got != 0 {
		t.Errorf("subscriptions requested %d times, want never", got)
	}
}

func TestLoadAtStart(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	registry := multiTenant(t, fake, client, logs, nil)
	run(t, registry)
	eventually(t, "the empty list is loaded", func() bool { return fake.Count(http.MethodGet, subscriptionsPath) == 1 })

	service := fake.Subscribe("t100")
	user, err := registry.Lookup(t.Context(), "t100")
	if err != nil {
		t.Fatalf("Lookup(t100): %v", err)
	}
	if user.Tenant != "t100" || user.User != service.User || user.Password.Reveal() != service.Password {
		t.Errorf("Lookup(t100) = %v, want the fake's service user", user)
	}
	if !strings.Contains(logs.String(), `"msg":"tenant subscribed","tenant":"t100"`) {
		t.Errorf("log does not report the new tenant:\n%s", logs)
	}
}

func TestUnknownTenantOneRefresh(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, nil)
	run(t, registry)
	eventually(t, "the first load", func() bool { return strings.Contains(logs.String(), "tenant subscribed") })
	before := fake.Count(http.MethodGet, subscriptionsPath)

	for i := range 3 {
		if _, err := registry.Lookup(t.Context(), "t999"); !errors.Is(err, tenants.ErrNotSubscribed) {
			t.Errorf("Lookup(t999) number %d error = %v, want ErrNotSubscribed", i+1, err)
		}
	}

	if got := fake.Count(http.MethodGet, subscriptionsPath) - before; got != 1 {
		t.Errorf("three lookups of an unknown tenant loaded the subscriptions %d times, want 1", got)
	}
}

func TestConcurrentLookupsShareLoad(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	fake.Inject(c8yfake.Fault{Path: subscriptionsPath, Delay: 200 * time.Millisecond})
	registry := multiTenant(t, fake, client, logs, nil)

	var wg sync.WaitGroup
	var failures atomic.Int32
	for range 20 {
		wg.Go(func() {
			if _, err := registry.Lookup(t.Context(), "t100"); err != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()

	if got := failures.Load(); got != 0 {
		t.Errorf("%d of 20 lookups failed", got)
	}
	if got := fake.Count(http.MethodGet, subscriptionsPath); got != 1 {
		t.Errorf("20 concurrent lookups loaded the subscriptions %d times, want 1", got)
	}
}

func TestJoinAndLeave(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, func(cfg *tenants.Config) {
		cfg.RefreshInterval = 50 * time.Millisecond
		cfg.MinRefreshInterval = time.Hour // only the periodic loads can see the changes
	})
	// Use up the one load that a request may trigger.
	if _, err := registry.Lookup(t.Context(), "t000"); !errors.Is(err, tenants.ErrNotSubscribed) {
		t.Fatalf("Lookup(t000) error = %v, want ErrNotSubscribed", err)
	}
	run(t, registry)

	fake.Subscribe("t300")
	eventually(t, "the periodic load finds t300", func() bool {
		_, err := registry.Lookup(t.Context(), "t300")
		return err == nil
	})

	fake.Unsubscribe("t100")
	eventually(t, "the periodic load drops t100", func() bool {
		_, err := registry.Lookup(t.Context(), "t100")
		return errors.Is(err, tenants.ErrNotSubscribed)
	})
	if !strings.Contains(logs.String(), `"msg":"tenant unsubscribed","tenant":"t100"`) {
		t.Errorf("log does not report that t100 left:\n%s", logs)
	}
}

func TestCallAfterResubscription(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, func(cfg *tenants.Config) { cfg.MinRefreshInterval = 20 * time.Millisecond })
	if _, err := registry.Lookup(t.Context(), "t100"); err != nil {
		t.Fatalf("Lookup(t100): %v", err)
	}

	// The tenant leaves and subscribes again: its service user gets a new password.
	fake.Unsubscribe("t100")
	renewed := fake.Subscribe("t100")
	time.Sleep(30 * time.Millisecond) // let the next triggered load through

	calls := 0
	err := registry.Call(t.Context(), "t100", func(ctx context.Context, c *c8y.Client) error {
		calls++
		_, err := c.CurrentTenant(ctx)
		return err
	})

	if err != nil {
		t.Fatalf("Call after resubscription: %v", err)
	}
	if calls != 2 {
		t.Errorf("fn ran %d times, want 2: once rejected, once with the new password", calls)
	}
	user, _ := registry.Lookup(t.Context(), "t100")
	if user.Password.Reveal() != renewed.Password {
		t.Error("the registry kept the old password")
	}
	if !strings.Contains(logs.String(), "service user credentials changed") {
		t.Errorf("log does not report the changed credentials:\n%s", logs)
	}
}

func TestCallAfterLeaving(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, func(cfg *tenants.Config) { cfg.MinRefreshInterval = time.Millisecond })
	if _, err := registry.Lookup(t.Context(), "t100"); err != nil {
		t.Fatalf("Lookup(t100): %v", err)
	}
	fake.Unsubscribe("t100")
	time.Sleep(5 * time.Millisecond)

	err := registry.Call(t.Context(), "t100", func(ctx context.Context, c *c8y.Client) error {
		_, err := c.CurrentTenant(ctx)
		return err
	})

	if !errors.Is(err, tenants.ErrNotSubscribed) {
		t.Errorf("Call after leaving: error %v, want ErrNotSubscribed", err)
	}
}

func TestCallRejectedWithinRateLimit(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, nil)
	if _, err := registry.Lookup(t.Context(), "t100"); err != nil {
		t.Fatalf("Lookup(t100): %v", err)
	}
	fake.Inject(c8yfake.Fault{Path: "/tenant/currentTenant", Status: http.StatusUnauthorized})

	calls := 0
	err := registry.Call(t.Context(), "t100", func(ctx context.Context, c *c8y.Client) error {
		calls++
		_, err := c.CurrentTenant(ctx)
		return err
	})

	if !c8y.IsUnauthorized(err) {
		t.Errorf("Call error = %v, want the platform's 401", err)
	}
	if calls != 1 {
		t.Errorf("fn ran %d times, want 1: the credentials did not change", calls)
	}
	if got := fake.Count(http.MethodGet, subscriptionsPath); got != 1 {
		t.Errorf("subscriptions loaded %d times, want 1: the load right before is recent", got)
	}
}

func TestLoadFailureRetried(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	fake.Inject(c8yfake.Fault{Path: subscriptionsPath, Times: 2, Status: http.StatusServiceUnavailable}) // both attempts of one load
	registry := multiTenant(t, fake, client, logs, func(cfg *tenants.Config) { cfg.RefreshInterval = 50 * time.Millisecond })
	run(t, registry)

	eventually(t, "a load succeeds after the failed one", func() bool {
		return strings.Contains(logs.String(), `"msg":"tenant subscribed"`)
	})

	if !strings.Contains(logs.String(), `"msg":"loading the subscribed tenants failed"`) {
		t.Errorf("log does not report the failed load:\n%s", logs)
	}
	if _, err := registry.Lookup(t.Context(), "t100"); err != nil {
		t.Errorf("Lookup(t100) after the retry: %v", err)
	}
}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	fake.Inject(c8yfake.Fault{Path: subscriptionsPath, Times: 100, Status: http.StatusServiceUnavailable})
	registry := multiTenant(t, fake, client, logs, nil)

	_, err := registry.Lookup(t.Context(), "t100")

	if !errors.Is(err, tenants.ErrUnavailable) {
		t.Errorf("Lookup error = %v, want ErrUnavailable", err)
	}
	if c8y.StatusCode(err) != http.StatusServiceUnavailable {
		t.Errorf("Lookup error = %v, want it to wrap the platform's 503", err)
	}
}

func TestCanceledLookupLeavesLoad(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	fake.Subscribe("t100")
	fake.Inject(c8yfake.Fault{Path: subscriptionsPath, Delay: 300 * time.Millisecond})
	registry := multiTenant(t, fake, client, logs, nil)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := registry.Lookup(ctx, "t100"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lookup with a short deadline: error %v, want DeadlineExceeded", err)
	}

	// The load goes on without the caller that started it.
	eventually(t, "the load finishes", func() bool {
		return strings.Contains(logs.String(), `"msg":"tenant subscribed"`)
	})
}

func TestPasswordsNotLogged(t *testing.T) {
	t.Parallel()
	fake, client, logs := setup(t)
	first := fake.Subscribe("t100")
	registry := multiTenant(t, fake, client, logs, func(cfg *tenants.Config) {
		cfg.RefreshInterval = 20 * time.Millisecond
		cfg.MinRefreshInterval = time.Millisecond
	})
	run(t, registry)
	eventually(t, "the first load", func() bool { return strings.Contains(logs.String(), "tenant subscribed") })

	fake.Unsubscribe("t100")
	second := fake.Subscribe("t100")
	fake.Inject(c8yfake.Fault{Path: subscriptionsPath, Times: 2, Status: http.StatusServiceUnavailable})
	fake.Inject(c8yfake.Fault{Path: "/tenant/currentTenant", Status: http.StatusUnauthorized})
	eventually(t, "the changes are logged", func() bool {
		out := logs.String()
		changed := strings.Contains(out, "service user credentials changed") || strings.Contains(out, "tenant unsubscribed")
		return strings.Contains(out, "loading the subscribed tenants failed") && changed
	})
	registry.Call(t.Context(), "t100", func(ctx context.Context, c *c8y.Client) error {
		_, err := c.CurrentTenant(ctx)
		return err
	})

	out := logs.String()
	for _, password := range []string{first.Password, second.Password, fake.Bootstrap().Password} {
		if strings.Contains(out, password) {
			t.Errorf("a password appears in the log:\n%s", out)
		}
	}
}
