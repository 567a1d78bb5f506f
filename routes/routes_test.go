package routes

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/config"
)

// logBuffer collects JSON log lines; handlers may write from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines parses every line as a JSON object and fails the test on any other line.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()

	b.mu.Lock()
	defer b.mu.Unlock()

	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		lines = append(lines, fields)
	}
	return lines
}

// withMessage returns the log lines whose msg is msg.
func withMessage(lines []map[string]any, msg string) []map[string]any {
	var found []map[string]any
	for _, line := range lines {
		if line["msg"] == msg {
			found = append(found, line)
		}
	}
	return found
}

func loadConfig(t *testing.T, vars map[string]string) config.Config {
	t.Helper()

	cfg, err := config.Load(func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	})
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	return cfg
}

func newHandler(t *testing.T, cfg config.Config) (http.Handler, *logBuffer) {
	t.Helper()

	logs := &logBuffer{}
	handler, err := New(Options{Config: cfg, Version: "1.2.3", Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return handler, logs
}

func serve(t *testing.T, handler http.Handler, method, target string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()

	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequestWithContext(t.Context(), method, target, body))
	return recorder
}

// decodeError checks that body is exactly an ErrorBody with status and code.
func decodeError(t *testing.T, response *httptest.ResponseRecorder, status int, code string) ErrorBody {
	t.Helper()

	if response.Code != status {
		t.Errorf("status = %d, want %d", response.Code, status)
	}
	if got := response.Header().Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", got)
	}

	decoder := json.NewDecoder(response.Body)
	decoder.DisallowUnknownFields()
	var body ErrorBody
	if err := decoder.Decode(&body); err != nil {
		t.Fatalf("error body is not an ErrorBody: %v", err)
	}
	if body.Error != code || body.Status != status || body.Message == "" {
		t.Errorf("error body = %+v, want code %q, status %d and a message", body, code, status)
	}
	return body
}

func TestHelloWithoutEnvironment(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))

	tests := []struct {
		path, want string
	}{
		{"/", "Hello world!"},
		{"/health", `{"status":"UP"}`},
	}
	for _, tt := range tests {
		response := serve(t, handler, http.MethodGet, tt.path, nil)
		if response.Code != http.StatusOK || response.Body.String() != tt.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tt.path, response.Code, response.Body, tt.want)
		}
	}

	response := serve(t, handler, http.MethodGet, "/environment", nil)
	var env map[string]any
	if err := json.Unmarshal(response.Body.Bytes(), &env); err != nil || response.Code != http.StatusOK {
		t.Fatalf("GET /environment = %d %q: %v", response.Code, response.Body, err)
	}
	for _, key := range []string{"platformUrl", "mqttPlatformUrl", "tenant", "user", "password", "microserviceIsolation"} {
		value, ok := env[key]
		if !ok || value != nil {
			t.Errorf("/environment %s = %v (present %v), want null", key, value, ok)
		}
	}
}

func TestHead(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)

	for _, path := range []string{"/", "/health", "/health/"} {
		get := serve(t, handler, http.MethodGet, path, nil)
		head := serve(t, handler, http.MethodHead, path, nil)

		if head.Code != http.StatusOK {
			t.Errorf("HEAD %s = %d, want 200", path, head.Code)
		}
		if head.Body.Len() != 0 {
			t.Errorf("HEAD %s has the body %q, want none", path, head.Body)
		}
		for _, name := range []string{"Content-Type", "Content-Length"} {
			if got, want := head.Header().Get(name), get.Header().Get(name); got != want || got == "" {
				t.Errorf("HEAD %s: %s = %q, want %q as for GET", path, name, got, want)
			}
		}

		// Over a connection too, where net/http adds its own headers.
		request, err := http.NewRequestWithContext(t.Context(), http.MethodHead, server.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		response, err := server.Client().Do(request)
		if err != nil {
			t.Fatalf("HEAD %s: %v", path, err)
		}
		response.Body.Close()
		if response.StatusCode != http.StatusOK || response.ContentLength != int64(get.Body.Len()) {
			t.Errorf("HEAD %s over HTTP = %d with Content-Length %d, want 200 with %d", path, response.StatusCode, response.ContentLength, get.Body.Len())
		}
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))

	response := serve(t, handler, http.MethodGet, "/x", nil)
	body := decodeError(t, response, http.StatusNotFound, "not_found")
	if body.Message != "no route for GET /x" {
		t.Errorf("message = %q, want %q", body.Message, "no route for GET /x")
	}
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))

	tests := []struct {
		method, path, allow string
	}{
		{http.MethodPost, "/health", "GET, HEAD"},
		{http.MethodDelete, "/", "GET, HEAD"},
		{http.MethodGet, "/echo", "POST"},
		{http.MethodPut, "/environment/", "GET"},
	}
	for _, tt := range tests {
		response := serve(t, handler, tt.method, tt.path, nil)
		decodeError(t, response, http.StatusMethodNotAllowed, "method_not_allowed")
		if got := response.Header().Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow = %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}

func TestTrailingSlash(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))

	for _, path := range []string{"/health", "/environment"} {
		plain := serve(t, handler, http.MethodGet, path, nil)
		slash := serve(t, handler, http.MethodGet, path+"/", nil)
		if slash.Code != http.StatusOK || slash.Body.String() != plain.Body.String() {
			t.Errorf("GET %s/ = %d %q, want the answer of GET %s: %d %q", path, slash.Code, slash.Body, path, plain.Code, plain.Body)
		}
	}
}

func TestNoRedirects(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))

	paths := []string{"/health/", "//health", "/HEALTH", "/environment/", "/./health", "/health//", "/../health", "/Health/", "/echo/", "//", "/environment/x/"}
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodHead} {
		for _, path := range paths {
			response := serve(t, handler, method, path, nil)
			if response.Code >= 300 && response.Code < 400 {
				t.Errorf("%s %s = %d with Location %q, want no redirect", method, path, response.Code, response.Header().Get("Location"))
			}
			if location := response.Header().Get("Location"); location != "" {
				t.Errorf("%s %s set Location %q", method, path, location)
			}
		}
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name           string
		trustedProxies string
		remoteAddr     string
		headers        map[string]string
		want           string
	}{
		{"no proxy trusted", "", "10.0.0.5:4000", map[string]string{"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.1"}, "10.0.0.5"},
		{"gateway trusted", "10.0.0.0/8", "10.0.0.5:4000", map[string]string{"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "198.51.100.1"}, "203.0.113.9"},
		{"other address", "10.0.0.0/8", "192.0.2.7:4000", map[string]string{"X-Real-IP": "203.0.113.9"}, "192.0.2.7"},
		{"forwarded-for ignored", "10.0.0.5", "10.0.0.5:4000", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "10.0.0.5"},
		{"platform headers ignored", "", "10.0.0.5:4000", map[string]string{"CF-Connecting-IP": "198.51.100.2", "X-Appengine-Remote-Addr": "198.51.100.3"}, "10.0.0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			handler, logs := newHandler(t, loadConfig(t, map[string]string{"TRUSTED_PROXIES": tt.trustedProxies}))

			request := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/health", nil)
			request.RemoteAddr = tt.remoteAddr
			for name, value := range tt.headers {
				request.Header.Set(name, value)
			}
			handler.ServeHTTP(httptest.NewRecorder(), request)

			requests := withMessage(logs.lines(t), "request")
			if len(requests) != 1 {
				t.Fatalf("got %d request log lines, want 1", len(requests))
			}
			if got := requests[0]["clientIp"]; got != tt.want {
				t.Errorf("clientIp = %v, want %s", got, tt.want)
			}
		})
	}
}

func TestPanicRecovery(t *testing.T) {
	t.Parallel()

	logs := &logBuffer{}
	engine, err := newEngine(Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	engine.GET("/boom", func(c *gin.Context) { panic("disk on fire") })

	response := httptest.NewRecorder()
	engine.ServeHTTP(response, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/boom", nil))

	body := decodeError(t, response, http.StatusInternalServerError, "internal_error")
	if strings.Contains(body.Message, "disk on fire") || strings.Contains(response.Body.String(), "goroutine") {
		t.Errorf("500 body shows the panic or the stack: %s", response.Body)
	}

	lines := logs.lines(t)
	panics := withMessage(lines, "handler panicked")
	if len(panics) != 1 {
		t.Fatalf("got %d panic log lines, want 1: %v", len(panics), lines)
	}
	if panics[0]["error"] != "disk on fire" || panics[0]["level"] != "ERROR" {
		t.Errorf("panic log line = %v, want level ERROR and error \"disk on fire\"", panics[0])
	}
	if stack, _ := panics[0]["stack"].(string); !strings.Contains(stack, "routes_test.go") {
		t.Errorf("panic log line has no stack through the test handler: %q", stack)
	}

	requests := withMessage(lines, "request")
	if len(requests) != 1 || requests[0]["status"] != float64(http.StatusInternalServerError) {
		t.Errorf("request log lines = %v, want one with status 500", requests)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()

	handler, _ := newHandler(t, loadConfig(t, nil))
	tooLarge := strings.Repeat("x", maxBodyBytes+1)

	declared := serve(t, handler, http.MethodPost, "/echo", strings.NewReader(tooLarge))
	decodeError(t, declared, http.StatusRequestEntityTooLarge, "request_too_large")

	// A body of unknown length, as with chunked transfer encoding, is cut off while read.
	request := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/echo", io.MultiReader(strings.NewReader(tooLarge)))
	request.ContentLength = -1
	chunked := httptest.NewRecorder()
	handler.ServeHTTP(chunked, request)
	decodeError(t, chunked, http.StatusRequestEntityTooLarge, "request_too_large")

	fits := strings.Repeat("y", maxBodyBytes)
	response := serve(t, handler, http.MethodPost, "/echo", strings.NewReader(fits))
	if response.Code != http.StatusOK || response.Body.String() != fits {
		t.Errorf("POST /echo with %d bytes = %d with %d bytes, want 200 and the body back", len(fits), response.Code, response.Body.Len())
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()

	handler, logs := newHandler(t, loadConfig(t, nil))

	request := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/health/?pageSize=5&password=query-secret&access_token=tok-secret", nil)
	request.RemoteAddr = "192.0.2.1:5555"
	request.SetBasicAuth("t4711/alice", "basic-secret")
	request.AddCookie(&http.Cookie{Name: "authorization", Value: "cookie-secret"})
	request.Header.Set("X-XSRF-TOKEN", "xsrf-secret")
	handler.ServeHTTP(httptest.NewRecorder(), request)

	lines := logs.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1: %v", len(lines), lines)
	}
	line := lines[0]

	want := map[string]any{
		"msg":      "request",
		"level":    "INFO",
		"method":   "GET",
		"path":     "/health",
		"status":   float64(200),
		"clientIp": "192.0.2.1",
		"tenant":   "t4711",
		"query":    "pageSize=5&password=REDACTED&access_token=REDACTED",
	}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("log %s = %v, want %v", key, line[key], value)
		}
	}
	if duration, ok := line["durationMs"].(float64); !ok || duration < 0 {
		t.Errorf("log durationMs = %v, want a non-negative number", line["durationMs"])
	}

	raw := logs.buf.String()
	for _, secret := range []string{"query-secret", "tok-secret", "basic-secret", "cookie-secret", "xsrf-secret"} {
		if strings.Contains(raw, secret) {
			t.Errorf("log shows %q: %s", secret, raw)
		}
	}
}

func TestRequirePlatform(t *testing.T) {
	t.Parallel()

	platform := map[string]string{
		"C8Y_BASEURL": "http://cumulocity:8111", "C8Y_BOOTSTRAP_TENANT": "t1", "C8Y_BOOTSTRAP_USER": "bootstrap",
		"C8Y_BOOTSTRAP_PASSWORD": "p", "C8Y_MICROSERVICE_ISOLATION": "MULTI_TENANT",
		"APPLICATION_NAME": "hello", "APPLICATION_KEY": "k",
	}
	tests := []struct {
		name    string
		vars    map[string]string
		names   []string
		status  int
		missing []string
	}{
		{"local run", nil, nil, http.StatusServiceUnavailable, []string{
			"C8Y_BASEURL", "C8Y_BOOTSTRAP_TENANT", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD",
		}},
		{"on the platform", platform, nil, http.StatusOK, nil},
		{"named variable unset", platform, []string{"C8Y_BASEURL", "C8Y_BASEURL_PULSAR"}, http.StatusServiceUnavailable, []string{"C8Y_BASEURL_PULSAR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			engine, err := newEngine(Options{})
			if err != nil {
				t.Fatal(err)
			}
			engine.GET("/platform", RequirePlatform(loadConfig(t, tt.vars), tt.names...), func(c *gin.Context) {
				c.String(http.StatusOK, "connected")
			})

			response := httptest.NewRecorder()
			engine.ServeHTTP(response, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/platform", nil))
			if tt.status == http.StatusOK {
				if response.Code != http.StatusOK || response.Body.String() != "connected" {
					t.Errorf("GET /platform = %d %q, want 200 connected", response.Code, response.Body)
				}
				return
			}

			body := decodeError(t, response, tt.status, "platform_not_configured")
			listed, _, _ := strings.Cut(strings.TrimPrefix(body.Message, "platform variables not set: "), ". ")
			if want := strings.Join(tt.missing, ", "); listed != want {
				t.Errorf("message %q lists %q, want %q", body.Message, listed, want)
			}
		})
	}
}

func TestNotConfiguredLog(t *testing.T) {
	t.Parallel()

	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	logs := &logBuffer{}
	handler, err := New(Options{
		Config: loadConfig(t, nil),
		Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		now:    func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		method, path string
		after        time.Duration // the clock moves on by this much before the request
	}{
		{http.MethodGet, "/subscription", 0},
		{http.MethodGet, "/subscription", time.Second},
		{http.MethodGet, "/subscription", 30 * time.Second},
		{http.MethodPost, "/measurements", 0},
		{http.MethodGet, "/subscription", time.Minute},
	}
	for _, step := range steps {
		now = now.Add(step.after)
		response := serve(t, handler, step.method, step.path, nil)
		decodeError(t, response, http.StatusServiceUnavailable, "platform_not_configured")
	}

	lines := withMessage(logs.lines(t), "request")
	if len(lines) != len(steps) {
		t.Fatalf("got %d request log lines, want %d: %v", len(lines), len(steps), lines)
	}
	want := []struct {
		level string
		since float64 // notConfiguredSinceLastWarning, -1 when absent
	}{
		{"WARN", 0},
		{"INFO", -1},
		{"INFO", -1},
		{"WARN", 0},
		{"WARN", 2},
	}
	for i, line := range lines {
		if line["level"] != want[i].level {
			t.Errorf("line %d (%s %s): level %v, want %s", i, line["method"], line["path"], line["level"], want[i].level)
		}
		since, counted := line["notConfiguredSinceLastWarning"].(float64)
		if want[i].since < 0 && counted || want[i].since >= 0 && since != want[i].since {
			t.Errorf("line %d: notConfiguredSinceLastWarning = %v, want %v (-1 for none)", i, line["notConfiguredSinceLastWarning"], want[i].since)
		}
		missing, _ := line["missing"].([]any)
		if listed := len(missing) > 0; listed != (want[i].level == "WARN") {
			t.Errorf("line %d: missing = %v, want the variables on the warnings only", i, line["missing"])
		}
		if _, ok := line["errors"]; ok {
			t.Errorf("line %d repeats the missing variables as errors: %v", i, line["errors"])
		}
	}
}
