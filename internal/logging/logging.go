// Package logging writes the service's JSON log lines through a buffer, so that the line
// logged for every request costs a copy instead of a write system call.
package logging

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// FlushInterval is how long a buffered line waits at most before it is written.
const FlushInterval = 100 * time.Millisecond

// bufferSize holds a few hundred request lines, so a busy service writes about 10 times
// a second rather than once per request.
const bufferSize = 64 << 10

// Writer buffers log lines for an underlying writer such as os.Stdout. Lines reach it
// when the buffer is full, at every FlushInterval while Run runs, on Flush, and at once
// for records at level Warn or above (see NewLogger). It is safe for concurrent use.
//
// NOTE: a process killed by the kernel (SIGKILL, the out-of-memory killer) loses the lines
// of its last FlushInterval. Go's own fatal errors and panics are written to stderr
// directly and are not affected.
type Writer struct {
	mu  sync.Mutex
	buf *bufio.Writer
}

// NewWriter returns a Writer that buffers lines for w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{buf: bufio.NewWriterSize(w, bufferSize)}
}

// Write buffers p.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// Flush writes the buffered lines.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Flush()
}

// Run flushes the buffer every FlushInterval until ctx is done, then once more.
func (w *Writer) Run(ctx context.Context) {
	ticker := time.NewTicker(FlushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			w.Flush()
		case <-ctx.Done():
			w.Flush()
			return
		}
	}
}

// NewLogger returns a JSON logger that writes through w and flushes w after every record
// at level Warn or above, so that warnings and errors are never delayed.
func NewLogger(w *Writer) *slog.Logger {
	return slog.New(flushingHandler{Handler: slog.NewJSONHandler(w, nil), writer: w})
}

// flushingHandler flushes its Writer after records at level Warn or above.
type flushingHandler struct {
	slog.Handler
	writer *Writer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if flushErr := h.writer.Flush(); err == nil {
			err = flushErr
		}
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithAttrs(attrs), writer: h.writer}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithGroup(name), writer: h.writer}
}
