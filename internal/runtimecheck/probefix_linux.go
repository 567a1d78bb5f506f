//go:build linux

package runtimecheck

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"

	"hello-microservice/internal/manifest"
)

// statusError is an HTTP probe's response with a status outside 200 to 399.
type statusError struct {
	status int
}

func (e *statusError) Error() string {
	return fmt.Sprintf("the service returned status %d", e.status)
}

// programStartError is an exec probe whose program the runtime could not start.
type programStartError struct {
	program  string
	notFound bool // the program does not exist in the container
	err      error
}

func (e *programStartError) Error() string {
	if e.notFound {
		return fmt.Sprintf("the program %q was not found in the container: %v", e.program, e.err)
	}

	return fmt.Sprintf("the program %q could not be started: %v", e.program, e.err)
}

func (e *programStartError) Unwrap() error {
	return e.err
}

// exitStatusError is an exec probe whose command ran and exited with a status other than 0.
type exitStatusError struct {
	err error
}

func (e *exitStatusError) Error() string {
	return e.err.Error()
}

func (e *exitStatusError) Unwrap() error {
	return e.err
}

// probeFix returns the change that makes the probe in field succeed, chosen by err, the
// cause of its last failed attempt.
func probeFix(field string, p *manifest.Probe, err error) string {
	var (
		status *statusError
		start  *programStartError
		exited *exitStatusError
		record tls.RecordHeaderError
		netErr net.Error
	)

	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("respond within timeoutSeconds (%s), and keep the probe free of calls to the platform, or raise %s.timeoutSeconds",
			seconds(p.Timeout()), field)
	case errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &record):
		return fmt.Sprintf("the service serves plain HTTP, because TLS ends at the platform's gateway: set %s.httpGet.scheme to HTTP or remove it", field)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing listens on port %d: serve plain HTTP on all interfaces at SERVER_PORT (%d)", probePort(p), manifest.ServicePort)
	case errors.As(err, &status):
		return statusFix(field, p, status.status)
	case errors.As(err, &start) && start.notFound:
		return fmt.Sprintf("the image has no program %q: run a program that the image contains in %s.exec.command, or use an httpGet probe", start.program, field)
	case errors.As(err, &start):
		return fmt.Sprintf("make %q an executable file of the image (mode 0755), or use an httpGet probe", start.program)
	case errors.As(err, &exited):
		return fmt.Sprintf("make %s.exec.command exit with status 0 while the service is healthy", field)
	default:
		return fmt.Sprintf("serve the probe without authentication and without calls to the platform, and respond within %s", seconds(p.Timeout()))
	}
}

// statusFix returns the fix for an HTTP probe that returned status.
func statusFix(field string, p *manifest.Probe, status int) string {
	path := "/"
	if p.HTTPGet != nil {
		path = p.HTTPGet.Path
	}

	switch {
	case status == http.StatusNotFound:
		return fmt.Sprintf("the service has no route for %s: serve it or change %s.httpGet.path", path, field)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fmt.Sprintf("serve %s without authentication, because the kubelet's probe sends no credentials", path)
	case status >= 500:
		return fmt.Sprintf("the service failed on GET %s: see the log, and keep the probe free of calls to the platform, which may be unreachable", path)
	default:
		return fmt.Sprintf("answer GET %s without credentials with a status from 200 to 399", path)
	}
}

// probePort returns the port the probe connects to.
func probePort(p *manifest.Probe) int {
	switch {
	case p.HTTPGet != nil && p.HTTPGet.Port != 0:
		return p.HTTPGet.Port
	case p.TCPSocket != nil && p.TCPSocket.Port != 0:
		return p.TCPSocket.Port
	default:
		return manifest.ServicePort
	}
}
