//go:build linux

package runtimecheck

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"strconv"
	"strings"
	"sync"
	"time"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

// Request settings of the checks that are not probes.
const (
	requestTimeout  = 5 * time.Second
	maxResponseSize = 1 << 20
	retryInterval   = 100 * time.Millisecond
)

// probeUserAgent is the User-Agent of Kubernetes' HTTP probes.
const probeUserAgent = "kube-probe/1.30"

// probeOutcome is the result of one probe check, reported after both probes ran.
type probeOutcome struct {
	status  verify.Status
	message string
}

// checkProbes runs the "liveness probe" and "readiness probe" checks at the same time, as
// Kubernetes does.
func (s *session) checkProbes(ctx context.Context, client *http.Client) {
	probes := []struct {
		name  string
		field string
		probe *manifest.Probe
	}{
		{CheckLiveness, "livenessProbe", s.manifest.LivenessProbe},
		{CheckReadiness, "readinessProbe", s.manifest.ReadinessProbe},
	}

	outcomes := make([]probeOutcome, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			outcomes[i] = s.runProbe(ctx, client, p.field, p.probe)
		})
	}
	wg.Wait()

	for i, p := range probes {
		switch outcomes[i].status {
		case verify.StatusPass:
			s.report.Pass(p.name, "%s", outcomes[i].message)
		case verify.StatusSkip:
			s.report.Skip(p.name, "%s", outcomes[i].message)
		default:
			s.report.Fail(p.name, "%s", outcomes[i].message)
		}
	}
}

// probeDeadline returns how long after the start the first success may come. Kubernetes
// probes at initialDelaySeconds and then every periodSeconds, and each probe may take
// timeoutSeconds. After failureThreshold failures in a row it restarts the container
// (liveness probe) or keeps it out of service (readiness probe).
func probeDeadline(p *manifest.Probe) time.Duration {
	return p.InitialDelay() + time.Duration(p.Failures()-1)*p.Period() + p.Timeout()
}

func describeDeadline(p *manifest.Probe) string {
	return fmt.Sprintf("initialDelaySeconds %d + (failureThreshold %d - 1) × periodSeconds %d + timeoutSeconds %d",
		int(p.InitialDelay().Seconds()), p.Failures(), int(p.Period().Seconds()), int(p.Timeout().Seconds()))
}

// runProbe repeats the probe from the container's start until it succeeds, the deadline
// passes or the container exits.
func (s *session) runProbe(ctx context.Context, client *http.Client, field string, p *manifest.Probe) probeOutcome {
	if p == nil {
		return probeOutcome{verify.StatusSkip, fmt.Sprintf("%s sets no %s", verify.ManifestEntry, field)}
	}

	c := s.container
	deadline := probeDeadline(p)
	target := describeProbe(p)

	for {
		err := s.probeOnce(ctx, client, p)
		elapsed := time.Since(c.started)

		switch {
		case err == nil && elapsed <= deadline:
			return probeOutcome{verify.StatusPass, fmt.Sprintf("%s succeeded %s after the start, within the %s deadline (%s)",
				target, seconds(elapsed), seconds(deadline), describeDeadline(p))}
		case err == nil:
			return probeOutcome{verify.StatusFail, fmt.Sprintf("%s first succeeded %s after the start, later than the %s deadline (%s); fix: start serving sooner or raise %s.initialDelaySeconds",
				target, seconds(elapsed), seconds(deadline), describeDeadline(p), field)}
		case elapsed > deadline:
			return probeOutcome{verify.StatusFail, fmt.Sprintf("%s did not succeed within %s of the start (%s); last attempt: %v; fix: %s",
				target, seconds(deadline), describeDeadline(p), s.redactError(err), probeFix(field, p, err))}
		}

		select {
		case <-c.exited:
			return probeOutcome{verify.StatusFail, fmt.Sprintf("%s: the container exited with status %d before the probe succeeded (last attempt: %v); log:\n%s",
				target, c.exitCode, s.redactError(err), s.logTail())}
		case <-ctx.Done():
			return probeOutcome{verify.StatusFail, "interrupted: " + ctx.Err().Error()}
		case <-time.After(retryInterval):
		}
	}
}

func describeProbe(p *manifest.Probe) string {
	switch {
	case p.HTTPGet != nil:
		return "GET " + probeURL(p.HTTPGet)
	case p.TCPSocket != nil:
		return "TCP connection to " + net.JoinHostPort(containerHost, strconv.Itoa(p.TCPSocket.Port))
	case p.Exec != nil:
		return fmt.Sprintf("exec %q", p.Exec.Command)
	default:
		return "probe without an action"
	}
}

func probeURL(action *manifest.HTTPGetAction) string {
	scheme := strings.ToLower(action.Scheme)
	if scheme == "" {
		scheme = "http"
	}
	port := action.Port
	if port == 0 {
		port = manifest.ServicePort
	}

	return scheme + "://" + net.JoinHostPort(containerHost, strconv.Itoa(port)) + action.Path
}

// probeOnce runs the probe once, the way the kubelet does: an HTTP status from 200 to 399,
// an open TCP connection, or a command exiting with status 0, within timeoutSeconds.
func (s *session) probeOnce(ctx context.Context, client *http.Client, p *manifest.Probe) error {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout())
	defer cancel()

	switch {
	case p.HTTPGet != nil:
		status, _, err := s.get(ctx, client, probeURL(p.HTTPGet))
		if err != nil {
			return err
		}
		if status < 200 || status > 399 {
			return &statusError{status: status}
		}
		return nil

	case p.TCPSocket != nil:
		address := net.JoinHostPort(containerHost, strconv.Itoa(p.TCPSocket.Port))
		conn, err := namespaceDialer{path: s.netnsPath()}.DialContext(ctx, "tcp", address)
		if err != nil {
			return describeDialError(err)
		}
		return conn.Close()

	case p.Exec != nil:
		output, err := s.runc(ctx, append([]string{"exec", s.containerID}, p.Exec.Command...)...).CombinedOutput()
		if err != nil {
			return execError(ctx, p.Exec.Command[0], commandError("runc exec", err, output), output)
		}
		return nil

	default:
		return fmt.Errorf("the probe has no httpGet, tcpSocket or exec")
	}
}

// execError classifies the failure of runc exec: the program was not found, the command
// timed out, or it exited with a status other than 0.
func execError(ctx context.Context, program string, err error, output []byte) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%w: %w", ctxErr, err)
	}

	// runc 1.1.5 reports a program it cannot start as `exec failed: unable to start container
	// process: exec: "/bin/true": stat /bin/true: no such file or directory`.
	text := string(output)
	if strings.Contains(text, "unable to start container process") {
		notFound := strings.Contains(text, "no such file or directory") || strings.Contains(text, "executable file not found")
		return &programStartError{program: program, notFound: notFound, err: err}
	}

	return &exitStatusError{err: err}
}

// get sends GET url through client and returns the status and the response, headers
// included, for the secret scan.
func (s *session) get(ctx context.Context, client *http.Client, url string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("User-Agent", probeUserAgent)
	req.Header.Set("Accept", "*/*")

	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, describeDialError(err)
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the response: %w", err)
	}
	header, err := httputil.DumpResponse(resp, false)
	if err != nil {
		return resp.StatusCode, nil, err
	}

	return resp.StatusCode, append(header, body...), nil
}

// checkRootPath runs the "root path" check: GET / returns 200.
func (s *session) checkRootPath(ctx context.Context, client *http.Client) {
	url := "http://" + net.JoinHostPort(containerHost, servicePort) + "/"
	status, response, err := s.getWithTimeout(ctx, client, url)

	switch {
	case err != nil:
		s.report.Fail(CheckRootPath, "GET %s failed: %v; fix: serve plain HTTP on all interfaces at SERVER_PORT", url, s.redactError(err))
	case status != http.StatusOK:
		s.report.Fail(CheckRootPath, "GET %s returned status %d, expected 200; fix: serve the root path", url, status)
	case len(leakedSecrets(s.secrets, response)) > 0:
		s.report.Fail(CheckRootPath, "GET %s shows %s; fix: never put credentials in a response", url, strings.Join(leakedSecrets(s.secrets, response), ", "))
	default:
		s.report.Pass(CheckRootPath, "GET %s returned 200", url)
	}
}

// checkEnvironment runs the "environment secrets" check: GET /environment shows none of the
// placeholder credentials, whatever its status.
func (s *session) checkEnvironment(ctx context.Context, client *http.Client) {
	url := "http://" + net.JoinHostPort(containerHost, servicePort) + "/environment"
	status, response, err := s.getWithTimeout(ctx, client, url)
	if err != nil {
		s.report.Fail(CheckEnvironment, "GET %s failed: %v; fix: serve plain HTTP on all interfaces at SERVER_PORT", url, s.redactError(err))
		return
	}

	if leaked := leakedSecrets(s.secrets, response); len(leaked) > 0 {
		s.report.Fail(CheckEnvironment, "GET %s returned status %d and shows %s; fix: mask credentials in responses (config.Secret encodes as a mask)",
			url, status, strings.Join(leaked, ", "))
		return
	}

	s.report.Pass(CheckEnvironment, "GET %s returned %d, %d bytes without a placeholder credential", url, status, len(response))
}

func (s *session) getWithTimeout(ctx context.Context, client *http.Client, url string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()

	return s.get(ctx, client, url)
}

// redactError masks the secrets in an error's text, for errors that quote a response.
func (s *session) redactError(err error) string {
	if err == nil {
		return "none"
	}

	return redact(s.secrets, err.Error())
}
