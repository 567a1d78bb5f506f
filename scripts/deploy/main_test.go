package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
)

// wrongPassword is a password the fake rejects.
const wrongPassword = "planted-password-4711"

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

// invocation is a run of the command with its environment and output.
type invocation struct {
	vars           map[string]string
	dotenv         string
	check          func(context.Context, string) error
	options        []c8y.Option
	stdout, stderr syncBuffer
}

// newInvocation returns an invocation with the given variables, no .env file and the
// pre-flight checks replaced by a pass, which a test ZIP without a real image would fail.
func newInvocation(t *testing.T, vars map[string]string) *invocation {
	return &invocation{
		vars:   vars,
		dotenv: filepath.Join(t.TempDir(), ".env"),
		check:  func(context.Context, string) error { return nil },
	}
}

func (i *invocation) run(t *testing.T, args ...string) int {
	t.Helper()
	lookup := func(key string) (string, bool) {
		value, ok := i.vars[key]
		return value, ok
	}
	code := run(t.Context(), args, environment{
		lookup: lookup, dotenv: i.dotenv, stdout: &i.stdout, stderr: &i.stderr,
		check: i.check, clientOptions: i.options,
	})
	for name, output := range map[string]string{"stdout": i.stdout.String(), "stderr": i.stderr.String()} {
		for _, secret := range []string{i.vars["C8Y_PASSWORD"], i.vars["C8Y_TOKEN"]} {
			if secret != "" && strings.Contains(output, secret) {
				t.Errorf("%s shows a secret:\n%s", name, output)
			}
		}
	}
	return code
}

// startFake serves a fake platform with a deploying user of tenant t100 and returns it
// with the variables that point the command at it. Traffic is checked against the
// platform's OpenAPI spec through the returned client option.
func startFake(t *testing.T, opts c8yfake.Options) (*c8yfake.Platform, map[string]string, c8y.Option) {
	t.Helper()
	fake := c8yfake.New(opts)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	admin := fake.AddUser("t100", "admin", append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")...)
	vars := map[string]string{"C8Y_HOST": srv.URL, "C8Y_TENANT": admin.Tenant, "C8Y_USER": admin.User, "C8Y_PASSWORD": admin.Password}
	transport := oascheck.Load(t).Transport(t, srv.Client().Transport)
	return fake, vars, c8y.WithTransport(transport)
}

// writeZIP writes a ZIP of a valid cumulocity.json and a placeholder image.tar.
func writeZIP(t *testing.T, name string) string {
	t.Helper()
	manifest, err := json.Marshal(map[string]any{
		"apiVersion": "2", "name": name, "version": "1.0.0", "provider": map[string]any{"name": "Tests"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	archive := zip.NewWriter(&buf)
	for entry, content := range map[string][]byte{"cumulocity.json": manifest, "image.tar": []byte("image")} {
		w, err := archive.Create(entry)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name+".zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunDeploys(t *testing.T) {
	t.Parallel()
	fake, vars, transport := startFake(t, c8yfake.Options{})
	inv := newInvocation(t, vars)
	inv.options = []c8y.Option{transport}

	if code := inv.run(t, "-zip", writeZIP(t, "hello")); code != 0 {
		t.Fatalf("exit status %d, want 0\nstdout:\n%s\nstderr:\n%s", code, inv.stdout.String(), inv.stderr.String())
	}
	apps := fake.Applications()
	app := apps[len(apps)-1]
	if app.Name != "hello" || app.Owner != "t100" || len(app.Subscribers) != 1 {
		t.Fatalf("last application = %+v, want hello of t100, subscribed", app)
	}
	stdout := inv.stdout.String()
	for _, want := range []string{"platform " + vars["C8Y_HOST"] + ", tenant t100", "created it with id " + app.ID, "subscribed tenant t100", "the service is up"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(inv.stderr.String(), "uploaded 100%") {
		t.Errorf("stderr lacks the progress lines:\n%s", inv.stderr.String())
	}
}

func TestRunToken(t *testing.T) {
	t.Parallel()
	fake, vars, transport := startFake(t, c8yfake.Options{})
	token := fake.Token(c8yfake.Credentials{Tenant: "t100", User: vars["C8Y_USER"]})
	inv := newInvocation(t, map[string]string{"C8Y_HOST": vars["C8Y_HOST"], "C8Y_TOKEN": token})
	inv.options = []c8y.Option{transport}

	if code := inv.run(t, "-zip", writeZIP(t, "hello"), "-dry-run"); code != 0 {
		t.Fatalf("exit status %d, want 0\nstderr:\n%s", code, inv.stderr.String())
	}
	if !strings.Contains(inv.stdout.String(), "would create it") {
		t.Errorf("stdout lacks the dry run's plan:\n%s", inv.stdout.String())
	}
}

func TestRunNotUp(t *testing.T) {
	t.Parallel()
	fake, vars, transport := startFake(t, c8yfake.Options{StartupDelay: time.Hour})
	inv := newInvocation(t, vars)
	inv.options = []c8y.Option{transport}

	code := inv.run(t, "-zip", writeZIP(t, "hello"), "-wait-timeout", "200ms")
	if code != exitNotUp {
		t.Fatalf("exit status %d, want %d\nstderr:\n%s", code, exitNotUp, inv.stderr.String())
	}
	if stderr := inv.stderr.String(); !strings.Contains(stderr, "the upload and the subscription succeeded") || !strings.Contains(stderr, "within 200ms") {
		t.Errorf("stderr does not say that only the wait failed:\n%s", stderr)
	}
	if got := len(fake.Uploads()); got != 1 {
		t.Errorf("%d uploads, want 1", got)
	}
}

func TestRunMissingCredentials(t *testing.T) {
	t.Parallel()
	inv := newInvocation(t, map[string]string{})

	if code := inv.run(t, "-zip", writeZIP(t, "hello")); code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	for _, name := range []string{"C8Y_HOST", "C8Y_USER", "C8Y_PASSWORD"} {
		if !strings.Contains(inv.stderr.String(), name) {
			t.Errorf("stderr does not name %s:\n%s", name, inv.stderr.String())
		}
	}
}

func TestRunWrongPassword(t *testing.T) {
	t.Parallel()
	fake, vars, transport := startFake(t, c8yfake.Options{})
	vars["C8Y_PASSWORD"] = wrongPassword
	inv := newInvocation(t, vars)
	inv.options = []c8y.Option{transport}

	if code := inv.run(t, "-zip", writeZIP(t, "hello")); code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	stderr := inv.stderr.String()
	for _, want := range []string{"401", "Bad credentials", "check C8Y_USER/C8Y_PASSWORD or C8Y_TOKEN"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if got := len(fake.Applications()); got != 1 {
		t.Errorf("%d applications, want only the fake's own", got)
	}
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + listener.Addr().String()
	listener.Close()
	inv := newInvocation(t, map[string]string{"C8Y_HOST": url, "C8Y_TENANT": "t100", "C8Y_USER": "admin", "C8Y_PASSWORD": wrongPassword})

	start := time.Now()
	if code := inv.run(t, "-zip", writeZIP(t, "hello")); code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("took %s, want a failure within seconds", elapsed)
	}
	stderr := inv.stderr.String()
	if !strings.Contains(stderr, "connection refused") || !strings.Contains(stderr, "the platform at "+url+" could not be reached") {
		t.Errorf("stderr does not name the unreachable URL:\n%s", stderr)
	}
}

func TestRunChecksZIP(t *testing.T) {
	t.Parallel()
	fake, vars, _ := startFake(t, c8yfake.Options{})
	inv := newInvocation(t, vars)
	inv.check = nil

	if code := inv.run(t, "-zip", writeZIP(t, "hello")); code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	if stderr := inv.stderr.String(); !strings.Contains(stderr, "nothing was sent") || !strings.Contains(stderr, "FAIL") {
		t.Errorf("stderr lacks the failed checks:\n%s", stderr)
	}
	if got := len(fake.Requests()); got != 0 {
		t.Errorf("sent %d requests, want none", got)
	}
}

func TestRunArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"positional", []string{"dist/x.zip"}, "pass the ZIP with -zip"},
		{"unknown flag", []string{"-fast"}, "flag provided but not defined"},
		{"zero timeout", []string{"-zip", "x.zip", "-idle-timeout", "0s"}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv := newInvocation(t, map[string]string{})
			if code := inv.run(t, tt.args...); code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if !strings.Contains(inv.stderr.String(), tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, inv.stderr.String())
			}
		})
	}
}

func TestIsTerminal(t *testing.T) {
	t.Parallel()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if isTerminal(file) {
		t.Error("a regular file is reported as a terminal")
	}
	reader, writer, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	defer writer.Close()
	if isTerminal(writer) {
		t.Error("a pipe is reported as a terminal")
	}
}
