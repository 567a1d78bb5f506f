// Command package builds the service with ko and writes dist/<name>.zip, the archive that
// Cumulocity accepts for upload. It needs no Docker daemon and no registry.
//
// Usage:
//
//	go run ./scripts/package [-dir DIR] [-out DIR] [-base BASE]
//
// BASE is "builtin" (the default), a local OCI layout folder, or a registry reference
// pinned by digest; the BASE environment variable sets it too. It exits with status 1 when
// the build fails, and with 130 on SIGINT (Ctrl-C) or 143 on SIGTERM, after removing what
// it had started to write.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"hello-microservice/internal/packager"
)

// signalExitBase is added to a signal's number for the exit status, as shells do.
const signalExitBase = 128

// signalCause is the cause of the context's cancellation when a signal arrived.
type signalCause struct {
	signal syscall.Signal
}

func (c signalCause) Error() string {
	return c.signal.String() + " signal received"
}

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		received := <-signals
		// A second Ctrl-C ends the process at once.
		signal.Stop(signals)
		if number, ok := received.(syscall.Signal); ok {
			cancel(signalCause{signal: number})
		}
	}()

	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(exitStatus(context.Cause(ctx), err))
	}
}

// exitStatus returns 128 plus the signal's number when a signal canceled the build, 130
// (SIGINT's) when only the build's go command received one, and 1 for other errors.
func exitStatus(cause, err error) int {
	var received signalCause
	if errors.As(cause, &received) {
		return signalExitBase + int(received.signal)
	}

	var interrupted *packager.InterruptedError
	if errors.As(err, &interrupted) {
		return signalExitBase + int(syscall.SIGINT)
	}

	return 1
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet("package", flag.ContinueOnError)
	dir := flags.String("dir", ".", "project `folder` with cumulocity.json, .ko.yaml and the main package")
	out := flags.String("out", "", "output `folder` for the ZIP (default DIR/dist)")
	verbose := flags.Bool("v", false, "show ko's own log lines")
	base := flags.String("base", getenv("BASE"), "base image: builtin, an OCI layout folder, or a registry reference pinned by digest (default: .ko.yaml, then builtin)")
	if err := flags.Parse(args); err != nil {
		return err
	}

	// ko reports through the standard logger, including notes about git state that do not
	// affect this build; show them only on request.
	log.SetFlags(0)
	log.SetPrefix("ko: ")
	if !*verbose {
		log.SetOutput(io.Discard)
	}

	result, err := packager.Package(ctx, packager.Options{
		Dir:      *dir,
		OutDir:   *out,
		Base:     *base,
		Progress: func(line string) { fmt.Fprintln(stdout, line) },
	})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "zip:      %s (%d bytes)\n", result.ZIPPath, result.ZIPSize)
	fmt.Fprintf(stdout, "image:    %s\n", result.Tag)
	fmt.Fprintf(stdout, "image ID: %s\n", result.ImageID)
	fmt.Fprintf(stdout, "base:     %s\n", result.Base)
	return nil
}
