package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"hello-microservice/internal/c8y"
)

// Defaults of UploadOptions.
const (
	DefaultIdleTimeout     = 2 * time.Minute
	DefaultResponseTimeout = 10 * time.Minute
)

// UploadOptions configures Upload. Zero durations get the defaults.
type UploadOptions struct {
	// IdleTimeout cancels the upload when no byte of the file has been sent for this long.
	// The upload as a whole has no deadline, so a slow but steady link is never cut off.
	IdleTimeout time.Duration

	// ResponseTimeout cancels the upload when the platform has not responded this long
	// after the whole file was sent. The platform imports the image before it responds,
	// which can take minutes.
	ResponseTimeout time.Duration

	// Progress receives the bytes sent. Nil shows nothing.
	Progress Progress
}

func (o UploadOptions) withDefaults() UploadOptions {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = DefaultResponseTimeout
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	return o
}

// TimeoutError is an upload canceled by the idle timeout or the response timeout.
type TimeoutError struct {
	Idle  bool          // true: no progress while sending; false: no response after sending
	Limit time.Duration // the timeout that expired
	Sent  int64         // the bytes of the file sent
	Total int64         // the size of the file
}

func (e *TimeoutError) Error() string {
	if e.Idle {
		return fmt.Sprintf("upload stalled: no bytes sent for %s, after %s of %s", e.Limit, formatBytes(e.Sent), formatBytes(e.Total))
	}
	return fmt.Sprintf("no response within %s after the whole file (%s) was sent; the platform may still be importing the image", e.Limit, formatBytes(e.Total))
}

// Upload streams the ZIP at zipPath to the application's binaries and returns the
// application as the platform updated it. Memory use does not grow with the file: the
// multipart body is read from disk as it is sent. A failed upload returns the platform's
// error ([*c8y.Error]) or a [*TimeoutError].
func Upload(ctx context.Context, client *c8y.Client, applicationID, zipPath string, opts UploadOptions) (*c8y.Application, error) {
	opts = opts.withDefaults()
	info, err := os.Stat(zipPath)
	if err != nil {
		return nil, fmt.Errorf("reading the ZIP to upload: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", zipPath)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watch := newWatchdog(opts, info.Size(), cancel)
	defer opts.Progress.Done()

	app, err := client.UploadApplicationBinary(ctx, applicationID, c8y.FileUpload{
		FileName:    filepath.Base(zipPath),
		ContentType: "application/zip",
		Size:        info.Size(),
		Open: func() (io.ReadCloser, error) {
			file, err := os.Open(zipPath)
			if err != nil {
				return nil, err
			}
			return &watchedReader{file: file, watch: watch}, nil
		},
	})
	watch.stop()

	if err != nil {
		var timeout *TimeoutError
		if errors.As(context.Cause(ctx), &timeout) {
			return nil, fmt.Errorf("uploading %s to application %s: %w", zipPath, applicationID, timeout)
		}
		return nil, err
	}
	return app, nil
}

// watchedReader counts the bytes read from the file for the watchdog.
type watchedReader struct {
	file  *os.File
	watch *watchdog
}

func (r *watchedReader) Read(p []byte) (int, error) {
	n, err := r.file.Read(p)
	if n > 0 {
		r.watch.add(int64(n))
	}
	return n, err
}

func (r *watchedReader) Close() error { return r.file.Close() }

// watchdog cancels an upload when it stalls: while the file is sent, when no byte was
// read from it for the idle timeout, and after the whole file was read, when no response
// came within the response timeout. One timer serves both phases. When it fires early
// because progress was made meanwhile, it is set again for the time left.
type watchdog struct {
	idle, response time.Duration
	total          int64
	cancel         context.CancelCauseFunc
	progress       Progress

	mu       sync.Mutex
	timer    *time.Timer
	sent     int64
	last     time.Time // the last progress, or the start
	finished time.Time // when the whole file was read; zero before
	stopped  bool
}

func newWatchdog(opts UploadOptions, total int64, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{
		idle:     opts.IdleTimeout,
		response: opts.ResponseTimeout,
		total:    total,
		cancel:   cancel,
		progress: opts.Progress,
		last:     time.Now(),
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	limit := w.idle
	if total == 0 {
		w.finished = w.last
		limit = w.response
	}
	w.timer = time.AfterFunc(limit, w.check)
	return w
}

// add records n more bytes read from the file.
func (w *watchdog) add(n int64) {
	w.mu.Lock()
	w.sent += n
	w.last = time.Now()
	if w.sent >= w.total && w.finished.IsZero() {
		w.finished = w.last
		w.timer.Reset(w.response)
	}
	sent := w.sent
	w.mu.Unlock()

	w.progress.Update(sent, w.total)
}

// check runs when the timer fires: it cancels the upload when the current phase's
// timeout has passed, and otherwise sets the timer for the time left.
func (w *watchdog) check() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}

	idle, limit, since := true, w.idle, w.last
	if !w.finished.IsZero() {
		idle, limit, since = false, w.response, w.finished
	}
	if left := limit - time.Since(since); left > 0 {
		w.timer.Reset(left)
		return
	}

	w.stopped = true
	w.cancel(&TimeoutError{Idle: idle, Limit: limit, Sent: w.sent, Total: w.total})
}

// stop ends the watch once the upload returned.
func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.timer.Stop()
}
