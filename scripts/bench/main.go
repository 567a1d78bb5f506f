// Command bench measures the service and its build. It compares the service's throughput,
// latency, memory and start-up time with a bare net/http server that returns the same
// bytes, times `task package` against ko's own command line, and measures the binary, the
// image and the ZIP. It prints a table and writes the results as Markdown.
//
// Usage:
//
//	go run ./scripts/bench [-runs 5] [-duration 5s] [-connections 32] [-only service,build,size] [-out docs/benchmarks-results.md]
//
// Every figure is measured once per run, and the two sides of a comparison alternate
// within a run, so a ratio is taken from measurements seconds apart. The load only goes to
// 127.0.0.1. docs/benchmarks.md describes the method.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// groups lists the benchmark groups in the order they run.
var groups = []string{"service", "build", "size"}

// options is the command line.
type options struct {
	dir         string
	out         string
	runs        int
	duration    time.Duration
	warmup      time.Duration
	connections int
	maxRequests int64
	only        []string
	timeout     time.Duration
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, progress io.Writer) error {
	opts, err := parseOptions(args)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()

	rep := &report{machine: describeMachine(ctx, opts.dir), settings: opts.describe()}
	fmt.Fprintf(progress, "copying %s and building the service\n", opts.dir)
	ws, err := newWorkspace(ctx, opts.dir, progress)
	if err != nil {
		return err
	}
	defer ws.remove()

	for _, group := range opts.only {
		fmt.Fprintf(progress, "== %s\n", group)
		if err := runGroup(ctx, group, ws, opts, rep, progress); err != nil {
			return fmt.Errorf("%s benchmark: %w", group, err)
		}
	}
	rep.machine.loadEnd = loadAverage()

	fmt.Fprintln(stdout)
	if err := rep.printTable(stdout); err != nil {
		return fmt.Errorf("printing the table: %w", err)
	}
	if opts.out == "" {
		return nil
	}
	if err := rep.writeMarkdown(opts.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", opts.out)
	return nil
}

func runGroup(ctx context.Context, group string, ws *workspace, opts options, rep *report, progress io.Writer) error {
	switch group {
	case "service":
		return benchService(ctx, ws, opts, rep, progress)
	case "build":
		return benchBuild(ctx, ws, opts, rep, progress)
	case "size":
		return benchSize(ctx, ws, opts, rep, progress)
	}
	return fmt.Errorf("unknown group %q", group)
}

func parseOptions(args []string) (options, error) {
	var opts options
	flags := flag.NewFlagSet("bench", flag.ContinueOnError)
	flags.StringVar(&opts.dir, "dir", ".", "project `folder` to measure; bench works on a copy")
	flags.StringVar(&opts.out, "out", "docs/benchmarks-results.md", "Markdown `file` for the results; empty writes none")
	flags.IntVar(&opts.runs, "runs", 5, "runs per figure; the report shows their minimum, median and maximum")
	flags.DurationVar(&opts.duration, "duration", 5*time.Second, "load time per server, endpoint and run")
	flags.DurationVar(&opts.warmup, "warmup", 500*time.Millisecond, "load time before each counted window")
	flags.IntVar(&opts.connections, "connections", 32, "concurrent keep-alive connections of the load")
	flags.Int64Var(&opts.maxRequests, "max-requests", 1_000_000, "maximum counted requests per load window")
	only := flags.String("only", strings.Join(groups, ","), "comma-separated `groups` to run: service, build, size")
	flags.DurationVar(&opts.timeout, "timeout", 30*time.Minute, "time after which bench stops, whatever it is doing")
	if err := flags.Parse(args); err != nil {
		return options{}, err
	}
	if flags.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q: bench takes flags only", flags.Arg(0))
	}

	for group := range strings.SplitSeq(*only, ",") {
		group = strings.TrimSpace(group)
		if !slices.Contains(groups, group) {
			return options{}, fmt.Errorf("invalid -only group %q: use service, build or size", group)
		}
		if !slices.Contains(opts.only, group) {
			opts.only = append(opts.only, group)
		}
	}
	if opts.runs < 1 || opts.duration <= 0 || opts.warmup < 0 || opts.connections < 1 || opts.maxRequests < 1 || opts.timeout <= 0 {
		return options{}, errors.New("invalid options: -runs, -duration, -connections, -max-requests and -timeout must be positive, -warmup not negative")
	}
	return opts, nil
}

// describe returns the settings as lines for the report.
func (o options) describe() []string {
	return []string{
		fmt.Sprintf("runs per figure: %d; groups: %s", o.runs, strings.Join(o.only, ", ")),
		fmt.Sprintf("load: %d keep-alive connections from a separate process on 127.0.0.1, %s warm-up and %s counted per server, endpoint and run, at most %d counted requests",
			o.connections, o.warmup, o.duration, o.maxRequests),
	}
}
