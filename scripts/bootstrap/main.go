// Command bootstrap writes the bootstrap user of the deployed microservice to the
// git-ignored .env, so that go tool task run starts the service locally against the real
// tenant. It finds the application of the manifest's name that the tenant owns, as the
// deploy does, and sets C8Y_BASEURL, C8Y_BOOTSTRAP_TENANT, C8Y_BOOTSTRAP_USER,
// C8Y_BOOTSTRAP_PASSWORD, C8Y_MICROSERVICE_ISOLATION, APPLICATION_NAME and APPLICATION_KEY,
// keeping the file's other lines. It never prints the password.
//
// Usage:
//
//	go run ./scripts/bootstrap [-manifest cumulocity.json] [-env .env]
//
// The platform and the credentials come from the environment or the .env file, with
// go-c8y-cli's names: C8Y_HOST (or C8Y_BASEURL), C8Y_TENANT, C8Y_USER and C8Y_PASSWORD, or
// C8Y_TOKEN. The exit status is 1 when the bootstrap failed and 2 for invalid arguments.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/credentials"
	"hello-microservice/internal/deploy"
	"hello-microservice/internal/manifest"
)

// Exit statuses.
const (
	exitFailed = 1
	exitUsage  = 2
)

// environment is the part of the process that run uses, replaced in tests.
type environment struct {
	lookup        func(string) (string, bool) // reads an environment variable, like os.LookupEnv
	stdout        io.Writer
	stderr        io.Writer
	clientOptions []c8y.Option
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	os.Exit(run(ctx, os.Args[1:], environment{lookup: os.LookupEnv, stdout: os.Stdout, stderr: os.Stderr}))
}

// run writes the bootstrap user to the .env file and returns the exit status.
func run(ctx context.Context, args []string, env environment) int {
	flags := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	flags.SetOutput(env.stderr)
	manifestPath := flags.String("manifest", "cumulocity.json", "the `manifest` that names the application and sets its isolation")
	dotenvPath := flags.String("env", ".env", "the `file` to read credentials from and write the bootstrap user to")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(env.stderr, "bootstrap: unexpected arguments %q\n", flags.Args())
		return exitUsage
	}

	m, err := manifest.Load(*manifestPath)
	if err != nil {
		fmt.Fprintln(env.stderr, "bootstrap:", err)
		return exitFailed
	}
	creds, err := credentials.Load(env.lookup, *dotenvPath)
	if err != nil {
		fmt.Fprintln(env.stderr, "bootstrap:", err)
		return exitFailed
	}
	client, err := deploy.NewClient(creds, env.clientOptions...)
	if err != nil {
		fmt.Fprintln(env.stderr, "bootstrap:", err)
		return exitFailed
	}

	err = deploy.Bootstrap(ctx, client, deploy.BootstrapOptions{
		Manifest:   m,
		BaseURL:    creds.BaseURL,
		DotenvPath: *dotenvPath,
		Out:        env.stdout,
	})
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(env.stderr, "bootstrap: interrupted")
		return exitFailed
	}
	fmt.Fprintln(env.stderr, "bootstrap:", err)
	if hint := deploy.Hint(err, creds.BaseURL); hint != "" {
		fmt.Fprintln(env.stderr, "bootstrap:", hint)
	}
	return exitFailed
}
