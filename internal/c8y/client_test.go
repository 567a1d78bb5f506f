package c8y_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
)

// fastRetry keeps the retry waits of tests short.
var fastRetry = c8y.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// newTestClient returns a client for a test server that runs handler.
func newTestClient(t *testing.T, handler http.HandlerFunc, opts ...c8y.Option) *c8y.Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)

	client, err := c8y.New(srv.URL, append([]c8y.Option{c8y.WithRetry(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatalf("New(%s): %v", srv.URL, err)
	}
	return client
}

func TestNewRejectsURL(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"", "cumulocity:8111", "ftp://c8y.local", "http://admin:planted-secret@c8y.local"} {
		_, err := c8y.New(raw)
		if err == nil {
			t.Errorf("New(%q) returned no error", raw)
			continue
		}
		if strings.Contains(err.Error(), "planted-secret") {
			t.Errorf("New(%q) error shows the password: %v", raw, err)
		}
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	var got http.Header
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", c8y.MediaTypeManagedObject)
		fmt.Fprint(w, `{"id":"42","name":"d"}`)
	}, c8y.WithApplicationKey("hello-key"), c8y.WithUserAgent("agent/1"))

	_, err := client.WithAuth(c8y.Credentials{Tenant: "t100", User: "alice", Password: "pw:with:colons"}).
		CreateManagedObject(t.Context(), c8y.ManagedObject{Name: "d"})
	if err != nil {
		t.Fatalf("CreateManagedObject: %v", err)
	}

	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("t100/alice:pw:with:colons"))
	checks := map[string]string{
		"Authorization":                wantAuth,
		"Accept":                       c8y.MediaTypeManagedObject,
		"Content-Type":                 c8y.MediaTypeManagedObject,
		"X-Cumulocity-Application-Key": "hello-key",
		"User-Agent":                   "agent/1",
	}
	for name, want := range checks {
		if got.Get(name) != want {
			t.Errorf("header %s = %q, want %q", name, got.Get(name), want)
		}
	}
}

func TestBearerAndNoAuth(t *testing.T) {
	t.Parallel()
	var got []string
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"name":"t100"}`)
	})

	if _, err := client.WithAuth(c8y.BearerToken("a.b.c")).CurrentTenant(t.Context()); err != nil {
		t.Fatalf("CurrentTenant with a token: %v", err)
	}
	if _, err := client.CurrentTenant(t.Context()); err != nil {
		t.Fatalf("CurrentTenant without credentials: %v", err)
	}

	if got[0] != "Bearer a.b.c" {
		t.Errorf("Authorization with a token = %q, want %q", got[0], "Bearer a.b.c")
	}
	if got[1] != "" {
		t.Errorf("Authorization of the base client = %q, want none", got[1])
	}
}

func TestCallerAuth(t *testing.T) {
	t.Parallel()
	var got []http.Header
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		fmt.Fprint(w, `{"userName":"alice"}`)
	})

	callers := []c8y.CallerAuth{
		{Authorization: "Basic dDEvdTpw"},
		{Authorization: "Bearer a.b.c", XSRFToken: "xsrf-value"},
	}
	for _, caller := range callers {
		if _, err := client.WithAuth(caller).CurrentUser(t.Context()); err != nil {
			t.Fatalf("CurrentUser as the caller: %v", err)
		}
	}

	if got[0].Get("Authorization") != "Basic dDEvdTpw" || got[0].Get("X-XSRF-TOKEN") != "" {
		t.Errorf("Basic caller sent Authorization %q and X-XSRF-TOKEN %q, want the header only", got[0].Get("Authorization"), got[0].Get("X-XSRF-TOKEN"))
	}
	if got[1].Get("Authorization") != "Bearer a.b.c" || got[1].Get("X-XSRF-TOKEN") != "xsrf-value" {
		t.Errorf("cookie caller sent Authorization %q and X-XSRF-TOKEN %q, want both forwarded", got[1].Get("Authorization"), got[1].Get("X-XSRF-TOKEN"))
	}
}

func TestRetriesUpToBound(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", c8y.MediaTypeError)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":"general/serviceUnavailable","message":"try later"}`)
	})

	_, err := client.CurrentTenant(t.Context())

	var platformErr *c8y.Error
	if !errors.As(err, &platformErr) {
		t.Fatalf("CurrentTenant error = %v, want a *c8y.Error", err)
	}
	if platformErr.StatusCode != http.StatusServiceUnavailable || platformErr.Message != "try later" {
		t.Errorf("error = %+v, want status 503 with the platform's message", platformErr)
	}
	if got := calls.Load(); got != int32(fastRetry.MaxAttempts) {
		t.Errorf("attempts = %d, want %d", got, fastRetry.MaxAttempts)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	statuses := []int{http.StatusBadGateway, http.StatusGatewayTimeout}
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		if n <= len(statuses) {
			w.WriteHeader(statuses[n-1])
			return
		}
		fmt.Fprint(w, `{"name":"t100"}`)
	})

	tenant, err := client.CurrentTenant(t.Context())
	if err != nil {
		t.Fatalf("CurrentTenant: %v", err)
	}
	if tenant.Name != "t100" {
		t.Errorf("tenant = %q, want t100", tenant.Name)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("attempts = %d, want 3", got)
	}
}

func TestNoRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		call   func(ctx context.Context, c *c8y.Client) error
	}{
		{name: "post 503", status: 503, call: func(ctx context.Context, c *c8y.Client) error {
			_, err := c.CreateManagedObject(ctx, c8y.ManagedObject{Name: "d"})
			return err
		}},
		{name: "post 429", status: 429, call: func(ctx context.Context, c *c8y.Client) error {
			_, err := c.CreateExternalID(ctx, "1", c8y.ExternalID{Type: "c8y_Serial", ExternalID: "x"})
			return err
		}},
		{name: "get 500", status: 500, call: func(ctx context.Context, c *c8y.Client) error {
			_, err := c.CurrentTenant(ctx)
			return err
		}},
		{name: "get 404", status: 404, call: func(ctx context.Context, c *c8y.Client) error {
			_, err := c.ExternalID(ctx, "c8y_Serial", "x")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(tt.status)
			})

			err := tt.call(t.Context(), client)

			if got := c8y.StatusCode(err); got != tt.status {
				t.Errorf("status of error %v = %d, want %d", err, got, tt.status)
			}
			if got := calls.Load(); got != 1 {
				t.Errorf("attempts = %d, want 1", got)
			}
		})
	}
}

func TestIdempotentPostRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{}`)
	})

	req := &c8y.Request{Method: http.MethodPost, Path: "/x", Accept: "application/json", Body: map[string]string{"a": "b"}, Idempotent: true}
	resp, err := client.Do(t.Context(), req, &map[string]any{})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		fmt.Fprint(w, `{"name":"t100"}`)
	})

	start := time.Now()
	if _, err := client.CurrentTenant(t.Context()); err != nil {
		t.Fatalf("CurrentTenant: %v", err)
	}

	// The backoff alone would wait at most 5 ms; waiting a second shows Retry-After won.
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("call took %s, want at least the 1s of Retry-After", elapsed)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestRetryAfterCapped(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}, c8y.WithRetry(c8y.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxRetryAfter: 20 * time.Millisecond}))

	start := time.Now()
	_, err := client.CurrentTenant(t.Context())

	var platformErr *c8y.Error
	if !errors.As(err, &platformErr) || platformErr.RetryAfter != time.Hour {
		t.Fatalf("error = %v, want a 429 *c8y.Error with RetryAfter 1h", err)
	}
	if elapsed := time.Since(start); elapsed > 20*time.Second {
		t.Errorf("call took %s, want the wait capped far below the hour asked for", elapsed)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "5")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()

	_, err := client.CurrentTenant(ctx)

	if got := c8y.StatusCode(err); got != http.StatusServiceUnavailable {
		t.Errorf("error = %v, want the 503 at once", err)
	}
	if ctx.Err() != nil {
		t.Error("the call waited until the deadline, want it to give up at once")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestConnectionErrorRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler) // closes the connection without a response
		}
		fmt.Fprint(w, `{"name":"t100"}`)
	})

	if _, err := client.CurrentTenant(t.Context()); err != nil {
		t.Fatalf("CurrentTenant: %v", err)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-r.Context().Done() // hangs until the client gives up on the attempt
			return
		}
		fmt.Fprint(w, `{"name":"t100"}`)
	}, c8y.WithTimeout(100*time.Millisecond))

	tenant, err := client.CurrentTenant(t.Context())
	if err != nil {
		t.Fatalf("CurrentTenant: %v", err)
	}
	if tenant.Name != "t100" {
		t.Errorf("tenant = %q, want t100", tenant.Name)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("attempts = %d, want 2", got)
	}
}

func TestAttemptTimeoutExhausted(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-r.Context().Done()
	}, c8y.WithTimeout(50*time.Millisecond))

	_, err := client.CurrentTenant(t.Context())

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want one that wraps context.DeadlineExceeded", err)
	}
	if got := calls.Load(); got != int32(fastRetry.MaxAttempts) {
		t.Errorf("attempts = %d, want %d", got, fastRetry.MaxAttempts)
	}
}

func TestCanceledContextStopsRetries(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	var calls atomic.Int32
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		cancel()
		w.WriteHeader(http.StatusServiceUnavailable)
	}, c8y.WithRetry(c8y.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second}))

	_, err := client.CurrentTenant(ctx)

	if err == nil {
		t.Fatal("CurrentTenant returned no error")
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("attempts = %d, want 1", got)
	}
}

func TestEmptyBodyWhereExpected(t *testing.T) {
	t.Parallel()
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})

	_, err := client.CreateManagedObject(t.Context(), c8y.ManagedObject{Name: "d"})

	if err == nil || !strings.Contains(err.Error(), "empty response body") {
		t.Errorf("error = %v, want one about the empty body", err)
	}
}

func TestErrorHasNoCredentials(t *testing.T) {
	t.Parallel()
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"security/Unauthorized","message":"Invalid credentials!"}`)
	})

	_, err := client.WithAuth(c8y.Credentials{Tenant: "t1", User: "u", Password: "planted-secret"}).CurrentTenant(t.Context())

	if !c8y.IsUnauthorized(err) {
		t.Fatalf("error = %v, want a 401", err)
	}
	if strings.Contains(err.Error(), "planted-secret") || strings.Contains(fmt.Sprintf("%+v", err), "planted-secret") {
		t.Errorf("error shows the password: %v", err)
	}
}
