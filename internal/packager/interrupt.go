package packager

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
)

// InterruptedError is the error of a Package call that was canceled or whose go command a
// signal stopped. Package then leaves nothing new in the output folder.
type InterruptedError struct {
	// OutDir is the output folder as the caller named it, such as "dist/".
	OutDir string

	// Err is ctx.Err(), or the build's error when only the go command received the signal.
	Err error
}

// Error states that nothing was written, without the build's own error: ko v0.19.1 formats it as
// "go build: signal: interrupt: " with the empty output of the stopped command.
func (e *InterruptedError) Error() string {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return "timed out: nothing was written to " + e.OutDir
	}

	return "interrupted: nothing was written to " + e.OutDir
}

func (e *InterruptedError) Unwrap() error {
	return e.Err
}

// interrupted reports whether err comes from a canceled ctx or from a go command that
// SIGINT or SIGTERM stopped. A Ctrl-C in a terminal reaches the go command as well, which may
// exit before the signal handler cancels ctx.
func interrupted(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return false
	}

	status, ok := exitErr.Sys().(syscall.WaitStatus)
	return ok && status.Signaled() && (status.Signal() == syscall.SIGINT || status.Signal() == syscall.SIGTERM)
}

func newInterruptedError(ctx context.Context, opts Options, err error) *InterruptedError {
	outDir := opts.OutDir
	if outDir == "" {
		outDir = filepath.Join(opts.Dir, "dist")
	}

	cause := ctx.Err()
	if cause == nil {
		cause = err
	}

	return &InterruptedError{OutDir: filepath.Clean(outDir) + string(filepath.Separator), Err: cause}
}
