// Package oascheck checks HTTP traffic against Cumulocity's OpenAPI spec in tests: a
// [Spec.Transport] validates every request a client sends and every response it gets, and
// fails the test on a mismatch.
//
// The spec is Cumulocity's OpenAPI document c8y-oas.yml, published for example in the
// public Cumulocity-IoT/cumulocity-mcp-server repository. The environment variable
// C8Y_OPENAPI_SPEC holds its absolute path. Without it, or when the file does not exist,
// [Load] returns a Spec whose Transport checks nothing, so that the tests still run against
// the fake; with REQUIRE_SPEC=1 it fails the test instead.
package oascheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// Environment variables that Load reads.
const (
	// SpecVariable is the variable with the absolute path of Cumulocity's OpenAPI document c8y-oas.yml.
	SpecVariable = "C8Y_OPENAPI_SPEC"

	// RequireVariable set to 1 makes a missing spec fail the test, as in CI.
	RequireVariable = "REQUIRE_SPEC"
)

// Spec is the loaded OpenAPI document with a router that matches request paths only, so
// that a test server's address matches the spec's placeholder server. A Spec without a
// document checks nothing; see [Spec.Enabled].
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

// noSpecError means that C8Y_OPENAPI_SPEC is unset or names a file that does not exist.
type noSpecError struct{ reason string }

func (e *noSpecError) Error() string { return e.reason }

// specs is the cache of one test binary: the spec is about 1.3 MB of YAML, which takes most
// of a second to parse under the race detector, so each binary parses it once. A Spec is
// only read after loading.
var specs = &cache{loaders: make(map[string]func() (*Spec, error))}

// Load returns the spec at the path in C8Y_OPENAPI_SPEC. When the variable is unset or the
// file does not exist, it returns a Spec that checks nothing and logs that with t.Log in
// the first test of the binary that calls it. With REQUIRE_SPEC=1 in the environment it
// fails t instead. A relative path or a file that does not load fails t too.
func Load(t testing.TB) *Spec {
	t.Helper()
	spec, notice, err := specs.resolve(os.Getenv(SpecVariable), os.Getenv(RequireVariable) == "1")
	if err != nil {
		t.Fatal(err)
	}
	if notice != "" {
		t.Log(notice)
	}
	return spec
}

// LoadFile parses the OpenAPI document at path, for a test that checks traffic against a
// document of its own.
func LoadFile(path string) (*Spec, error) {
	return load(path)
}

// Enabled reports whether s has a document, so that its Transport checks the traffic.
func (s *Spec) Enabled() bool {
	return s.router != nil
}

// cache loads each path once and announces a missing spec once.
type cache struct {
	mu      sync.Mutex
	loaders map[string]func() (*Spec, error)
	notice  sync.Once
}

// resolve returns the spec at path, or a Spec that checks nothing with a notice to log the
// first time, or an error that the test must fail with.
func (c *cache) resolve(path string, required bool) (spec *Spec, notice string, err error) {
	spec, err = c.load(path)
	if err == nil {
		return spec, "", nil
	}
	var noSpec *noSpecError
	if !errors.As(err, &noSpec) {
		return nil, "", err
	}

	if required {
		return nil, "", fmt.Errorf("%v, and %s=1 requires the OpenAPI check: set %s to the absolute path of Cumulocity's OpenAPI document c8y-oas.yml (published for example in the Cumulocity-IoT/cumulocity-mcp-server repository)",
			err, RequireVariable, SpecVariable)
	}
	c.notice.Do(func() {
		notice = fmt.Sprintf("%v: requests and responses are not checked against the OpenAPI spec (set %s to the absolute path of Cumulocity's c8y-oas.yml to check them)", err, SpecVariable)
	})
	return &Spec{}, notice, nil
}

// load parses the spec at path once, however often it is asked for.
func (c *cache) load(path string) (*Spec, error) {
	c.mu.Lock()
	loader, ok := c.loaders[path]
	if !ok {
		loader = sync.OnceValues(func() (*Spec, error) { return open(path) })
		c.loaders[path] = loader
	}
	c.mu.Unlock()
	return loader()
}

// open loads the spec at path, the value of C8Y_OPENAPI_SPEC. An unset variable and a
// missing file return a *noSpecError.
func open(path string) (*Spec, error) {
	if path == "" {
		return nil, &noSpecError{SpecVariable + " is not set"}
	}
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%s=%q is a relative path, but go test runs each package in its own folder: set the absolute path of c8y-oas.yml", SpecVariable, path)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, &noSpecError{SpecVariable + "=" + path + " does not exist"}
	}
	return load(path)
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
// not match the spec. Without a document it returns next itself. A request to a path the spec does not have is a mismatch too.
// Statuses the spec does not list for an operation, such as 503, are not checked.
func (s *Spec) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if !s.Enabled() {
		return next
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
	if !s.Enabled() {
		return nil, errors.New("checking a request: no OpenAPI document is loaded")
	}
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
