//go:build linux

package runtimecheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// containerHost is the only address the check connects to: the loopback interface inside
// the container's network namespace.
const containerHost = "127.0.0.1"

// namespaceDialer opens TCP connections from inside one network namespace.
type namespaceDialer struct {
	path string // the namespace file, such as /var/run/netns/<name>
}

// DialContext connects to address, which must be on 127.0.0.1, from inside the namespace.
// A socket belongs to the namespace of the thread that creates it, so the dial runs on a
// goroutine locked to a thread that enters the namespace and leaves it afterwards.
func (d namespaceDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if host != containerHost || (network != "tcp" && network != "tcp4") {
		return nil, fmt.Errorf("refusing to dial %s %s: only %s inside the container's namespace is allowed", network, address, containerHost)
	}

	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)

	go func() {
		runtime.LockOSThread()
		conn, restored, err := dialInNamespace(ctx, d.path, address)
		// A thread that could not return to its namespace stays locked, so the runtime
		// ends it with this goroutine instead of reusing it.
		if restored {
			runtime.UnlockOSThread()
		}
		done <- result{conn, err}
	}()

	r := <-done
	return r.conn, r.err
}

// dialInNamespace moves the calling thread into the namespace at path, dials, and moves
// the thread back. restored reports whether the thread is in its original namespace again.
func dialInNamespace(ctx context.Context, path, address string) (conn net.Conn, restored bool, err error) {
	original, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("opening this thread's network namespace: %w", err)
	}
	defer original.Close()

	target, err := os.Open(path)
	if err != nil {
		return nil, true, fmt.Errorf("opening network namespace %s: %w", path, err)
	}
	defer target.Close()

	if err := setns(target); err != nil {
		return nil, true, fmt.Errorf("entering network namespace %s: %w", path, err)
	}

	var dialer net.Dialer
	conn, dialErr := dialer.DialContext(ctx, "tcp4", address)

	if err := setns(original); err != nil {
		if conn != nil {
			conn.Close()
		}
		return nil, false, fmt.Errorf("leaving network namespace %s: %w", path, err)
	}

	return conn, true, dialErr
}

// setns moves the calling thread into the network namespace of the open file f.
func setns(f *os.File) error {
	return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET)
}

// newNamespaceClient returns an HTTP client that reaches only 127.0.0.1 inside the
// namespace at path. It ignores proxy variables, never reuses connections and does not
// follow redirects, which Kubernetes counts as success for a probe.
func newNamespaceClient(path string) *http.Client {
	transport := &http.Transport{
		Proxy:             nil,
		DialContext:       namespaceDialer{path: path}.DialContext,
		DisableKeepAlives: true,
		// Kubernetes does not verify certificates of HTTPS probes.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // probes of the service's own port
	}

	return &http.Client{
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// describeDialError names a refused connection in plain words and keeps the cause for errors.Is.
func describeDialError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &refusedError{err: err}
	}

	return err
}

// refusedError is a connection that the container refused.
type refusedError struct {
	err error
}

func (e *refusedError) Error() string {
	return "connection refused: nothing listens on the port"
}

func (e *refusedError) Unwrap() error {
	return e.err
}
