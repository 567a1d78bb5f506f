package oascheck_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"hello-microservice/internal/c8yfake/oascheck"
)

// recorder collects the failures that a Transport reports.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// specs returns the small document in testdata and, when C8Y_OPENAPI_SPEC names it,
// Cumulocity's own, by name.
func specs(t *testing.T) map[string]*oascheck.Spec {
	t.Helper()
	mini, err := oascheck.LoadFile("testdata/mini.yml")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]*oascheck.Spec{"mini": mini}
	if c8y := oascheck.Load(t); c8y.Enabled() {
		found["c8y-oas"] = c8y
	}
	return found
}

func TestTransport(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/tenant/currentTenant":
			w.Header().Set("Content-Type", r.URL.Query().Get("reply"))
			fmt.Fprint(w, `{"name":"t100"}`)
		case "/identity/globalIds/1/externalIds":
			w.Header().Set("Content-Type", "application/vnd.com.nsn.cumulocity.externalId+json")
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"type":"c8y_Serial","externalId":"x"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name        string
		method      string
		path        string
		body        string
		contentType string
		wantFailure string // empty when the exchange matches the spec
	}{
		{name: "valid", method: "GET", path: "/tenant/currentTenant?reply=application/vnd.com.nsn.cumulocity.currentTenant%2Bjson"},
		{name: "wrong response type", method: "GET", path: "/tenant/currentTenant?reply=text/plain", wantFailure: "response 200"},
		{name: "unknown path", method: "GET", path: "/no/such/resource", wantFailure: "does not match"},
		{name: "valid body", method: "POST", path: "/identity/globalIds/1/externalIds", body: `{"type":"c8y_Serial","externalId":"x"}`, contentType: "application/vnd.com.nsn.cumulocity.externalId+json"},
		{name: "missing field", method: "POST", path: "/identity/globalIds/1/externalIds", body: `{"externalId":"x"}`, contentType: "application/vnd.com.nsn.cumulocity.externalId+json", wantFailure: "does not match"},
		{name: "wrong body type", method: "POST", path: "/identity/globalIds/1/externalIds", body: `{"type":"c8y_Serial","externalId":"x"}`, contentType: "text/plain", wantFailure: "does not match"},
	}
	for specName, spec := range specs(t) {
		for _, tt := range tests {
			t.Run(specName+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				rec := &recorder{}
				client := &http.Client{Transport: spec.Transport(rec, nil)}

				req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Basic dDEvdTpw")
				if tt.contentType != "" {
					req.Header.Set("Content-Type", tt.contentType)
				}
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", tt.method, tt.path, err)
				}
				resp.Body.Close()

				if tt.wantFailure == "" {
					if len(rec.failures) != 0 {
						t.Errorf("failures = %q, want none", rec.failures)
					}
					return
				}
				if len(rec.failures) == 0 || !strings.Contains(rec.failures[0], tt.wantFailure) {
					t.Errorf("failures = %q, want one containing %q", rec.failures, tt.wantFailure)
				}
			})
		}
	}
}

func TestTransportNeedsCredentials(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)

	for name, spec := range specs(t) {
		rec := &recorder{}
		client := &http.Client{Transport: spec.Transport(rec, nil)}

		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/tenant/currentTenant", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()

		if len(rec.failures) == 0 || !strings.Contains(rec.failures[0], "security") {
			t.Errorf("%s: failures = %q, want one about the missing credentials", name, rec.failures)
		}
	}
}

func TestTransportWithoutDocument(t *testing.T) {
	t.Parallel()
	next := http.DefaultTransport

	if got := (&oascheck.Spec{}).Transport(&recorder{}, next); got != next {
		t.Errorf("Transport of a Spec without a document = %T, want the next transport itself", got)
	}
}
