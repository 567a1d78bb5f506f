package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"hello-microservice/internal/baseimage"
)

var moduleLine = regexp.MustCompile(`(?m)^module .*$`)

// buildKo builds ko's command line at the version go.mod pins, into the work folder.
//
// ko's main package imports modules that the project's go.sum does not list (registry
// credential helpers among them), so `go build github.com/google/ko` fails inside the
// module. It is built in a scratch module with the project's go.mod and go.sum instead,
// with -mod=mod so that the go command may add the missing go.sum lines there. The first
// attempt uses the module cache only; the second lets the go command download as usual.
func buildKo(ctx context.Context, ws *workspace, progress io.Writer) (string, error) {
	dir := filepath.Join(ws.root, "ko-module")
	if err := writeScratchModule(ws.project, dir); err != nil {
		return "", err
	}

	out := ws.bin("ko")
	attempts := [][]string{
		{"GOPROXY=off", "GOSUMDB=off"},
		nil,
	}
	var err error
	for _, settings := range attempts {
		env := withEnv(append([]string{"GOFLAGS=-mod=mod", "GOWORK=off"}, settings...)...)
		c := command{dir: dir, env: env, path: "go", args: []string{"build", "-o", out, "github.com/google/ko"}, timeout: 15 * time.Minute}
		if _, _, err = c.run(ctx); err == nil {
			return out, nil
		}
		if settings != nil {
			fmt.Fprintf(progress, "building ko from the module cache failed, trying again with downloads allowed\n")
		}
	}
	return "", fmt.Errorf("building ko: %w", err)
}

func writeScratchModule(project, dir string) error {
	goMod, err := os.ReadFile(filepath.Join(project, "go.mod"))
	if err != nil {
		return fmt.Errorf("reading go.mod: %w", err)
	}
	goSum, err := os.ReadFile(filepath.Join(project, "go.sum"))
	if err != nil {
		return fmt.Errorf("reading go.sum: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the scratch module: %w", err)
	}
	goMod = moduleLine.ReplaceAll(goMod, []byte("module kobuild"))
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod, 0o644); err != nil {
		return fmt.Errorf("writing the scratch module: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), goSum, 0o644); err != nil {
		return fmt.Errorf("writing the scratch module: %w", err)
	}
	return nil
}

// koVersion returns the output of `ko version`.
func koVersion(ctx context.Context, ko string) string {
	out, _, err := command{path: ko, args: []string{"version"}, timeout: time.Minute}.run(ctx)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// baseRegistry is go-containerregistry's in-memory registry on 127.0.0.1, holding the
// packager's built-in base, so that ko's command line can build on the same base.
type baseRegistry struct {
	server *httptest.Server
	host   string // 127.0.0.1:PORT
	base   string // the base by digest, for KO_DEFAULTBASEIMAGE
}

func startBaseRegistry(ctx context.Context) (*baseRegistry, error) {
	server := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	host := strings.TrimPrefix(server.URL, "http://")

	img, err := baseimage.Builtin()
	if err != nil {
		server.Close()
		return nil, fmt.Errorf("assembling the built-in base: %w", err)
	}
	tag, err := name.NewTag(host + "/base:builtin")
	if err != nil {
		server.Close()
		return nil, fmt.Errorf("naming the base in the local registry: %w", err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		server.Close()
		return nil, fmt.Errorf("pushing the base to %s: %w", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		server.Close()
		return nil, fmt.Errorf("computing the base digest: %w", err)
	}
	return &baseRegistry{server: server, host: host, base: host + "/base@" + digest.String()}, nil
}

func (r *baseRegistry) close() { r.server.Close() }
