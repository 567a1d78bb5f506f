package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hello-microservice/internal/c8yfake"
)

// testVersion is injected into the test binary the way the build injects the real one.
const testVersion = "9.9.9-test"

// binaryPath is the service binary that TestMain builds once for every test.
var binaryPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-microservice-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating a folder for the test binary:", err)
		os.Exit(1)
	}

	binaryPath = filepath.Join(dir, "hello-microservice")
	build := exec.Command("go", "build", "-tags=nomsgpack", "-ldflags=-X main.version="+testVersion, "-o", binaryPath, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the service binary:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running service binary whose stdout is parsed as JSON log lines.
type process struct {
	cmd    *exec.Cmd
	stderr *strings.Builder

	mu     sync.Mutex
	lines  []map[string]any
	raw    []string
	closed chan struct{} // closed when stdout ends
}

// startBinary runs the service with exactly env as its environment, listening on a free
// port of 127.0.0.1 unless env sets SERVER_ADDRESS or SERVER_PORT.
func startBinary(t *testing.T, env map[string]string) *process {
	t.Helper()

	vars := map[string]string{"SERVER_ADDRESS": "127.0.0.1", "SERVER_PORT": "0"}
	for name, value := range env {
		vars[name] = value
	}

	cmd := exec.Command(binaryPath)
	cmd.Env = []string{}
	for name, value := range vars {
		cmd.Env = append(cmd.Env, name+"="+value)
	}

	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &strings.Builder{}, closed: make(chan struct{})}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the service: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})

	go p.read(t, stdout)
	return p
}

func (p *process) read(t *testing.T, stdout io.Reader) {
	defer close(p.closed)

	scanner := bufio.NewScanner(stdout)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		line := scanner.Text()
		var fields map[string]any
		if err := json.Unmarshal([]byte(line), &fields); err != nil {
			t.Errorf("log line is not JSON: %q: %v", line, err)
		}

		p.mu.Lock()
		p.raw = append(p.raw, line)
		p.lines = append(p.lines, fields)
		p.mu.Unlock()
	}
}

// waitFor returns the first log line with msg, waiting up to 10 seconds for it.
func (p *process) waitFor(t *testing.T, msg string) map[string]any {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if line := p.find(msg); line != nil {
			return line
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line %q within 10s; log:\n%s", msg, strings.Join(p.rawLines(), "\n"))
	return nil
}

func (p *process) find(msg string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()

	for _, line := range p.lines {
		if line["msg"] == msg {
			return line
		}
	}
	return nil
}

func (p *process) rawLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.raw...)
}

// address returns the address from the start log line.
func (p *process) address(t *testing.T) string {
	t.Helper()

	address, _ := p.waitFor(t, "service started")["address"].(string)
	if address == "" {
		t.Fatal("the start log line has no address")
	}
	return address
}

// exit waits for the process to end and returns its exit code.
func (p *process) exit(t *testing.T) int {
	t.Helper()

	waited := make(chan error, 1)
	go func() {
		<-p.closed
		waited <- p.cmd.Wait()
	}()

	select {
	case err := <-waited:
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			t.Fatalf("waiting for the service: %v", err)
		}
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatal("the service did not exit within 30s")
		return -1
	}
}

func (p *process) signal(t *testing.T, sig os.Signal) {
	t.Helper()

	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v: %v", sig, err)
	}
}

// get sends a GET request with optional headers and returns the status and body.
func get(t *testing.T, address, path string, headers map[string]string) (int, string) {
	t.Helper()
	return send(t, http.MethodGet, address, path, headers)
}

// send sends a request without a body and returns the status, and the headers and body as
// text.
func send(t *testing.T, method, address, path string, headers map[string]string) (int, string) {
	t.Helper()

	request, err := http.NewRequestWithContext(t.Context(), method, "http://"+address+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range headers {
		request.Header.Set(name, value)
	}

	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, path, err)
	}

	var headerText strings.Builder
	response.Header.Write(&headerText)
	return response.StatusCode, headerText.String() + "\n" + string(body)
}

func TestBinaryWithoutEnvironment(t *testing.T) {
	t.Parallel()

	p := startBinary(t, nil)
	address := p.address(t)

	tests := []struct{ path, want string }{
		{"/", "Hello world!"},
		{"/health", `{"status":"UP"}`},
		{"/environment", `"platformUrl":null`},
	}
	for _, tt := range tests {
		status, body := get(t, address, tt.path, nil)
		if status != http.StatusOK || !strings.Contains(body, tt.want) {
			t.Errorf("GET %s = %d %q, want 200 with %q", tt.path, status, body, tt.want)
		}
	}

	started := p.waitFor(t, "service started")
	if started["version"] != testVersion {
		t.Errorf("start log version = %v, want %s", started["version"], testVersion)
	}
	missing, _ := p.waitFor(t, "platform variables not set, so routes that need the platform respond with 503")["missing"].([]any)
	if len(missing) == 0 || missing[0] != "C8Y_BASEURL" {
		t.Errorf("missing platform variables = %v, want a list starting with C8Y_BASEURL", missing)
	}

	p.signal(t, os.Interrupt)
	if code := p.exit(t); code != 0 {
		t.Errorf("exit code after SIGINT = %d, want 0; stderr: %s", code, p.stderr)
	}
	p.waitFor(t, "service stopped")
}

// TestBinarySIGTERM sends SIGTERM while a request body is still being uploaded. The
// request must complete, and the process must then exit 0.
func TestBinarySIGTERM(t *testing.T) {
	t.Parallel()

	p := startBinary(t, nil)
	address := p.address(t)

	conn, err := net.Dial("tcp", address)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	reader := bufio.NewReader(conn)

	// With "Expect: 100-continue" the server sends "100 Continue" once the handler starts
	// reading the body, so the request is surely in flight before SIGTERM.
	first, rest := "first half, ", "second half"
	head := "POST /echo HTTP/1.1\r\nHost: service\r\nExpect: 100-continue\r\nContent-Length: " + strconv.Itoa(len(first)+len(rest)) + "\r\n\r\n"
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

	p.signal(t, syscall.SIGTERM)
	stopping := p.waitFor(t, "service stopping")
	if reason, _ := stopping["reason"].(string); !strings.Contains(reason, "terminated") {
		t.Errorf("stop reason = %q, want the signal", reason)
	}
	waitRefused(t, address)

	if _, err := io.WriteString(conn, rest); err != nil {
		t.Fatalf("sending the rest of the body after SIGTERM: %v", err)
	}
	response, err := http.ReadResponse(reader, nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	body, _ := io.ReadAll(response.Body)
	if response.StatusCode != http.StatusOK || string(body) != first+rest {
		t.Errorf("upload in flight = %d %q, want 200 %q", response.StatusCode, body, first+rest)
	}

	if code := p.exit(t); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0; stderr: %s", code, p.stderr)
	}
	p.waitFor(t, "service stopped")
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
	t.Fatalf("%s still accepts connections 10s after SIGTERM", address)
}

func TestBinaryPortInUse(t *testing.T) {
	t.Parallel()

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)

	p := startBinary(t, map[string]string{"SERVER_PORT": port})
	if code := p.exit(t); code == 0 {
		t.Fatal("the service exited 0 although its port was in use")
	}

	failed := p.waitFor(t, "service failed")
	message, _ := failed["error"].(string)
	for _, part := range []string{"127.0.0.1:" + port, "address already in use", "SERVER_PORT"} {
		if !strings.Contains(message, part) {
			t.Errorf("error %q does not contain %q", message, part)
		}
	}
	if p.find("service started") != nil {
		t.Error("the service logged a start without a listener")
	}
}

func TestBinaryInvalidConfiguration(t *testing.T) {
	t.Parallel()

	p := startBinary(t, map[string]string{
		"SERVER_ADDRESS":         "999.1.1.1",
		"SERVER_PORT":            "eighty",
		"TZ":                     "Europe/Atlantis",
		"C8Y_BOOTSTRAP_PASSWORD": "planted-bootstrap-secret",
	})
	if code := p.exit(t); code == 0 {
		t.Fatal("the service exited 0 with an invalid configuration")
	}

	message, _ := p.waitFor(t, "service failed")["error"].(string)
	for _, part := range []string{`SERVER_ADDRESS="999.1.1.1"`, `SERVER_PORT="eighty"`, `TZ="Europe/Atlantis"`} {
		if !strings.Contains(message, part) {
			t.Errorf("error %q does not contain %q", message, part)
		}
	}
	if all := strings.Join(p.rawLines(), "\n") + p.stderr.String(); strings.Contains(all, "planted-bootstrap-secret") {
		t.Errorf("output shows the bootstrap password:\n%s", all)
	}
}

func TestBinaryRuntimeSettings(t *testing.T) {
	t.Parallel()

	p := startBinary(t, map[string]string{"TZ": "Asia/Kolkata", "MEMORY_LIMIT": "512M"})
	p.address(t)

	limit := p.waitFor(t, "memory limit set")
	if limit["goMemoryLimitBytes"] != float64(409600000) || limit["memoryLimit"] != "512M" {
		t.Errorf("memory limit log line = %v, want 80%% of 512M", limit)
	}

	// Log times are local times, so they show the zone's offset.
	started := p.waitFor(t, "service started")
	if stamp, _ := started["time"].(string); !strings.HasSuffix(stamp, "+05:30") {
		t.Errorf("log time %q is not in Asia/Kolkata (+05:30)", stamp)
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.exit(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

// TestBinaryHidesSecrets plants secrets in the environment and in requests, and checks
// that none of them appears in any log line or response.
func TestBinaryHidesSecrets(t *testing.T) {
	t.Parallel()

	token := func(claims string) string {
		encode := base64.RawURLEncoding.EncodeToString
		return encode([]byte(`{"alg":"none"}`)) + "." + encode([]byte(claims)) + ".planted-signature-secret"
	}
	secrets := []string{
		"planted-bootstrap-secret", "planted-service-secret", "planted-key-secret",
		"planted-url-user", "planted-url-secret", "planted-mqtt-secret",
		"planted-basic-secret", "planted-cookie-secret", "planted-signature-secret",
		"planted-query-secret", "planted-token-secret", "planted-xsrf-secret",
	}

	p := startBinary(t, map[string]string{
		"C8Y_BASEURL":                "http://planted-url-user:planted-url-secret@127.0.0.1:1",
		"C8Y_BASEURL_MQTT":           "mqtt://device:planted-mqtt-secret@127.0.0.1:1",
		"C8Y_BOOTSTRAP_TENANT":       "management",
		"C8Y_BOOTSTRAP_USER":         "servicebootstrap_hello",
		"C8Y_BOOTSTRAP_PASSWORD":     "planted-bootstrap-secret",
		"C8Y_TENANT":                 "t100",
		"C8Y_USER":                   "service_hello",
		"C8Y_PASSWORD":               "planted-service-secret",
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"APPLICATION_NAME":           "hello",
		"APPLICATION_KEY":            "planted-key-secret",
	})
	address := p.address(t)

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("t100/alice:planted-basic-secret"))
	requests := []struct {
		path    string
		headers map[string]string
	}{
		{"/environment", map[string]string{"Authorization": basic}},
		{"/?password=planted-query-secret&access_token=planted-token-secret", map[string]string{"Authorization": basic}},
		{"/missing", map[string]string{"Authorization": "Bearer " + token(`{"ten":"t200","sub":"bob"}`)}},
		{"/health/", map[string]string{
			"Cookie":       "authorization=" + token(`{"ten":"t300"}`) + "; XSRF-TOKEN=planted-xsrf-secret",
			"X-XSRF-TOKEN": "planted-xsrf-secret",
		}},
	}
	var responses []string
	for _, request := range requests {
		_, body := get(t, address, request.path, request.headers)
		responses = append(responses, body)
	}

	p.signal(t, syscall.SIGTERM)
	if code := p.exit(t); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}

	lines := p.rawLines()
	output := strings.Join(lines, "\n") + "\n" + p.stderr.String() + "\n" + strings.Join(responses, "\n")
	for _, secret := range secrets {
		if strings.Contains(output, secret) {
			t.Errorf("a log line or response shows %q", secret)
		}
	}

	// The tenants still reach the log, so the check above did not pass on an empty log.
	var tenants []string
	for _, line := range p.lines {
		if tenant, ok := line["tenant"].(string); ok {
			tenants = append(tenants, tenant)
		}
	}
	if got, want := strings.Join(tenants, ","), "t100,t100,t200,t300"; got != want {
		t.Errorf("logged tenants = %s, want %s; log:\n%s", got, want, strings.Join(lines, "\n"))
	}
	if !strings.Contains(responses[0], `"platformUrl":"http://REDACTED@127.0.0.1:1"`) {
		t.Errorf("/environment does not show the redacted platform URL: %s", responses[0])
	}
}

// TestBinaryPerTenant runs the service with PER_TENANT isolation and only the variables the
// platform sets for it: the tenant's service user, no bootstrap user, no application key.
func TestBinaryPerTenant(t *testing.T) {
	t.Parallel()

	fake := c8yfake.New(c8yfake.Options{})
	platform := httptest.NewServer(fake)
	t.Cleanup(platform.Close)
	service := fake.Subscribe("t100")
	alice := fake.AddUser("t100", "alice")

	p := startBinary(t, map[string]string{
		"C8Y_BASEURL":                platform.URL,
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"C8Y_TENANT":                 service.Tenant,
		"C8Y_USER":                   service.User,
		"C8Y_PASSWORD":               service.Password,
	})
	address := p.address(t)

	caller := map[string]string{"Authorization": alice.Authorization()}
	tests := []struct {
		method, path string
		status       int
		want         string
	}{
		{http.MethodGet, "/subscription", http.StatusOK, `"serviceUser":"` + service.User + `"`},
		{http.MethodPost, "/measurements", http.StatusCreated, `"measurements":[`},
		{http.MethodGet, "/device", http.StatusOK, `"type":"c8y_HelloMicroserviceDevice"`},
	}
	for _, tt := range tests {
		status, body := send(t, tt.method, address, tt.path, caller)
		if status != tt.status || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, status, body, tt.status, tt.want)
		}
	}
	if p.find("platform variables not set, so routes that need the platform respond with 503") != nil {
		t.Error("the service reports missing platform variables with PER_TENANT isolation")
	}
	if got := fake.Count("", "/application/*"); got != 0 {
		t.Errorf("the service sent %d requests for the subscriptions, want none with PER_TENANT isolation", got)
	}
}

func TestBinaryVerifyCallers(t *testing.T) {
	t.Parallel()

	fake := c8yfake.New(c8yfake.Options{})
	platform := httptest.NewServer(fake)
	t.Cleanup(platform.Close)
	service := fake.Subscribe("t100")
	alice := fake.AddUser("t100", "alice")
	env := map[string]string{
		"C8Y_BASEURL":                platform.URL,
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"C8Y_TENANT":                 service.Tenant,
		"C8Y_USER":                   service.User,
		"C8Y_PASSWORD":               service.Password,
	}
	wrongPassword := map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("t100/alice:wrong-password"))}

	trusting := startBinary(t, env).address(t)
	if status, body := get(t, trusting, "/subscription", wrongPassword); status != http.StatusOK {
		t.Errorf("wrong password without VERIFY_CALLERS = %d %q, want 200", status, body)
	}

	env["VERIFY_CALLERS"] = "true"
	verifying := startBinary(t, env).address(t)
	if status, body := get(t, verifying, "/subscription", wrongPassword); status != http.StatusUnauthorized || !strings.Contains(body, `"error":"invalid_credentials"`) {
		t.Errorf("wrong password with VERIFY_CALLERS=true = %d %q, want 401 invalid_credentials", status, body)
	}
	if status, body := get(t, verifying, "/subscription", map[string]string{"Authorization": alice.Authorization()}); status != http.StatusOK {
		t.Errorf("valid password with VERIFY_CALLERS=true = %d %q, want 200", status, body)
	}
}
