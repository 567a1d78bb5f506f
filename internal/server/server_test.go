package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/config"
)

// logBuffer collects the JSON log lines of a server running in another goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// messages returns the msg of every log line, failing the test on a line that is not JSON.
func (b *logBuffer) messages(t *testing.T) []string {
	t.Helper()

	b.mu.Lock()
	defer b.mu.Unlock()

	var messages []string
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var fields struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Fatalf("log line is not JSON: %q: %v", line, err)
		}
		messages = append(messages, fields.Msg)
	}
	return messages
}

// waitFor polls the log until a line with msg appears.
func (b *logBuffer) waitFor(t *testing.T, msg string) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range b.messages(t) {
			if m == msg {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line %q within 10s; log: %q", msg, b.messages(t))
}

type running struct {
	address string
	logs    *logBuffer
	stop    context.CancelFunc
	done    chan error
}

// start serves on a free port of 127.0.0.1 until the returned stop is called.
func start(t *testing.T, cfg config.Config, grace time.Duration) *running {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	ctx, stop := context.WithCancel(t.Context())
	r := &running{address: listener.Addr().String(), logs: &logBuffer{}, stop: stop, done: make(chan error, 1)}
	opts := Options{Config: cfg, Version: "test", Logger: slog.New(slog.NewJSONHandler(r.logs, nil)), ShutdownGrace: grace}
	go func() { r.done <- Serve(ctx, listener, opts) }()

	r.logs.waitFor(t, "service started")
	t.Cleanup(func() {
		stop()
		<-r.done
	})
	return r
}

func (r *running) wait(t *testing.T) error {
	t.Helper()

	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return within 30s of the stop")
		return nil
	}
}

// startUpload sends the headers of POST /echo for a body of len(first)+len(rest) bytes
// and then first, and returns the connection for the rest. The headers ask for
// "100 Continue", which the server sends once the handler reads the body, so the request
// is in flight when startUpload returns.
func startUpload(t *testing.T, address, first, rest string) (net.Conn, *bufio.Reader) {
	t.Helper()

	conn, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	reader := bufio.NewReader(conn)

	head := "POST /echo HTTP/1.1\r\nHost: service\r\nExpect: 100-continue\r\nContent-Length: " +
		strconv.Itoa(len(first)+len(rest)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	interim, err := http.ReadResponse(reader, nil)
	if err != nil || interim.StatusCode != http.StatusContinue {
		t.Fatalf("interim response = %v, %v; want 100 Continue", interim, err)
	}

	if _, err := io.WriteString(conn, first); err != nil {
		t.Fatal(err)
	}
	return conn, reader
}

// waitRefused waits until address no longer accepts connections.
func waitRefused(t *testing.T, address string) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.Dial("tcp", address)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections 10s after the stop", address)
}

func TestServeStops(t *testing.T) {
	t.Parallel()

	r := start(t, config.Config{}, 0)
	r.stop()

	if err := r.wait(t); err != nil {
		t.Fatalf("Serve = %v, want nil after the stop", err)
	}
	want := []string{"service started", "service stopping", "service stopped"}
	if got := r.logs.messages(t); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("log messages = %q, want %q", got, want)
	}
}

func TestServeFinishesRequestInFlight(t *testing.T) {
	t.Parallel()

	r := start(t, config.Config{}, 0)
	conn, reader := startUpload(t, r.address, "hello ", "world")

	r.stop()
	r.logs.waitFor(t, "service stopping")
	waitRefused(t, r.address)

	if _, err := io.WriteString(conn, "world"); err != nil {
		t.Fatalf("sending the rest of the body: %v", err)
	}
	response, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	if response.StatusCode != http.StatusOK || string(body) != "hello world" {
		t.Errorf("response = %d %q, want 200 \"hello world\"", response.StatusCode, body)
	}

	if err := r.wait(t); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
	r.logs.waitFor(t, "service stopped")
}

func TestServeGraceExpires(t *testing.T) {
	t.Parallel()

	r := start(t, config.Config{}, 200*time.Millisecond)
	conn, reader := startUpload(t, r.address, "never ", "finished")

	r.stop()
	err := r.wait(t)
	if err == nil || !strings.Contains(err.Error(), "grace period of 200ms") {
		t.Errorf("Serve = %v, want an error about the grace period", err)
	}

	// The server cut the connection, so the client reads EOF instead of a response.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := http.ReadResponse(reader, nil); err == nil {
		t.Error("the cut-off request received a response")
	}
}

func TestListenPortInUse(t *testing.T) {
	t.Parallel()

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	listener, err := Listen(t.Context(), config.Config{Address: "127.0.0.1", Port: port})
	if err == nil {
		listener.Close()
		t.Fatalf("Listen on the busy port %d succeeded", port)
	}
	for _, part := range []string{"127.0.0.1:" + strconv.Itoa(port), "address already in use", "set SERVER_PORT to a free port", "PORT=... with go tool task run or dev"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
}

func TestListenForeignAddress(t *testing.T) {
	t.Parallel()

	// 192.0.2.1 is reserved for documentation (RFC 5737), so no interface has it. Binding it
	// sends nothing over the network.
	listener, err := Listen(t.Context(), config.Config{Address: "192.0.2.1", Port: 0})
	if err == nil {
		listener.Close()
		t.Skip("this machine lets a process bind an address it does not have (net.ipv4.ip_nonlocal_bind)")
	}
	for _, part := range []string{"192.0.2.1:0", "not one of this machine's", "SERVER_ADDRESS"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q does not contain %q", err, part)
		}
	}
	if strings.Contains(err.Error(), "stop the process") {
		t.Errorf("error %q blames another process for an address that cannot be bound", err)
	}
}

func TestRunPortInUse(t *testing.T) {
	t.Parallel()

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	logs := &logBuffer{}
	cfg := config.Config{Address: "127.0.0.1", Port: busy.Addr().(*net.TCPAddr).Port}
	err = Run(t.Context(), Options{Config: cfg, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err == nil {
		t.Fatal("Run on a busy port returned nil")
	}
	if got := logs.messages(t); len(got) != 0 {
		t.Errorf("Run logged %q without a listener, want nothing", got)
	}
}

// TestHealthWithoutPlatform checks that /health responds fast while the platform URL points
// at a closed port, since the probes must not depend on the platform.
func TestHealthWithoutPlatform(t *testing.T) {
	t.Parallel()

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	platformURL := "http://" + closed.Addr().String()
	closed.Close()

	r := start(t, config.Config{BaseURL: platformURL}, 0)

	// The platform's probe timeout is one second; the bound here is the same, which is
	// generous for a handler that does nothing.
	client := &http.Client{Timeout: time.Second}
	request, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+r.address+"/health", nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Do(request)
	if err != nil {
		t.Fatalf("GET /health with the platform unreachable: %v", err)
	}
	defer response.Body.Close()

	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK || string(body) != `{"status":"UP"}` {
		t.Errorf("GET /health = %d %q, want 200 {\"status\":\"UP\"}", response.StatusCode, body)
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()

	srv := newServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler))

	timeouts := map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout,
		"ReadTimeout":       srv.ReadTimeout,
		"WriteTimeout":      srv.WriteTimeout,
		"IdleTimeout":       srv.IdleTimeout,
	}
	for name, timeout := range timeouts {
		if timeout <= 0 {
			t.Errorf("%s = %v, want a limit", name, timeout)
		}
	}

	// Kubernetes kills the container 30 seconds after SIGTERM by default.
	const kubernetesGrace = 30 * time.Second
	if DefaultShutdownGrace >= kubernetesGrace {
		t.Errorf("DefaultShutdownGrace = %v, want less than Kubernetes' %v", DefaultShutdownGrace, kubernetesGrace)
	}
	if srv.WriteTimeout > DefaultShutdownGrace || srv.ReadTimeout > DefaultShutdownGrace {
		t.Errorf("a request may take longer (read %v, write %v) than the shutdown grace %v", srv.ReadTimeout, srv.WriteTimeout, DefaultShutdownGrace)
	}
	if srv.ErrorLog == nil {
		t.Error("ErrorLog is nil, so the server's own errors would bypass the JSON log")
	}
}
