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
	"io/fs"
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

// manifestPath is the manifest whose name gives the default ZIP.
const manifestPath = "cumulocity.json"

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
		path, err := defaultZIPPath(manifestPath)
		if err != nil {
			return err
		}
		*zipPath = path
	}
	if err := explainMissingZIP(*zipPath, manifestPath); err != nil {
		return err
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

// defaultZIPPath returns dist/<name>.zip, where go tool task package writes the ZIP, with
// the name from the manifest at manifestPath. It returns the manifest's problem when the
// manifest cannot be read or its name is invalid.
func defaultZIPPath(manifestPath string) (string, error) {
	m, err := manifest.Load(manifestPath)
	if m == nil || hasViolation(err, "name") {
		return "", fmt.Errorf("cannot name the default ZIP dist/<name>.zip (pass one with -zip): %w", err)
	}

	return filepath.Join("dist", m.Name+".zip"), nil
}

// explainMissingZIP returns an error naming the manifest's problem when the ZIP at zipPath
// does not exist and the manifest at manifestPath exists but is invalid. go tool task
// package writes no ZIP for an invalid manifest, and a missing name gives the path
// dist/.zip, so the manifest is the thing to fix.
func explainMissingZIP(zipPath, manifestPath string) error {
	if _, err := os.Stat(zipPath); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}

	_, err := manifest.Load(manifestPath)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}

	return fmt.Errorf("%s does not exist, and go tool task package writes no ZIP until %s is fixed: %w", zipPath, manifestPath, err)
}

// hasViolation reports whether err is a *manifest.ValidationError with a violation of field.
func hasViolation(err error, field string) bool {
	var invalid *manifest.ValidationError
	if !errors.As(err, &invalid) {
		return false
	}

	for _, violation := range invalid.Violations {
		if violation.Field == field {
			return true
		}
	}

	return false
}
