// Command load sends GET requests to one URL on 127.0.0.1 over a fixed number of
// keep-alive connections for a fixed time, and prints the throughput and latency as JSON.
//
// Usage:
//
//	load -url http://127.0.0.1:8080/health [-connections 32] [-duration 5s] [-warmup 500ms] [-max-requests 1000000]
//
// Each connection sends one request, reads the whole response and sends the next, so the
// number of requests in flight equals the number of connections. Requests sent during the
// warm-up are not counted. The run ends when the duration has passed or when max-requests
// requests were counted, whichever comes first. Any status other than 200 counts as an
// error.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Result is the JSON that load prints.
type Result struct {
	Requests   int64   `json:"requests"`   // counted requests, with errors
	Errors     int64   `json:"errors"`     // failed requests and statuses other than 200
	Seconds    float64 `json:"seconds"`    // length of the counted window
	PerSecond  float64 `json:"perSecond"`  // Requests / Seconds
	P50Micros  float64 `json:"p50Micros"`  // median latency, in microseconds
	P99Micros  float64 `json:"p99Micros"`  // 99th percentile latency, in microseconds
	BodyBytes  int64   `json:"bodyBytes"`  // body bytes read in the counted window
	FirstError string  `json:"firstError"` // the first error seen, empty when none
}

// settings holds the command line.
type settings struct {
	target      *url.URL
	connections int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int64
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	s, err := parseSettings(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	result := generate(ctx, s)
	if err := json.NewEncoder(os.Stdout).Encode(result); err != nil {
		fmt.Fprintln(os.Stderr, "load: writing the result:", err)
		os.Exit(1)
	}
}

func parseSettings(args []string) (settings, error) {
	flags := flag.NewFlagSet("load", flag.ContinueOnError)
	rawURL := flags.String("url", "", "URL to request; the host must be 127.0.0.1")
	connections := flags.Int("connections", 32, "number of keep-alive connections, each with one request in flight")
	duration := flags.Duration("duration", 5*time.Second, "length of the counted window")
	warmup := flags.Duration("warmup", 500*time.Millisecond, "time to send requests before counting starts")
	maxRequests := flags.Int64("max-requests", 1_000_000, "maximum number of counted requests")
	if err := flags.Parse(args); err != nil {
		return settings{}, err
	}

	target, err := url.Parse(*rawURL)
	if err != nil {
		return settings{}, fmt.Errorf("invalid -url %q: %w", *rawURL, err)
	}
	if target.Scheme != "http" || target.Hostname() != "127.0.0.1" || target.Port() == "" {
		return settings{}, fmt.Errorf("invalid -url %q: use http://127.0.0.1:PORT/PATH, because load only sends to the loopback address", *rawURL)
	}
	if *connections < 1 || *duration <= 0 || *warmup < 0 || *maxRequests < 1 {
		return settings{}, errors.New("invalid settings: -connections, -duration and -max-requests must be positive, -warmup not negative")
	}
	return settings{target: target, connections: *connections, duration: *duration, warmup: *warmup, maxRequests: *maxRequests}, nil
}

// window is the counted part of the run, shared by all connections.
type window struct {
	start, end time.Time
	budget     atomic.Int64 // counted requests left
}

// tally holds the measurements of one connection.
type tally struct {
	latencies  []time.Duration
	errors     int64
	bodyBytes  int64
	firstError error
	stopped    time.Time
}

func generate(ctx context.Context, s settings) Result {
	now := time.Now()
	w := &window{start: now.Add(s.warmup), end: now.Add(s.warmup + s.duration)}
	w.budget.Store(s.maxRequests)

	// Stop connections that hang, so that no request outlives the window by more than 10 s.
	ctx, cancel := context.WithDeadline(ctx, w.end.Add(10*time.Second))
	defer cancel()

	request := []byte("GET " + s.target.RequestURI() + " HTTP/1.1\r\nHost: " + s.target.Host + "\r\nUser-Agent: bench-load\r\n\r\n")
	tallies := make([]tally, s.connections)
	var wg sync.WaitGroup
	for i := range tallies {
		wg.Go(func() { tallies[i] = drive(ctx, s.target.Host, request, w) })
	}
	wg.Wait()
	return summarize(tallies, w.start)
}

// drive sends requests over one connection, reconnecting after an error or a close, until
// the window ends or the budget is spent.
func drive(ctx context.Context, host string, request []byte, w *window) (t tally) {
	var conn *connection
	defer func() {
		if conn != nil {
			conn.close()
		}
		t.stopped = time.Now()
	}()

	for ctx.Err() == nil {
		started := time.Now()
		if !started.Before(w.end) {
			return t
		}
		counted := !started.Before(w.start)
		if counted && w.budget.Add(-1) < 0 {
			return t
		}

		if conn == nil {
			var err error
			if conn, err = dial(ctx, host); err != nil {
				t.fail(counted, err)
				time.Sleep(time.Millisecond)
				continue
			}
		}
		bodyBytes, keep, err := conn.roundTrip(request)
		if !keep {
			conn.close()
			conn = nil
		}
		if !counted {
			continue
		}
		if err != nil {
			t.fail(counted, err)
			continue
		}
		t.latencies = append(t.latencies, time.Since(started))
		t.bodyBytes += bodyBytes
	}
	return t
}

func (t *tally) fail(counted bool, err error) {
	if !counted {
		return
	}
	t.errors++
	if t.firstError == nil {
		t.firstError = err
	}
}

// connection is one keep-alive connection with its buffers.
type connection struct {
	conn   net.Conn
	reader *bufio.Reader
}

func dial(ctx context.Context, host string) (*connection, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", host, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	return &connection{conn: conn, reader: bufio.NewReaderSize(conn, 16<<10)}, nil
}

// roundTrip sends one request and reads the whole response. keep reports whether the
// connection can carry the next request.
func (c *connection) roundTrip(request []byte) (bodyBytes int64, keep bool, err error) {
	if _, err := c.conn.Write(request); err != nil {
		return 0, false, fmt.Errorf("sending the request: %w", err)
	}
	resp, err := http.ReadResponse(c.reader, nil)
	if err != nil {
		return 0, false, fmt.Errorf("reading the response: %w", err)
	}
	bodyBytes, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false, fmt.Errorf("reading the response body: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, !resp.Close, fmt.Errorf("unexpected status %s", resp.Status)
	}
	return bodyBytes, !resp.Close, nil
}

func (c *connection) close() { c.conn.Close() }

// summarize merges the tallies. The counted window ends when the last connection stopped.
func summarize(tallies []tally, start time.Time) Result {
	var result Result
	var latencies []time.Duration
	stopped := start
	for _, t := range tallies {
		latencies = append(latencies, t.latencies...)
		result.Errors += t.errors
		result.BodyBytes += t.bodyBytes
		if t.firstError != nil && result.FirstError == "" {
			result.FirstError = t.firstError.Error()
		}
		if t.stopped.After(stopped) {
			stopped = t.stopped
		}
	}

	result.Requests = int64(len(latencies)) + result.Errors
	result.Seconds = stopped.Sub(start).Seconds()
	if result.Seconds > 0 {
		result.PerSecond = float64(result.Requests) / result.Seconds
	}
	slices.Sort(latencies)
	result.P50Micros = micros(percentile(latencies, 0.50))
	result.P99Micros = micros(percentile(latencies, 0.99))
	return result
}

// percentile returns the nearest-rank percentile of sorted values, 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
