//go:build linux

package runtimecheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"hello-microservice/internal/manifest"
)

func TestProbeFix(t *testing.T) {
	t.Parallel()

	timeout := 2
	httpProbe := &manifest.Probe{HTTPGet: &manifest.HTTPGetAction{Path: "/health", Port: 80}, TimeoutSeconds: &timeout}
	tcpProbe := &manifest.Probe{TCPSocket: &manifest.TCPSocketAction{Port: 8080}}
	execProbe := &manifest.Probe{Exec: &manifest.ExecAction{Command: []string{"/bin/true"}}}
	refused := &net.OpError{Op: "dial", Net: "tcp4", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	request := func(err error) error { return &url.Error{Op: "Get", URL: "http://127.0.0.1:80/health", Err: err} }

	tests := []struct {
		name  string
		probe *manifest.Probe
		err   error
		want  string
	}{
		{"not found", httpProbe, &statusError{status: 404}, "the service has no route for /health: serve it or change readinessProbe.httpGet.path"},
		{"unauthorized", httpProbe, &statusError{status: 401}, "serve /health without authentication"},
		{"forbidden", httpProbe, &statusError{status: 403}, "serve /health without authentication"},
		{"server error", httpProbe, &statusError{status: 503}, "the service failed on GET /health: see the log"},
		{"other status", httpProbe, &statusError{status: 405}, "with a status from 200 to 399"},
		{"https to http", httpProbe, request(http.ErrSchemeMismatch), "the service serves plain HTTP"},
		{"tls record", httpProbe, request(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "set readinessProbe.httpGet.scheme to HTTP"},
		{"refused http", httpProbe, request(describeDialError(refused)), "nothing listens on port 80: serve plain HTTP on all interfaces at SERVER_PORT (80)"},
		{"refused tcp", tcpProbe, describeDialError(refused), "nothing listens on port 8080"},
		{"timeout", httpProbe, request(context.DeadlineExceeded), "respond within timeoutSeconds (2.00 s)"},
		{"exec timeout", execProbe, fmt.Errorf("%w: runc exec: signal: killed", context.DeadlineExceeded), "keep the probe free of calls to the platform"},
		{"program missing", execProbe, &programStartError{program: "/bin/true", notFound: true, err: errors.New("runc exec failed")}, `the image has no program "/bin/true"`},
		{"program not executable", execProbe, &programStartError{program: "/bin/true", err: errors.New("runc exec failed")}, `make "/bin/true" an executable file`},
		{"exit status", execProbe, &exitStatusError{err: errors.New("runc exec failed with exit status 1")}, "exit with status 0"},
		{"other", httpProbe, errors.New("connection reset by peer"), "without authentication and without calls to the platform"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			got := probeFix("readinessProbe", test.probe, test.err)
			if !strings.Contains(got, test.want) {
				t.Errorf("probeFix = %q, want it to contain %q", got, test.want)
			}
		})
	}
}

func TestExecError(t *testing.T) {
	t.Parallel()

	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	startError := func(notFound bool) func(error) bool {
		return func(err error) bool {
			var target *programStartError
			return errors.As(err, &target) && target.notFound == notFound
		}
	}
	exitStatus := func(err error) bool {
		var target *exitStatusError
		return errors.As(err, &target)
	}

	tests := []struct {
		name   string
		ctx    context.Context
		output string
		check  func(error) bool
	}{
		{"missing program", t.Context(), `level=error msg="exec failed: unable to start container process: exec: \"/bin/true\": stat /bin/true: no such file or directory"`, startError(true)},
		{"not in PATH", t.Context(), `exec failed: unable to start container process: exec: "true": executable file not found in $PATH`, startError(true)},
		{"not executable", t.Context(), `exec failed: unable to start container process: exec: "/app/check": permission denied`, startError(false)},
		{"exit status", t.Context(), "cat: /missing: no such file or directory", exitStatus},
		{"canceled", canceled, "", func(err error) bool { return errors.Is(err, context.Canceled) }},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			err := execError(test.ctx, "/bin/true", errors.New("runc exec failed"), []byte(test.output))
			if !test.check(err) {
				t.Errorf("execError = %v (%T), want another kind", err, err)
			}
		})
	}
}
