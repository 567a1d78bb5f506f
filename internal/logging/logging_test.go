package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/logging"
)

// lockedBuffer is a bytes.Buffer that the test can read while the Writer flushes into it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestInfoWaitsForFlush(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	w := logging.NewWriter(&out)
	logger := logging.NewLogger(w)

	logger.Info("request", "path", "/health")
	if out.String() != "" {
		t.Fatalf("info line written before a flush: %q", out.String())
	}

	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(out.String()), &line); err != nil {
		t.Fatalf("flushed output is not one JSON line: %v: %q", err, out.String())
	}
	if line["path"] != "/health" {
		t.Errorf("path = %v, want /health", line["path"])
	}
}

func TestWarnWrittenAtOnce(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	logger := logging.NewLogger(logging.NewWriter(&out))

	logger.Info("first")
	logger.With("component", "server").Warn("second")

	got := out.String()
	if !strings.Contains(got, `"msg":"first"`) || !strings.Contains(got, `"msg":"second"`) {
		t.Errorf("a warning did not flush the lines before it and itself: %q", got)
	}
	if !strings.Contains(got, `"component":"server"`) {
		t.Errorf("attributes added with With are missing: %q", got)
	}
}

func TestRunFlushesPeriodically(t *testing.T) {
	t.Parallel()
	var out lockedBuffer
	w := logging.NewWriter(&out)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		w.Run(ctx)
		close(done)
	}()

	logging.NewLogger(w).Info("request")
	deadline := time.Now().Add(5 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if out.String() == "" {
		t.Fatal("Run did not flush a buffered line within 5 s")
	}

	// A line logged just before the stop is written by Run's last flush.
	logging.NewLogger(w).Info("last")
	cancel()
	<-done
	if !strings.Contains(out.String(), `"msg":"last"`) {
		t.Errorf("the line before the stop was lost: %q", out.String())
	}
}
