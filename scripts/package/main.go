// Command package builds the service with ko and writes dist/<name>.zip, the archive that
// Cumulocity accepts for upload. It needs no Docker daemon and no registry.
//
// Usage:
//
//	go run ./scripts/package [-dir DIR] [-out DIR] [-base BASE]
//
// BASE is "builtin" (the default), a local OCI layout folder, or a registry reference
// pinned by digest; the BASE environment variable sets it too.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"hello-microservice/internal/packager"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "package:", err)
		os.Exit(1)
	}
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

	fmt.Fprintln(stdout, "building the image with ko for linux/amd64")
	result, err := packager.Package(ctx, packager.Options{Dir: *dir, OutDir: *out, Base: *base})
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "zip:      %s (%d bytes)\n", result.ZIPPath, result.ZIPSize)
	fmt.Fprintf(stdout, "image:    %s\n", result.Tag)
	fmt.Fprintf(stdout, "image ID: %s\n", result.ImageID)
	fmt.Fprintf(stdout, "base:     %s\n", result.Base)
	return nil
}
