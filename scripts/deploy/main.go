// Command deploy uploads the microservice ZIP to Cumulocity and subscribes the tenant. It
// runs the pre-flight checks on the ZIP, finds the application of the manifest's name that
// the tenant owns or creates it, streams the upload, subscribes the tenant and waits until
// the platform reports the service up.
//
// Usage:
//
//	go run ./scripts/deploy [-zip dist/<name>.zip] [-dry-run] [-no-wait]
//	    [-idle-timeout 2m] [-response-timeout 10m] [-wait-timeout 5m]
//
// The platform and the credentials come from the environment or the git-ignored .env, with
// go-c8y-cli's names: C8Y_HOST (or C8Y_BASEURL), C8Y_TENANT, C8Y_USER and C8Y_PASSWORD, or
// C8Y_TOKEN.
//
// The exit status is 0 when the service is deployed (and up, unless -no-wait), 1 when the
// deploy failed and 2 for invalid arguments. It is 3 when the upload and the subscription
// succeeded but the service did not report up within -wait-timeout.
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
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/credentials"
	"hello-microservice/internal/deploy"
	"hello-microservice/internal/manifest"
)

// Exit statuses.
const (
	exitFailed = 1
	exitUsage  = 2
	exitNotUp  = 3
)

// environment is the part of the process that run uses, replaced in tests.
type environment struct {
	lookup   func(string) (string, bool) // reads an environment variable, like os.LookupEnv
	dotenv   string                      // the .env file with credentials
	stdout   io.Writer                   // the steps
	stderr   io.Writer                   // progress and errors
	terminal bool                        // stderr is a terminal, so progress is drawn as a bar

	check         func(ctx context.Context, zipPath string) error // nil: the pre-flight checks
	clientOptions []c8y.Option
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	os.Exit(run(ctx, os.Args[1:], environment{
		lookup:   os.LookupEnv,
		dotenv:   ".env",
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		terminal: isTerminal(os.Stderr),
	}))
}

// run deploys and returns the exit status.
func run(ctx context.Context, args []string, env environment) int {
	flags := flag.NewFlagSet("deploy", flag.ContinueOnError)
	flags.SetOutput(env.stderr)
	zipPath := flags.String("zip", "", "the `ZIP` to deploy (default dist/<name>.zip, with the name from ./cumulocity.json)")
	dryRun := flags.Bool("dry-run", false, "print what would happen and change nothing: only read from the platform")
	noWait := flags.Bool("no-wait", false, "end after the subscription, without waiting for the service to come up")
	idleTimeout := flags.Duration("idle-timeout", deploy.DefaultIdleTimeout, "cancel the upload when no byte was sent for this `duration`")
	responseTimeout := flags.Duration("response-timeout", deploy.DefaultResponseTimeout,
		"cancel the upload when the platform has not responded this `duration` after the whole ZIP was sent (it imports the image first)")
	waitTimeout := flags.Duration("wait-timeout", deploy.DefaultWaitTimeout, "how long to wait for the service to come up, as a `duration`")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if err := checkArguments(flags, *idleTimeout, *responseTimeout, *waitTimeout); err != nil {
		fmt.Fprintln(env.stderr, "deploy:", err)
		return exitUsage
	}

	if *zipPath == "" {
		path, err := defaultZIPPath()
		if err != nil {
			fmt.Fprintln(env.stderr, "deploy:", err)
			return exitUsage
		}
		*zipPath = path
	}

	creds, err := credentials.Load(env.lookup, env.dotenv)
	if err != nil {
		fmt.Fprintln(env.stderr, "deploy:", err)
		return exitFailed
	}
	client, err := deploy.NewClient(creds, env.clientOptions...)
	if err != nil {
		fmt.Fprintln(env.stderr, "deploy:", err)
		return exitFailed
	}

	_, err = deploy.Run(ctx, client, deploy.Options{
		ZIPPath:         *zipPath,
		DryRun:          *dryRun,
		NoWait:          *noWait,
		IdleTimeout:     *idleTimeout,
		ResponseTimeout: *responseTimeout,
		WaitTimeout:     *waitTimeout,
		Check:           env.check,
		Out:             env.stdout,
		Progress:        deploy.NewProgress(env.stderr, env.terminal),
	})
	return report(env.stderr, err, creds.BaseURL)
}

// checkArguments rejects positional arguments and durations that are not positive.
func checkArguments(flags *flag.FlagSet, durations ...time.Duration) error {
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: pass the ZIP with -zip", flags.Args())
	}
	for _, d := range durations {
		if d <= 0 {
			return fmt.Errorf("invalid duration %s: the timeouts must be positive", d)
		}
	}
	return nil
}

// report prints the error of a deploy with what to do about it and returns the exit
// status.
func report(stderr io.Writer, err error, baseURL string) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "deploy: interrupted")
		return exitFailed
	}
	if deploy.IsWaitError(err) {
		fmt.Fprintf(stderr, "deploy: the upload and the subscription succeeded, but %v\n", err)
		fmt.Fprintln(stderr, "deploy: check the service's status and logs in Administration, Ecosystem, Microservices")
		if hint := deploy.Hint(err, baseURL); hint != "" {
			fmt.Fprintln(stderr, "deploy:", hint)
		}
		return exitNotUp
	}

	fmt.Fprintln(stderr, "deploy:", err)
	var timeout *deploy.TimeoutError
	switch {
	case errors.As(err, &timeout) && timeout.Idle:
		fmt.Fprintln(stderr, "deploy: check the network, or raise -idle-timeout for a link that pauses this long")
	case errors.As(err, &timeout):
		fmt.Fprintln(stderr, "deploy: check in Administration, Ecosystem, Microservices whether the upload arrived, or raise -response-timeout")
	default:
		if hint := deploy.Hint(err, baseURL); hint != "" {
			fmt.Fprintln(stderr, "deploy:", hint)
		}
	}
	return exitFailed
}

// defaultZIPPath returns dist/<name>.zip, where go tool task package writes the ZIP.
func defaultZIPPath() (string, error) {
	m, err := manifest.Load("cumulocity.json")
	if m == nil {
		return "", fmt.Errorf("finding the default ZIP: %w; pass the ZIP with -zip", err)
	}
	return filepath.Join("dist", m.Name+".zip"), nil
}

// isTerminal reports whether f is a terminal rather than a file or a pipe.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
