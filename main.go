// Command hello-microservice is a Cumulocity IoT microservice: it answers / and /health
// and shows the platform's environment at /environment.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"hello-microservice/internal/config"
	"hello-microservice/internal/server"
)

// version is set at build time from the version in cumulocity.json.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	if err := run(ctx, os.LookupEnv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "hello-microservice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, lookup func(string) (string, bool), stdout io.Writer) error {
	logger := slog.New(slog.NewJSONHandler(stdout, nil))
	cfg, err := config.Load(lookup)
	if err != nil {
		return err
	}
	return server.Run(ctx, server.Options{Config: cfg, Version: version, Logger: logger})
}
