package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// endpoints are the paths measured under load, in order.
var endpoints = []string{"/health", "/environment"}

// idleSettle is how long a server sits idle after its first healthy response before its
// resident memory is read.
const idleSettle = 200 * time.Millisecond

// httpResponse is a captured response, in the JSON form the floor server reads.
type httpResponse struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// loadResult is the JSON that scripts/bench/load prints.
type loadResult struct {
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"perSecond"`
	P50Micros  float64 `json:"p50Micros"`
	P99Micros  float64 `json:"p99Micros"`
	FirstError string  `json:"firstError"`
}

// serverRun is one run of one server: start-up, memory and one load per endpoint.
type serverRun struct {
	startup   time.Duration
	idleRSS   int64
	loadedRSS int64
	loads     map[string]loadResult
}

// benchService measures the service and the floor server, alternating run by run.
func benchService(ctx context.Context, ws *workspace, opts options, rep *report, progress io.Writer) error {
	floorBin, loadBin := ws.bin("floor"), ws.bin("load")
	if err := ws.buildHelper(ctx, floorBin, "./scripts/bench/floor"); err != nil {
		return err
	}
	if err := ws.buildHelper(ctx, loadBin, "./scripts/bench/load"); err != nil {
		return err
	}

	service := server{label: "service", path: ws.service}
	floor, err := prepareFloor(ctx, ws, service, floorBin, rep)
	if err != nil {
		return err
	}

	var serviceRuns, floorRuns []serverRun
	for i := range opts.runs {
		for _, s := range []server{service, floor} {
			r, err := measureServer(ctx, s, loadBin, opts)
			if err != nil {
				return fmt.Errorf("run %d: %w", i+1, err)
			}
			fmt.Fprintf(progress, "run %d/%d %-7s %s\n", i+1, opts.runs, s.label, r)
			if s.label == service.label {
				serviceRuns = append(serviceRuns, r)
			} else {
				floorRuns = append(floorRuns, r)
			}
		}
	}

	addServiceMetrics(rep, serviceRuns, floorRuns)
	return nil
}

// prepareFloor captures the service's responses, writes them for the floor server and
// checks that the floor server returns the same status, Content-Type and body.
func prepareFloor(ctx context.Context, ws *workspace, service server, floorBin string, rep *report) (server, error) {
	responses, err := fetchResponses(ctx, service)
	if err != nil {
		return server{}, err
	}
	data, err := json.MarshalIndent(responses, "", "  ")
	if err != nil {
		return server{}, fmt.Errorf("encoding the captured responses: %w", err)
	}
	path := filepath.Join(ws.root, "responses.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return server{}, fmt.Errorf("writing the captured responses: %w", err)
	}

	floor := server{label: "floor", path: floorBin, args: []string{"-responses", path}}
	floorResponses, err := fetchResponses(ctx, floor)
	if err != nil {
		return server{}, err
	}
	for _, endpoint := range endpoints {
		if floorResponses[endpoint] != responses[endpoint] {
			return server{}, fmt.Errorf("floor server returned %+v for %s, expected the service's %+v", floorResponses[endpoint], endpoint, responses[endpoint])
		}
		rep.note("The floor server returned the same status, Content-Type and body as the service for %s: %d, `%s`, %d bytes.",
			endpoint, responses[endpoint].Status, responses[endpoint].ContentType, len(responses[endpoint].Body))
	}
	return floor, nil
}

// fetchResponses starts the server, requests every endpoint once and stops it.
func fetchResponses(ctx context.Context, s server) (map[string]httpResponse, error) {
	p, _, err := s.start(ctx)
	if err != nil {
		return nil, err
	}
	responses := map[string]httpResponse{}
	for _, endpoint := range endpoints {
		r, err := fetch(ctx, p.url(endpoint))
		if err != nil {
			p.kill()
			return nil, fmt.Errorf("%s: %w", s.label, err)
		}
		responses[endpoint] = r
	}
	return responses, p.stop()
}

func fetch(ctx context.Context, url string) (httpResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return httpResponse{}, fmt.Errorf("requesting %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpResponse{}, fmt.Errorf("requesting %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return httpResponse{}, fmt.Errorf("reading the response of %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return httpResponse{}, fmt.Errorf("requesting %s: unexpected status %s", url, resp.Status)
	}
	return httpResponse{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: string(body)}, nil
}

// measureServer starts the server, reads its memory idle, loads each endpoint from a
// separate process, reads its memory again and stops it.
func measureServer(ctx context.Context, s server, loadBin string, opts options) (serverRun, error) {
	p, startup, err := s.start(ctx)
	if err != nil {
		return serverRun{}, err
	}
	r := serverRun{startup: startup, loads: map[string]loadResult{}}
	r.idleRSS, r.loadedRSS, err = loadServer(ctx, p, loadBin, opts, r.loads)
	if err != nil {
		p.kill()
		return serverRun{}, fmt.Errorf("%s: %w", s.label, err)
	}
	if err := p.stop(); err != nil {
		return serverRun{}, fmt.Errorf("%s: %w", s.label, err)
	}
	return r, nil
}

func loadServer(ctx context.Context, p *process, loadBin string, opts options, loads map[string]loadResult) (idle, loaded int64, err error) {
	time.Sleep(idleSettle)
	if idle, err = p.residentBytes(); err != nil {
		return 0, 0, err
	}
	for _, endpoint := range endpoints {
		if loads[endpoint], err = runLoad(ctx, loadBin, p.url(endpoint), opts); err != nil {
			return 0, 0, err
		}
	}
	if loaded, err = p.residentBytes(); err != nil {
		return 0, 0, err
	}
	return idle, loaded, nil
}

// runLoad runs the load generator as its own process against url.
func runLoad(ctx context.Context, loadBin, url string, opts options) (loadResult, error) {
	c := command{
		path: loadBin,
		args: []string{"-url", url, "-connections", strconv.Itoa(opts.connections),
			"-duration", opts.duration.String(), "-warmup", opts.warmup.String(),
			"-max-requests", strconv.FormatInt(opts.maxRequests, 10)},
		timeout: opts.warmup + opts.duration + time.Minute,
	}
	out, _, err := c.run(ctx)
	if err != nil {
		return loadResult{}, err
	}
	var result loadResult
	if err := json.Unmarshal(out, &result); err != nil {
		return loadResult{}, fmt.Errorf("decoding the load result %q: %w", out, err)
	}
	if result.Errors > 0 || result.Requests == 0 {
		return loadResult{}, fmt.Errorf("load on %s: %d of %d requests failed, the first with: %s", url, result.Errors, result.Requests, result.FirstError)
	}
	return result, nil
}

func (r serverRun) String() string {
	s := fmt.Sprintf("healthy after %.1f ms", msOf(r.startup))
	for _, endpoint := range endpoints {
		l := r.loads[endpoint]
		s += fmt.Sprintf(", %s %.0f req/s p99 %.2f ms", endpoint, l.PerSecond, l.P99Micros/1000)
	}
	return s + fmt.Sprintf(", resident %.1f MB idle, %.1f MB after load", megabytes(r.idleRSS), megabytes(r.loadedRSS))
}

// addServiceMetrics adds the figures of both servers and their ratios run by run.
func addServiceMetrics(rep *report, service, floor []serverRun) {
	for _, endpoint := range endpoints {
		perSecond := func(r serverRun) float64 { return r.loads[endpoint].PerSecond }
		p50 := func(r serverRun) float64 { return r.loads[endpoint].P50Micros / 1000 }
		p99 := func(r serverRun) float64 { return r.loads[endpoint].P99Micros / 1000 }

		rep.add(metric{group: "service", name: endpoint + " throughput, service", unit: "req/s", values: collect(service, perSecond)})
		rep.add(metric{group: "service", name: endpoint + " throughput, floor", unit: "req/s", values: collect(floor, perSecond)})
		rep.add(metric{group: "service", name: endpoint + " throughput, service ÷ floor", unit: "ratio",
			values: ratios(collect(service, perSecond), collect(floor, perSecond)),
			target: &target{limit: 0.85, text: "≥ 0.85"}})
		rep.add(metric{group: "service", name: endpoint + " p50 latency, service", unit: "ms", values: collect(service, p50)})
		rep.add(metric{group: "service", name: endpoint + " p50 latency, floor", unit: "ms", values: collect(floor, p50)})
		rep.add(metric{group: "service", name: endpoint + " p99 latency, service", unit: "ms", values: collect(service, p99)})
		rep.add(metric{group: "service", name: endpoint + " p99 latency, floor", unit: "ms", values: collect(floor, p99)})
	}

	startup := func(r serverRun) float64 { return msOf(r.startup) }
	idle := func(r serverRun) float64 { return megabytes(r.idleRSS) }
	loaded := func(r serverRun) float64 { return megabytes(r.loadedRSS) }
	rep.add(metric{group: "service", name: "start to first healthy response, service", unit: "ms", values: collect(service, startup),
		target: &target{limit: 100, atMost: true, text: "≤ 100"}})
	rep.add(metric{group: "service", name: "start to first healthy response, floor", unit: "ms", values: collect(floor, startup)})
	rep.add(metric{group: "service", name: "resident memory idle, service", unit: "MB", values: collect(service, idle)})
	rep.add(metric{group: "service", name: "resident memory idle, floor", unit: "MB", values: collect(floor, idle)})
	rep.add(metric{group: "service", name: "resident memory after load, service", unit: "MB", values: collect(service, loaded),
		target: &target{limit: 15, atMost: true, text: "< 15"}})
	rep.add(metric{group: "service", name: "resident memory after load, floor", unit: "MB", values: collect(floor, loaded)})
}

func collect[T any](runs []T, value func(T) float64) []float64 {
	values := make([]float64, len(runs))
	for i, r := range runs {
		values[i] = value(r)
	}
	return values
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// megabytes converts bytes to MB, 10^6 bytes.
func megabytes(n int64) float64 { return float64(n) / 1e6 }
