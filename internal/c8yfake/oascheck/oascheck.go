// Package oascheck checks HTTP traffic against Cumulocity's OpenAPI spec in tests: a
// [Spec.Transport] validates every request a client sends and every response it gets, and
// fails the test on a mismatch.
//
// The spec is the file shared/c8y-oas.yml in the working directory or a folder above it.
// Without it, [Load] skips the test, or fails it when the environment sets REQUIRE_SPEC=1,
// as CI does.
package oascheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// SpecPath is the path of the spec below the folder that Load looks for.
const SpecPath = "shared/c8y-oas.yml"

// Spec is the loaded OpenAPI document with a router that matches request paths only, so
// that a test server's address matches the spec's placeholder server.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

// errNoSpec is returned by find when no folder above the working directory holds the spec.
var errNoSpec = errors.New("no " + SpecPath + " in the working directory or a folder above it")

// loadOnce parses the spec once per test binary: it is about 1.3 MB of YAML, which takes
// most of a second to load under the race detector. The Spec is only read afterwards.
var loadOnce = sync.OnceValues(func() (*Spec, error) {
	path, err := find()
	if err != nil {
		return nil, err
	}
	return load(path)
})

// Load returns the spec. When the file is missing it skips t with the reason, unless the
// environment sets REQUIRE_SPEC=1, in which case it fails t. A file that does not load
// fails t.
func Load(t testing.TB) *Spec {
	t.Helper()
	spec, err := loadOnce()
	switch {
	case errors.Is(err, errNoSpec) && os.Getenv("REQUIRE_SPEC") != "1":
		t.Skipf("skipping the OpenAPI check: %v (set REQUIRE_SPEC=1 to fail instead)", err)
	case err != nil:
		t.Fatalf("loading the OpenAPI spec: %v", err)
	}
	return spec
}

// find walks up from the working directory to the first folder that holds SpecPath.
func find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding %s: %w", SpecPath, err)
	}
	for {
		candidate := filepath.Join(dir, filepath.FromSlash(SpecPath))
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errNoSpec
		}
		dir = parent
	}
}

// load parses the spec at path. It does not call the document's Validate, which reports
// an error in one of the spec's examples that has nothing to do with the calls checked.
func load(path string) (*Spec, error) {
	doc, err := openapi3.NewLoader().LoadFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}

	// Without servers the router matches any scheme and host.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("building a router for %s: %w", path, err)
	}
	return &Spec{doc: doc, router: router}, nil
}

// Transport returns a RoundTripper that sends requests through next, or
// http.DefaultTransport when next is nil, and fails t when a request or its response does
// not match the spec. A request to a path the spec does not have is a mismatch too.
// Statuses the spec does not list for an operation, such as 503, are not checked.
func (s *Spec) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{spec: s, t: t, next: next}
}

type transport struct {
	spec *Spec
	t    testing.TB
	next http.RoundTripper
}

// RoundTrip checks the request, sends a copy of it and checks the response.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body to check it: %w", err)
	}

	input, err := tr.spec.CheckRequest(req.Context(), withBody(req, body))
	if err != nil {
		tr.t.Errorf("%s %s does not match the platform's OpenAPI spec: %v", req.Method, req.URL.Path, err)
	}

	resp, err := tr.next.RoundTrip(withBody(req, body))
	if err != nil || input == nil {
		return resp, err
	}

	respBody, err := readAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the response body to check it: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))

	if err := tr.spec.CheckResponse(req.Context(), input, resp.StatusCode, resp.Header, respBody); err != nil {
		tr.t.Errorf("response %d to %s %s does not match the platform's OpenAPI spec: %v", resp.StatusCode, req.Method, req.URL.Path, err)
	}
	return resp, nil
}

// CheckRequest validates req, whose body it reads, against its operation in the spec and
// returns the input that CheckResponse needs. Basic and bearer credentials satisfy the
// spec's security requirements when the Authorization header has them; they are not
// verified.
func (s *Spec) CheckRequest(ctx context.Context, req *http.Request) (*openapi3filter.RequestValidationInput, error) {
	route, pathParams, err := s.router.FindRoute(req)
	if err != nil {
		return nil, fmt.Errorf("finding the operation: %w", err)
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: pathParams,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: checkAuthorization},
	}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return input, err
	}
	return input, nil
}

// CheckResponse validates a response to the request of input. An empty body, as the
// platform sends to a POST without Accept, is not checked against the body's schema.
func (s *Spec) CheckResponse(ctx context.Context, input *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{ExcludeResponseBody: len(body) == 0},
	})
}

// checkAuthorization accepts a security scheme of the spec when the request carries
// credentials of its kind: Basic for "basic", a bearer token for "bearer".
func checkAuthorization(_ context.Context, input *openapi3filter.AuthenticationInput) error {
	scheme := input.SecurityScheme
	authorization := input.RequestValidationInput.Request.Header.Get("Authorization")
	kind, _, _ := strings.Cut(authorization, " ")
	if scheme.Type == "http" && strings.EqualFold(kind, scheme.Scheme) {
		return nil
	}
	return fmt.Errorf("no %s credentials in the Authorization header", input.SecuritySchemeName)
}

// withBody returns a shallow copy of req with a fresh reader over body.
func withBody(req *http.Request, body []byte) *http.Request {
	copied := req.Clone(req.Context())
	if body == nil {
		copied.Body = http.NoBody
		return copied
	}
	copied.Body = io.NopCloser(bytes.NewReader(body))
	copied.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	copied.ContentLength = int64(len(body))
	return copied
}

// readAll reads and closes body, which may be nil.
func readAll(body io.ReadCloser) ([]byte, error) {
	if body == nil || body == http.NoBody {
		return nil, nil
	}
	defer body.Close()
	return io.ReadAll(body)
}
