// Command verify checks the ZIP that go tool task package writes, before it is uploaded.
// It first checks the archive, the manifest, the image and its binary. Then, when run as
// root with runc, skopeo and umoci installed, it starts the image the way the platform does
// and checks the running service.
//
// Usage:
//
//	go run ./scripts/verify [-zip dist/<name>.zip] [-static-only]
//
// It prints one line per check (PASS, FAIL or SKIP with a message) and exits with status 1
// when a check fails, or 2 when the checks could not run. Without root or the tools the
// runtime checks are skipped, unless REQUIRE_RUNTIME_CHECK=1 is set, which makes them fail.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/runtimecheck"
	"hello-microservice/internal/verify"
)

// errChecksFailed is returned by run when a check failed; main exits with status 1.
var errChecksFailed = errors.New("checks failed")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout)
	switch {
	case errors.Is(err, errChecksFailed):
		os.Exit(1)
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "verify: interrupted")
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "verify:", err)
		os.Exit(2)
	}
}

// run checks the ZIP and prints the report to stdout. It returns errChecksFailed when a
// check failed, and another error when the checks could not run.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("verify", flag.ContinueOnError)
	zipPath := flags.String("zip", "", "the `ZIP` to check (default dist/<name>.zip, with the name from ./cumulocity.json)")
	staticOnly := flags.Bool("static-only", false, "check the archive only, without starting the image")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: pass the ZIP with -zip", flags.Args())
	}

	if *zipPath == "" {
		path, err := defaultZIPPath()
		if err != nil {
			return err
		}
		*zipPath = path
	}

	report, err := verify.Archive(ctx, *zipPath)
	if err != nil {
		return err
	}

	switch {
	case *staticOnly:
		report.Skip(runtimecheck.CheckRuntime, "the image was not started (-static-only)")
	case report.Failed():
		report.Skip(runtimecheck.CheckRuntime, "the image was not started because the static checks failed")
	default:
		runtime, err := runtimecheck.Run(ctx, runtimecheck.Options{
			ZIPPath: *zipPath,
			Require: getenv(runtimecheck.RequireVariable) == "1",
		})
		report.Append(runtime)
		if err != nil {
			_ = report.Write(stdout)
			return err
		}
	}

	if err := report.Write(stdout); err != nil {
		return err
	}
	if report.Failed() {
		return errChecksFailed
	}

	return nil
}

// defaultZIPPath returns dist/<name>.zip, where go tool task package writes the ZIP.
func defaultZIPPath() (string, error) {
	m, err := manifest.Load("cumulocity.json")
	if m == nil {
		return "", fmt.Errorf("finding the default ZIP: %w; pass the ZIP with -zip", err)
	}

	return filepath.Join("dist", m.Name+".zip"), nil
}
