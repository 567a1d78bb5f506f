package deploy_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/config"
	"hello-microservice/internal/deploy"
)

// zerosDigest returns the hex SHA-256 of size zero bytes.
func zerosDigest(t *testing.T, size int64) string {
	t.Helper()
	hash := sha256.New()
	if _, err := io.CopyN(hash, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(hash.Sum(nil))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// recordingProgress records the updates of an upload.
type recordingProgress struct {
	mu      sync.Mutex
	updates int
	sent    int64
	gaps    []time.Duration // the pauses between updates
	last    time.Time
	done    bool
}

func (r *recordingProgress) Update(sent, total int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if !r.last.IsZero() {
		r.gaps = append(r.gaps, now.Sub(r.last))
	}
	r.last = now
	r.updates++
	r.sent = sent
}

func (r *recordingProgress) Done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done = true
}

func (r *recordingProgress) maxGap() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	longest := time.Duration(0)
	for _, gap := range r.gaps {
		longest = max(longest, gap)
	}
	return longest
}

// TestUploadLargeBoundedMemory streams a 200 MiB file and checks that the process allocates
// far less than the file in the meantime, so nothing holds the file in memory. It does not
// run in parallel, because other tests' allocations would count too.
func TestUploadLargeBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 200 MiB upload in -short mode")
	}
	const size = 200 << 20
	const limit = 64 << 20
	p := startPlatform(t, c8yfake.Options{}, false)
	appID := p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	zipPath := sparseFile(t, size)
	want := zerosDigest(t, size)

	// Sample the heap while the upload runs, to report its peak.
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var stats runtime.MemStats
		for {
			runtime.ReadMemStats(&stats)
			if stats.HeapInuse > peak.Load() {
				peak.Store(stats.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	progress := &recordingProgress{}
	_, err := deploy.Upload(t.Context(), p.client, appID, zipPath, deploy.UploadOptions{Progress: progress})
	runtime.ReadMemStats(&after)
	close(stop)
	<-sampled
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}

	uploads := p.fake.Uploads()
	if len(uploads) != 1 || uploads[0].Size != size || uploads[0].SHA256 != want {
		t.Fatalf("uploads = %+v, want %d zero bytes", uploads, size)
	}
	if uploads[0].ContentLength <= size {
		t.Errorf("Content-Length = %d, want the file and the multipart framing", uploads[0].ContentLength)
	}
	if progress.sent != size || !progress.done {
		t.Errorf("progress reached %d bytes, done %v; want %d and done", progress.sent, progress.done, size)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("uploaded %d MiB: %d KiB allocated by the client and the fake together, heap in use at most %d MiB",
		size>>20, allocated>>10, peak.Load()>>20)
	if allocated > limit {
		t.Errorf("allocated %d MiB during a %d MiB upload, want under %d MiB", allocated>>20, size>>20, limit>>20)
	}
	if peak.Load() > before.HeapInuse+limit {
		t.Errorf("heap in use peaked at %d MiB, from %d MiB before, want under %d MiB more", peak.Load()>>20, before.HeapInuse>>20, limit>>20)
	}
}

func TestUploadSlowNotCutOff(t *testing.T) {
	t.Parallel()
	const size = 6 << 20
	const idle = 700 * time.Millisecond
	fake := c8yfake.New(c8yfake.Options{UploadRate: 3 << 20})
	srv := httptest.NewUnstartedServer(fake)
	transport := smallBuffers(srv, 64<<10)
	srv.Start()
	t.Cleanup(srv.Close)
	p := connect(t, fake, srv, false, c8y.WithTransport(transport))
	appID := fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	progress := &recordingProgress{}

	start := time.Now()
	_, err := deploy.Upload(t.Context(), p.client, appID, sparseFile(t, size), deploy.UploadOptions{IdleTimeout: idle, Progress: progress})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Upload at 3 MiB/s with an idle timeout of %s: %v", idle, err)
	}
	t.Logf("uploaded %d MiB in %s, longest pause between progress updates %s", size>>20, elapsed, progress.maxGap())
	if elapsed < 2*idle {
		t.Errorf("upload took %s, want it to take longer than the idle timeout %s for this test to mean something", elapsed, idle)
	}
	if got := fake.Uploads(); len(got) != 1 || got[0].Size != size {
		t.Errorf("uploads = %+v, want %d bytes", got, size)
	}
}

func TestUploadIdleCutOff(t *testing.T) {
	t.Parallel()
	const idle = 300 * time.Millisecond
	p := startPlatform(t, c8yfake.Options{}, false)
	appID := p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	// The fake holds the request for a while without reading its body. It notices no
	// disconnect before it reads, so the delay is only as long as the test can wait.
	const hold = 3 * time.Second
	p.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/application/applications/*/binaries", Delay: hold})

	start := time.Now()
	_, err := deploy.Upload(t.Context(), p.client, appID, sparseFile(t, 64<<20), deploy.UploadOptions{IdleTimeout: idle})
	elapsed := time.Since(start)

	var timeout *deploy.TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("error = %v, want a *deploy.TimeoutError", err)
	}
	if !timeout.Idle || timeout.Limit != idle || timeout.Sent >= timeout.Total {
		t.Errorf("timeout = %+v, want the idle timeout %s before the whole file was sent", timeout, idle)
	}
	if !strings.Contains(err.Error(), "upload stalled: no bytes sent for 300ms") {
		t.Errorf("error = %q, want it to say the upload stalled", err)
	}
	if elapsed >= hold-time.Second {
		t.Errorf("Upload took %s, want it cut off about %s after the last progress, well before the fake's hold of %s ends", elapsed, idle, hold)
	}
}

func TestUploadResponseTimeout(t *testing.T) {
	t.Parallel()
	const response = 300 * time.Millisecond
	// The server reads the whole upload, then never responds.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	client, err := c8y.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	client = client.WithAuth(c8y.Credentials{Tenant: "t100", User: "admin", Password: config.Secret("x")})

	_, err = deploy.Upload(t.Context(), client, "1", sparseFile(t, 1<<20), deploy.UploadOptions{ResponseTimeout: response})
	var timeout *deploy.TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("error = %v, want a *deploy.TimeoutError", err)
	}
	if timeout.Idle || timeout.Limit != response || timeout.Sent != timeout.Total {
		t.Errorf("timeout = %+v, want the response timeout after the whole file", timeout)
	}
	if !strings.Contains(err.Error(), "no response within 300ms") {
		t.Errorf("error = %q, want it to say no response came", err)
	}
}

func TestUploadMissingFile(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, false)
	_, err := deploy.Upload(t.Context(), p.client, "1", "/nonexistent/hello.zip", deploy.UploadOptions{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/hello.zip") {
		t.Errorf("error = %v, want one naming the file", err)
	}
	if got := len(p.fake.Requests()); got != 0 {
		t.Errorf("sent %d requests, want none", got)
	}
}
