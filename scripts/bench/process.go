package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server start-up: how long to wait for the first healthy response, and how often to ask.
const (
	healthTimeout = 10 * time.Second
	healthPoll    = time.Millisecond
	stopTimeout   = 10 * time.Second
)

// server is a program that serves HTTP on 127.0.0.1 at the port in SERVER_PORT.
type server struct {
	label string
	path  string
	args  []string
}

// process is a running server.
type process struct {
	cmd    *exec.Cmd
	port   int
	output *syncBuffer // the tail of standard output and error, shown when something fails
	exited chan struct{}
	err    error // the result of Wait, valid once exited is closed
}

// start runs the server on a free port and waits until /health returns 200. It returns the
// time from just before the program started to the first healthy response.
func (s server) start(ctx context.Context) (*process, time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return nil, 0, err
	}

	cmd := exec.CommandContext(ctx, s.path, s.args...)
	// Only the port and address: without C8Y_* variables the service runs as a local run and
	// never contacts a platform.
	cmd.Env = []string{"SERVER_PORT=" + strconv.Itoa(port), "SERVER_ADDRESS=127.0.0.1"}
	p := &process{cmd: cmd, port: port, output: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = p.output
	cmd.Stderr = p.output

	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, fmt.Errorf("starting %s: %w", s.label, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()

	if err := p.waitHealthy(ctx); err != nil {
		p.kill()
		return nil, 0, fmt.Errorf("starting %s: %w\n%s", s.label, err, lastLines(p.output.String(), 20))
	}
	return p, time.Since(started), nil
}

func (p *process) url(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(p.port) + path
}

// waitHealthy requests /health about every millisecond, on a new connection each time,
// until it returns 200.
func (p *process) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(healthTimeout)
	for {
		resp, err := client.Get(p.url("/health"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}

		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was healthy: %v", p.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(healthPoll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no 200 from %s within %s", p.url("/health"), healthTimeout)
		}
	}
}

// stop sends SIGTERM and waits for the exit. It kills the process when it does not stop
// in time, and reports an exit status other than 0.
func (p *process) stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.kill()
		return fmt.Errorf("stopping process %d: %w", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		p.kill()
		return fmt.Errorf("process %d did not stop within %s of SIGTERM", p.cmd.Process.Pid, stopTimeout)
	}
	if p.err != nil {
		return fmt.Errorf("process %d: %w\n%s", p.cmd.Process.Pid, p.err, lastLines(p.output.String(), 20))
	}
	return nil
}

func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// residentBytes returns the process's resident set size, VmRSS in /proc/PID/status.
func (p *process) residentBytes() (int64, error) {
	path := "/proc/" + strconv.Itoa(p.cmd.Process.Pid) + "/status"
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", path, err)
	}
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		value, found := strings.CutPrefix(scanner.Text(), "VmRSS:")
		if !found {
			continue
		}
		kilobytes, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid VmRSS line %q in %s: %w", scanner.Text(), path, err)
		}
		return kilobytes * 1024, nil
	}
	return 0, fmt.Errorf("no VmRSS line in %s", path)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer listener.Close()
	return listener.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer keeps the last output of a running process, which bench may read while the
// process writes. The service logs a line per request, so only the tail is kept.
type syncBuffer struct {
	mu   sync.Mutex
	tail []byte
}

// outputTail is how much output syncBuffer keeps.
const outputTail = 64 << 10

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tail = append(b.tail, p...)
	if len(b.tail) > 2*outputTail {
		b.tail = append(b.tail[:0], b.tail[len(b.tail)-outputTail:]...)
	}
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.tail)
}
