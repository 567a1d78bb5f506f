package deploy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
	"hello-microservice/internal/config"
)

// fastRetry keeps the retry waits of tests short.
var fastRetry = c8y.RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}

// deployerRoles are the roles of a user who deploys microservices.
func deployerRoles() []string {
	return append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")
}

// platform is a fake platform on a test server with a client for a deploying user of
// tenant t100.
type platform struct {
	fake   *c8yfake.Platform
	url    string
	base   *c8y.Client // without credentials
	client *c8y.Client // as the deploying user
}

// startPlatform serves a fake platform. Unless the traffic is too large to hold in memory
// twice, pass checked, so that every request and response is checked against the
// platform's OpenAPI spec.
func startPlatform(t *testing.T, opts c8yfake.Options, checked bool, clientOpts ...c8y.Option) *platform {
	t.Helper()
	fake := c8yfake.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return connect(t, fake, srv, checked, clientOpts...)
}

// connect returns a client for the fake served by srv.
func connect(t *testing.T, fake *c8yfake.Platform, srv *httptest.Server, checked bool, clientOpts ...c8y.Option) *platform {
	t.Helper()
	var transport http.RoundTripper = srv.Client().Transport
	if checked {
		transport = oascheck.Load(t).Transport(t, transport)
	}
	opts := append([]c8y.Option{c8y.WithRetry(fastRetry), c8y.WithTransport(transport)}, clientOpts...)
	base, err := c8y.New(srv.URL, opts...)
	if err != nil {
		t.Fatalf("New(%s): %v", srv.URL, err)
	}

	admin := fake.AddUser("t100", "admin", deployerRoles()...)
	client := base.WithAuth(c8y.Credentials{Tenant: admin.Tenant, User: admin.User, Password: config.Secret(admin.Password)})
	return &platform{fake: fake, url: srv.URL, base: base, client: client}
}

// testManifest returns a valid manifest with the name.
func testManifest(name string) map[string]any {
	return map[string]any{
		"apiVersion":    "2",
		"name":          name,
		"version":       "1.2.3",
		"provider":      map[string]any{"name": "Tests"},
		"isolation":     "MULTI_TENANT",
		"requiredRoles": []string{"ROLE_INVENTORY_READ"},
	}
}

// writeZIP writes a ZIP of cumulocity.json and an image.tar of the given content, which
// passes ReadManifest but not the pre-flight checks.
func writeZIP(t *testing.T, manifest map[string]any, image []byte) string {
	t.Helper()
	data, err := json.Marshal(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	archive := zip.NewWriter(&buf)
	for name, content := range map[string][]byte{"cumulocity.json": data, "image.tar": image} {
		w, err := archive.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), manifest["name"].(string)+".zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncBuffer collects output from several goroutines.
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

// sparseFile creates a file of size zero bytes without writing them.
func sparseFile(t *testing.T, size int64) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "large.zip")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := file.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallBuffers wraps a listener so that each connection has a small receive buffer, and
// returns a transport whose connections have a small send buffer. Otherwise the kernel's
// socket buffers, which can grow to megabytes, take in a burst of the upload and then stay
// full for long, so progress would come in bursts with long pauses between them.
func smallBuffers(srv *httptest.Server, size int) http.RoundTripper {
	srv.Listener = &smallBufferListener{Listener: srv.Listener, size: size}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, address)
			if tcp, ok := conn.(*net.TCPConn); ok {
				tcp.SetWriteBuffer(size)
			}
			return conn, err
		},
	}
}

type smallBufferListener struct {
	net.Listener
	size int
}

func (l *smallBufferListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetReadBuffer(l.size)
	}
	return conn, err
}
