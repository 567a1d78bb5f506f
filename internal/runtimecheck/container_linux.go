//go:build linux

package runtimecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Timeouts of the container's life cycle.
const (
	startTimeout = 10 * time.Second // from runc run to the state "running"
	killTimeout  = 10 * time.Second // from SIGKILL to the end of runc run
	pollInterval = 50 * time.Millisecond
)

// logTailLines is how many lines of the container's log a failure shows.
const logTailLines = 15

// container is a running "runc run" and its outcome.
type container struct {
	cmd     *exec.Cmd
	started time.Time
	logPath string

	// exited is closed when runc run returns; exitCode is valid after that.
	exited   chan struct{}
	exitCode int
}

func (s *session) runcRoot() string {
	return filepath.Join(s.workDir, "runc")
}

func (s *session) runc(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, s.tools.runc, append([]string{"--root", s.runcRoot()}, args...)...)
}

// start runs the "container start" check: runc run starts the bundle and the container
// reaches the state "running".
func (s *session) start(ctx context.Context, bundle string) bool {
	logPath := filepath.Join(s.workDir, "container.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		s.report.Fail(CheckStart, "creating the log file: %v", err)
		return false
	}
	defer logFile.Close()

	// runc run in the foreground forwards signals to the container and exits with its
	// status. Its own process group keeps a Ctrl-C in the terminal away from it, so that
	// cleanup decides how the container ends.
	cmd := exec.Command(s.tools.runc, "--root", s.runcRoot(), "run", "--bundle", bundle, "--no-new-keyring", s.containerID)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		s.report.Fail(CheckStart, "starting runc: %v", err)
		return false
	}

	c := &container{cmd: cmd, started: time.Now(), logPath: logPath, exited: make(chan struct{})}
	s.container = c
	go func() {
		_ = cmd.Wait()
		c.exitCode = cmd.ProcessState.ExitCode()
		close(c.exited)
	}()

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	for {
		state, err := s.state(ctx)
		if err == nil && state.Status == "running" {
			s.report.Pass(CheckStart, "container %s running as pid %d after %s", s.containerID, state.Pid, seconds(time.Since(c.started)))
			return true
		}

		select {
		case <-c.exited:
			s.report.Fail(CheckStart, "the container exited with status %d right after it started; fix: run the image locally and read its log:\n%s",
				c.exitCode, s.logTail())
			return false
		case <-deadline.C:
			s.report.Fail(CheckStart, "the container was not running %s after runc run (last state: %v); log:\n%s", startTimeout, stateText(state, err), s.logTail())
			return false
		case <-ctx.Done():
			return false
		case <-time.After(pollInterval):
		}
	}
}

// containerState is the part of runc state's output the check reads.
type containerState struct {
	Status string `json:"status"`
	Pid    int    `json:"pid"`
}

func (s *session) state(ctx context.Context) (containerState, error) {
	output, err := s.runc(ctx, "state", s.containerID).Output()
	if err != nil {
		return containerState{}, err
	}

	var state containerState
	if err := json.Unmarshal(output, &state); err != nil {
		return containerState{}, fmt.Errorf("decoding runc state: %w", err)
	}

	return state, nil
}

func stateText(state containerState, err error) string {
	if err != nil {
		return err.Error()
	}

	return state.Status
}

// stop runs the "graceful stop" check: after SIGTERM the service exits with status 0
// within the grace period. A container still running then is killed.
func (s *session) stop(ctx context.Context) {
	c := s.container
	select {
	case <-c.exited:
		s.report.Fail(CheckStop, "the container had already exited with status %d before SIGTERM; fix: keep the service running until SIGTERM; log:\n%s", c.exitCode, s.logTail())
		return
	default:
	}

	sent := time.Now()
	if output, err := s.runc(ctx, "kill", s.containerID, "TERM").CombinedOutput(); err != nil {
		s.report.Fail(CheckStop, "sending SIGTERM: %v", commandError("runc kill", err, output))
		return
	}

	grace := time.NewTimer(GracePeriod)
	defer grace.Stop()
	select {
	case <-c.exited:
	case <-grace.C:
		s.report.Fail(CheckStop, "the service was still running %s after SIGTERM, so the platform would kill it; fix: on SIGTERM, stop accepting requests, finish those in flight and return from main", GracePeriod)
		return
	case <-ctx.Done():
		return
	}

	took := time.Since(sent)
	if c.exitCode != 0 {
		s.report.Fail(CheckStop, "the service exited with status %d, %s after SIGTERM; fix: treat SIGTERM as a normal stop and exit with status 0; log:\n%s", c.exitCode, seconds(took), s.logTail())
		return
	}

	s.report.Pass(CheckStop, "exited with status 0, %s after SIGTERM (grace period %s)", seconds(took), GracePeriod)
}

// kill ends the container if it still runs and deletes it.
func (c *container) kill(ctx context.Context, s *session) {
	select {
	case <-c.exited:
	default:
		_ = s.runc(ctx, "kill", s.containerID, "KILL").Run()
		select {
		case <-c.exited:
		case <-time.After(killTimeout):
			_ = c.cmd.Process.Kill()
		}
	}

	// runc run deletes the container when it ends normally; this catches the other cases.
	_ = s.runc(ctx, "delete", "--force", s.containerID).Run()
}

// logTail returns the last lines of the container's log, with the secrets masked.
func (s *session) logTail() string {
	data, err := os.ReadFile(s.container.logPath)
	if err != nil {
		return fmt.Sprintf("(reading the log: %v)", err)
	}

	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return "(the log is empty)"
	}

	return redact(s.secrets, strings.Join(lines, "\n"))
}

// checkLog runs the "log secrets" check: the container's log contains none of the
// placeholder credentials.
func (s *session) checkLog() {
	data, err := os.ReadFile(s.container.logPath)
	if err != nil {
		s.report.Fail(CheckLog, "reading the container's log: %v", err)
		return
	}

	if leaked := leakedSecrets(s.secrets, data); len(leaked) > 0 {
		s.report.Fail(CheckLog, "the container's log contains %s; fix: never log credentials or Authorization headers (use config.Secret for such values)",
			strings.Join(leaked, ", "))
		return
	}

	s.report.Pass(CheckLog, "%d bytes of log, no placeholder credential in them", len(data))
}

// seconds formats a duration in seconds with two decimals.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}
