package routes_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
	"hello-microservice/internal/config"
	"hello-microservice/internal/tenants"
	"hello-microservice/routes"
)

// syncBuffer collects log lines and response bodies from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// platformFixture is a fake platform and a client for it whose traffic is checked against
// the platform's spec. Instances of the service are made with newInstance.
type platformFixture struct {
	t      *testing.T
	fake   *c8yfake.Platform
	client *c8y.Client
	logs   *syncBuffer // every instance's log
	bodies *syncBuffer // every response body of every instance
}

func newPlatformFixture(t *testing.T, opts ...c8y.Option) *platformFixture {
	t.Helper()
	spec := oascheck.Load(t)
	fake := c8yfake.New(c8yfake.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	opts = append([]c8y.Option{
		c8y.WithTransport(spec.Transport(t, srv.Client().Transport)),
		c8y.WithRetry(c8y.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond}),
	}, opts...)
	client, err := c8y.New(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &platformFixture{t: t, fake: fake, client: client, logs: &syncBuffer{}, bodies: &syncBuffer{}}
}

// instance is one replica of the service: its own tenant registry and router.
type instance struct {
	f       *platformFixture
	handler http.Handler
}

// newInstance returns a replica with MULTI_TENANT isolation; change adjusts its registry's
// config when not nil. The registry and the logger of p are set here.
func (f *platformFixture) newInstance(change func(*tenants.Config), p routes.Platform) *instance {
	f.t.Helper()
	logger := slog.New(slog.NewJSONHandler(f.logs, nil))
	bootstrap := f.fake.Bootstrap()
	cfg := tenants.Config{
		Isolation: config.MultiTenant,
		Bootstrap: c8y.Credentials{Tenant: bootstrap.Tenant, User: bootstrap.User, Password: config.Secret(bootstrap.Password)},
		Logger:    logger,
	}
	if change != nil {
		change(&cfg)
	}
	registry, err := tenants.New(f.client, cfg)
	if err != nil {
		f.t.Fatalf("tenants.New: %v", err)
	}

	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.Use(logErrors(logger))
	p.Tenants, p.Logger = registry, logger
	routes.RegisterPlatform(engine, p)
	return &instance{f: f, handler: engine}
}

// logErrors logs the errors that handlers record with c.Error, as the service's request
// log does.
func logErrors(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if len(c.Errors) > 0 {
			logger.Warn("request", "path", c.Request.URL.Path, "status", c.Writer.Status(), "errors", c.Errors.Errors())
		}
	}
}

// reply is a decoded response of the service.
type reply struct {
	status int
	raw    string
	body   map[string]any
}

// do sends a request with the given Authorization header ("" for none) and decodes the
// JSON response.
func (in *instance) do(method, target, authorization string, headers ...string) reply {
	in.f.t.Helper()
	req := httptest.NewRequestWithContext(in.f.t.Context(), method, target, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	in.handler.ServeHTTP(rec, req)

	in.f.bodies.Write(append(rec.Body.Bytes(), '\n'))
	got := reply{status: rec.Code, raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &got.body); err != nil {
		in.f.t.Fatalf("%s %s: response is not a JSON object: %q", method, target, rec.Body.String())
	}
	return got
}

// wantError checks a response's status and its JSON error body.
func wantError(t *testing.T, what string, got reply, status int, code string) {
	t.Helper()
	if got.status != status {
		t.Errorf("%s: status %d, want %d; body %s", what, got.status, status, got.raw)
	}
	if got.body["error"] != code {
		t.Errorf("%s: error %v, want %q", what, got.body["error"], code)
	}
	if got.body["status"] != float64(status) {
		t.Errorf("%s: status field %v, want %d", what, got.body["status"], status)
	}
	if message, _ := got.body["message"].(string); message == "" {
		t.Errorf("%s: no message in %s", what, got.raw)
	}
}

func TestPlatformNoTenant(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	in := f.newInstance(nil, routes.Platform{})
	unprefixed := "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:secret"))

	for _, route := range []struct{ method, path string }{{"GET", "/subscription"}, {"POST", "/measurements"}, {"GET", "/device"}} {
		wantError(t, route.method+" "+route.path+" without credentials", in.do(route.method, route.path, ""), 401, "no_tenant")
		wantError(t, route.method+" "+route.path+" without a tenant", in.do(route.method, route.path, unprefixed), 401, "no_tenant")
	}
	if got := len(f.fake.Requests()); got != 0 {
		t.Errorf("the platform got %d requests, want none", got)
	}
}

func TestProbesNeedNoCredentials(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	in := f.newInstance(nil, routes.Platform{})
	engine := in.handler.(*gin.Engine)
	engine.GET("/health", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "UP"}) })

	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/health", nil))

	if rec.Code != http.StatusOK {
		t.Errorf("GET /health without credentials: %d %s, want 200: RegisterPlatform must not guard other routes", rec.Code, rec.Body)
	}
	if got := len(f.fake.Requests()); got != 0 {
		t.Errorf("GET /health sent %d platform requests, want none", got)
	}
}

func TestPlatformNotConfigured(t *testing.T) {
	t.Parallel()
	engine := gin.New()
	routes.RegisterPlatform(engine, routes.Platform{})

	rec := httptest.NewRecorder()
	engine.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/measurements", nil))

	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "platform_not_configured") {
		t.Errorf("POST /measurements without a registry: %d %s, want 503 platform_not_configured", rec.Code, rec.Body)
	}
}

func TestSubscription(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	service := f.fake.Subscribe("t100")
	other := f.fake.Subscribe("t200")
	alice := f.fake.AddUser("t100", "alice")
	in := f.newInstance(nil, routes.Platform{})

	callers := map[string]string{
		"basic":  alice.Authorization(),
		"bearer": "Bearer " + f.fake.Token(alice),
	}
	for name, authorization := range callers {
		got := in.do(http.MethodGet, "/subscription", authorization)
		if got.status != http.StatusOK {
			t.Fatalf("%s: status %d, want 200: %s", name, got.status, got.raw)
		}
		want := map[string]any{"tenant": "t100", "subscribed": true, "serviceUser": service.User}
		for key, value := range want {
			if got.body[key] != value {
				t.Errorf("%s: %s = %v, want %v", name, key, got.body[key], value)
			}
		}
		if len(got.body) != len(want) {
			t.Errorf("%s: body %s has fields beyond %v", name, got.raw, want)
		}
	}

	cookie := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/subscription", nil)
	cookie.AddCookie(&http.Cookie{Name: "authorization", Value: f.fake.Token(alice)})
	cookie.Header.Set("X-XSRF-TOKEN", "xsrf")
	rec := httptest.NewRecorder()
	in.handler.ServeHTTP(rec, cookie)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"tenant":"t100"`) {
		t.Errorf("cookie caller: %d %s, want 200 for t100", rec.Code, rec.Body)
	}

	for _, secret := range []string{service.Password, other.Password, alice.Password, "t200"} {
		if strings.Contains(f.bodies.String(), secret) {
			t.Errorf("a response shows %q, a password or another tenant", secret)
		}
	}
}

func TestUnsubscribedTenant(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	stranger := f.fake.AddUser("t999", "mallory")
	in := f.newInstance(nil, routes.Platform{})

	wantError(t, "GET /subscription", in.do(http.MethodGet, "/subscription", stranger.Authorization()), 403, "not_subscribed")
	wantError(t, "POST /measurements", in.do(http.MethodPost, "/measurements", stranger.Authorization()), 403, "not_subscribed")
	wantError(t, "GET /device", in.do(http.MethodGet, "/device", stranger.Authorization()), 403, "not_subscribed")

	// The first request loads the subscriptions; the next two are within the rate limit.
	if got := f.fake.Count(http.MethodGet, "/application/currentApplication/subscriptions"); got != 1 {
		t.Errorf("subscriptions loaded %d times, want 1", got)
	}
	if got := f.fake.Count("", "/inventory/*"); got != 0 {
		t.Errorf("the inventory got %d requests for an unsubscribed tenant, want none", got)
	}
}

func TestPerTenantIsolation(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	service := f.fake.Subscribe("t100")
	f.fake.Subscribe("t200")
	alice, bob := f.fake.AddUser("t100", "alice"), f.fake.AddUser("t200", "bob")
	in := f.newInstance(func(cfg *tenants.Config) {
		cfg.Isolation = config.PerTenant
		cfg.Bootstrap = c8y.Credentials{}
		cfg.Service = c8y.Credentials{Tenant: service.Tenant, User: service.User, Password: config.Secret(service.Password)}
	}, routes.Platform{})

	if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
		t.Errorf("POST /measurements for t100: %d %s, want 201", got.status, got.raw)
	}
	wantError(t, "POST /measurements for t200", in.do(http.MethodPost, "/measurements", bob.Authorization()), 403, "not_subscribed")

	if got := f.fake.Count("", "/application/*"); got != 0 {
		t.Errorf("PER_TENANT isolation requested the subscriptions %d times, want never", got)
	}
	if got := len(f.fake.ManagedObjects("t200")); got != 0 {
		t.Errorf("t200 has %d managed objects, want none", got)
	}
}

func TestTenantsJoinAndLeave(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	in := f.newInstance(func(cfg *tenants.Config) { cfg.MinRefreshInterval = time.Millisecond }, routes.Platform{})
	alice := f.fake.AddUser("t100", "alice")
	if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
		t.Fatalf("POST /measurements for t100: %d %s", got.status, got.raw)
	}

	// A tenant that subscribes while the service runs is served at its first request.
	f.fake.Subscribe("t300")
	carol := f.fake.AddUser("t300", "carol")
	time.Sleep(5 * time.Millisecond)
	if got := in.do(http.MethodPost, "/measurements", carol.Authorization()); got.status != http.StatusCreated {
		t.Errorf("POST /measurements for the new tenant t300: %d %s, want 201", got.status, got.raw)
	}

	// A tenant that leaves is refused: the platform rejects its old service user, and the
	// new list of subscriptions no longer has it.
	f.fake.Unsubscribe("t100")
	time.Sleep(5 * time.Millisecond)
	wantError(t, "POST /measurements after t100 left", in.do(http.MethodPost, "/measurements", alice.Authorization()), 403, "not_subscribed")
	wantError(t, "GET /subscription after t100 left", in.do(http.MethodGet, "/subscription", alice.Authorization()), 403, "not_subscribed")
}

func TestResubscribedTenantServed(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	in := f.newInstance(func(cfg *tenants.Config) { cfg.MinRefreshInterval = time.Millisecond }, routes.Platform{})
	if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
		t.Fatalf("first POST /measurements: %d %s", got.status, got.raw)
	}

	f.fake.Unsubscribe("t100")
	f.fake.Subscribe("t100")
	time.Sleep(5 * time.Millisecond)

	if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
		t.Errorf("POST /measurements after resubscription: %d %s, want 201 with the new service user", got.status, got.raw)
	}
}

func TestPlatformErrorsPassedBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  c8yfake.Fault
		status int
		code   string
	}{
		{name: "forbidden", fault: c8yfake.Fault{Status: 403}, status: 403, code: "platform_error"},
		{name: "unprocessable", fault: c8yfake.Fault{Status: 422}, status: 422, code: "platform_error"},
		{name: "server error", fault: c8yfake.Fault{Status: 500}, status: 502, code: "platform_error"},
		{name: "unavailable", fault: c8yfake.Fault{Status: 503}, status: 502, code: "platform_error"},
		{name: "rejected service user", fault: c8yfake.Fault{Status: 401}, status: 502, code: "service_user_rejected"},
		{name: "timeout", fault: c8yfake.Fault{Delay: 5 * time.Second}, status: 504, code: "platform_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newPlatformFixture(t, c8y.WithTimeout(300*time.Millisecond))
			f.fake.Subscribe("t100")
			alice := f.fake.AddUser("t100", "alice")
			in := f.newInstance(nil, routes.Platform{})
			if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
				t.Fatalf("first POST /measurements: %d %s", got.status, got.raw)
			}
			fault := tt.fault
			fault.Method, fault.Path = http.MethodPost, "/measurement/measurements"
			f.fake.Inject(fault)

			got := in.do(http.MethodPost, "/measurements", alice.Authorization())

			wantError(t, "POST /measurements", got, tt.status, tt.code)
			if tt.fault.Status != 0 && tt.fault.Status != 401 && !strings.Contains(got.body["message"].(string), "Injected fault") {
				t.Errorf("message %q does not pass on the platform's message", got.body["message"])
			}
			if !strings.Contains(f.logs.String(), `"path":"/measurements"`) {
				t.Errorf("the failure is not logged:\n%s", f.logs)
			}
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	in := f.newInstance(nil, routes.Platform{Timeout: 300 * time.Millisecond})
	f.fake.Inject(c8yfake.Fault{Path: "/identity/externalIds/*/*", Times: 10, Delay: 10 * time.Second})

	start := time.Now()
	got := in.do(http.MethodGet, "/device", alice.Authorization())

	wantError(t, "GET /device with a slow platform", got, http.StatusGatewayTimeout, "platform_timeout")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("GET /device took %s, want it cut off near the 300ms timeout", elapsed)
	}
}

func TestCountValidation(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	in := f.newInstance(nil, routes.Platform{})

	for _, query := range []string{"count=0", "count=101", "count=-1", "count=x", "count=", "count=1.5"} {
		wantError(t, "POST /measurements?"+query, in.do(http.MethodPost, "/measurements?"+query, alice.Authorization()), 400, "invalid_count")
	}
	if got := len(f.fake.Requests()); got != 0 {
		t.Errorf("invalid counts sent %d platform requests, want none", got)
	}
}

func TestPasswordsNeverShown(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	service := f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	bootstrap := f.fake.Bootstrap()
	in := f.newInstance(func(cfg *tenants.Config) { cfg.MinRefreshInterval = time.Millisecond }, routes.Platform{})
	planted := "Basic " + base64.StdEncoding.EncodeToString([]byte("t100/alice:planted-caller-password"))

	// Successes and every kind of failure, each of which writes a response and may log.
	in.do(http.MethodGet, "/subscription", planted)
	in.do(http.MethodGet, "/device", alice.Authorization())
	in.do(http.MethodPost, "/measurements?count=3", planted)
	in.do(http.MethodGet, "/device", planted)
	f.fake.Inject(c8yfake.Fault{Path: "/identity/externalIds/*/*", Status: 401})
	in.do(http.MethodGet, "/device", planted)
	f.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/measurement/measurements", Status: 500})
	in.do(http.MethodPost, "/measurements", planted)
	f.fake.Unsubscribe("t100")
	second := f.fake.Subscribe("t100")
	time.Sleep(5 * time.Millisecond)
	in.do(http.MethodPost, "/measurements", planted)
	f.fake.Unsubscribe("t100")
	time.Sleep(5 * time.Millisecond)
	in.do(http.MethodPost, "/measurements", planted)

	for name, output := range map[string]string{"responses": f.bodies.String(), "log": f.logs.String()} {
		for _, secret := range []string{"planted-caller-password", service.Password, second.Password, alice.Password, bootstrap.Password} {
			if strings.Contains(output, secret) {
				t.Errorf("the %s contain a password:\n%s", name, output)
			}
		}
		if strings.Contains(output, "Authorization") || strings.Contains(output, "Basic ") {
			t.Errorf("the %s contain a credential header:\n%s", name, output)
		}
	}
	if !strings.Contains(f.logs.String(), "401 Unauthorized") {
		t.Errorf("the log does not record the rejected service user, so the check above proves little:\n%s", f.logs)
	}
}

func TestVerifyCallers(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	trusting := f.newInstance(nil, routes.Platform{})
	verifying := f.newInstance(nil, routes.Platform{VerifyCallers: true})
	wrongPassword := "Basic " + base64.StdEncoding.EncodeToString([]byte("t100/alice:wrong-password"))
	madeUpToken := "Bearer e30." + base64.RawURLEncoding.EncodeToString([]byte(`{"ten":"t100","sub":"alice"}`)) + ".c2ln"

	if got := trusting.do(http.MethodGet, "/subscription", wrongPassword); got.status != http.StatusOK {
		t.Errorf("wrong password without VerifyCallers: %d %s, want 200 since the gateway is trusted", got.status, got.raw)
	}
	if got := f.fake.Count(http.MethodGet, "/user/currentUser"); got != 0 {
		t.Errorf("without VerifyCallers the caller was checked %d times, want never", got)
	}

	wantError(t, "wrong password", verifying.do(http.MethodGet, "/subscription", wrongPassword), 401, "invalid_credentials")
	wantError(t, "made-up token", verifying.do(http.MethodGet, "/device", madeUpToken), 401, "invalid_credentials")
	wantError(t, "POST with a wrong password", verifying.do(http.MethodPost, "/measurements", wrongPassword), 401, "invalid_credentials")
	if got := f.fake.Count("", "/inventory/*"); got != 0 {
		t.Errorf("rejected callers reached the inventory %d times, want never", got)
	}

	checksBefore := f.fake.Count(http.MethodGet, "/user/currentUser")
	for range 3 {
		if got := verifying.do(http.MethodGet, "/subscription", alice.Authorization()); got.status != http.StatusOK {
			t.Errorf("valid Basic credentials: %d %s, want 200", got.status, got.raw)
		}
	}
	if got := f.fake.Count(http.MethodGet, "/user/currentUser") - checksBefore; got != 1 {
		t.Errorf("three requests with one credential checked it %d times, want once", got)
	}

	if got := verifying.do(http.MethodGet, "/subscription", "Bearer "+f.fake.Token(alice)); got.status != http.StatusOK {
		t.Errorf("valid token: %d %s, want 200", got.status, got.raw)
	}
	cookie := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/subscription", nil)
	cookie.AddCookie(&http.Cookie{Name: "authorization", Value: f.fake.Token(alice)})
	cookie.Header.Set("X-XSRF-TOKEN", "xsrf")
	rec := httptest.NewRecorder()
	verifying.handler.ServeHTTP(rec, cookie)
	if rec.Code != http.StatusOK {
		t.Errorf("valid cookie: %d %s, want 200", rec.Code, rec.Body)
	}

	for _, secret := range []string{"wrong-password", alice.Password} {
		if strings.Contains(f.logs.String(), secret) || strings.Contains(f.bodies.String(), secret) {
			t.Errorf("a log line or response shows %q", secret)
		}
	}
}

func TestVerifyCallersPlatformDown(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	verifying := f.newInstance(nil, routes.Platform{VerifyCallers: true})
	f.fake.Inject(c8yfake.Fault{Method: http.MethodGet, Path: "/user/currentUser", Status: http.StatusServiceUnavailable, Times: 10})

	wantError(t, "GET /subscription with the platform down", verifying.do(http.MethodGet, "/subscription", alice.Authorization()), 502, "platform_error")
	if got := f.fake.Count(http.MethodGet, "/application/currentApplication/subscriptions"); got != 0 {
		t.Errorf("an unverified caller triggered %d loads of the subscriptions, want none", got)
	}
}
