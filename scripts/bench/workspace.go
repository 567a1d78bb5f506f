package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Snapshot retries: the project may fail to build for a moment while someone edits it.
const (
	snapshotAttempts = 8
	snapshotPause    = 20 * time.Second
)

// workspace is the temporary folder of one benchmark run: a snapshot of the project, the
// programs built from it, and the cold build cache of the build benchmark.
type workspace struct {
	root    string // removed by remove
	project string // the snapshot, a git repository with one commit
	name    string // service name from cumulocity.json
	version string // service version from cumulocity.json

	service  string // the service binary, built like `task build`
	packager string // scripts/package, built once
}

// newWorkspace copies the project at dir into a temporary folder and builds the service
// and the packager from the copy. While the copy does not build, it waits and copies again.
func newWorkspace(ctx context.Context, dir string, progress io.Writer) (*workspace, error) {
	root, err := os.MkdirTemp("", "hello-microservice-bench-*")
	if err != nil {
		return nil, fmt.Errorf("creating the work folder: %w", err)
	}
	ws := &workspace{root: root, project: filepath.Join(root, "project")}
	if err := os.Mkdir(filepath.Join(root, "bin"), 0o755); err != nil {
		ws.remove()
		return nil, fmt.Errorf("creating the work folder: %w", err)
	}

	for attempt := 1; ; attempt++ {
		err = ws.snapshot(ctx, dir)
		if err == nil || attempt == snapshotAttempts || ctx.Err() != nil {
			break
		}
		fmt.Fprintf(progress, "the project does not build yet (attempt %d of %d), retrying in %s:\n%v\n", attempt, snapshotAttempts, snapshotPause, err)
		select {
		case <-ctx.Done():
		case <-time.After(snapshotPause):
		}
	}
	if err != nil {
		ws.remove()
		return nil, err
	}
	return ws, nil
}

func (ws *workspace) remove() {
	if err := os.RemoveAll(ws.root); err != nil {
		fmt.Fprintf(os.Stderr, "bench: removing the work folder %s: %v\n", ws.root, err)
	}
}

// bin returns the path of a program in the work folder.
func (ws *workspace) bin(name string) string { return filepath.Join(ws.root, "bin", name) }

// snapshot copies the project and builds the service and the packager from the copy.
func (ws *workspace) snapshot(ctx context.Context, dir string) error {
	if err := os.RemoveAll(ws.project); err != nil {
		return fmt.Errorf("removing the previous copy: %w", err)
	}
	if err := copyProject(ctx, dir, ws.project); err != nil {
		return err
	}
	if err := ws.readManifest(); err != nil {
		return err
	}

	ws.service = ws.bin(ws.name)
	if err := ws.buildService(ctx, ws.service); err != nil {
		return err
	}
	ws.packager = ws.bin("package")
	return ws.goBuild(ctx, ws.packager, "./scripts/package")
}

func (ws *workspace) readManifest() error {
	data, err := os.ReadFile(filepath.Join(ws.project, "cumulocity.json"))
	if err != nil {
		return fmt.Errorf("reading manifest: %w", err)
	}
	var m struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("decoding manifest cumulocity.json: %w", err)
	}
	if m.Name == "" || m.Version == "" {
		return errors.New("invalid manifest cumulocity.json: name and version must be set")
	}
	ws.name, ws.version = m.Name, m.Version
	return nil
}

// buildService builds the service with the flags of `task build`, statically as in the
// image, so that the measured process is the one the platform runs.
func (ws *workspace) buildService(ctx context.Context, out string) error {
	c := command{
		dir:  ws.project,
		env:  withEnv("CGO_ENABLED=0", "GOFLAGS="),
		path: "go",
		args: []string{"build", "-trimpath", "-tags=nomsgpack",
			"-ldflags", "-s -w -X main.version=" + ws.version, "-o", out, "."},
		timeout: 10 * time.Minute,
	}
	if _, _, err := c.run(ctx); err != nil {
		return fmt.Errorf("building the service: %w", err)
	}
	return nil
}

// buildHelper builds one of bench's servers or tools the way the service is built,
// statically and without the symbol table, so that sizes and start-up compare fairly.
func (ws *workspace) buildHelper(ctx context.Context, out, pkg string) error {
	c := command{
		dir:     ws.project,
		env:     withEnv("CGO_ENABLED=0", "GOFLAGS="),
		path:    "go",
		args:    []string{"build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg},
		timeout: 10 * time.Minute,
	}
	if _, _, err := c.run(ctx); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}

// goBuild builds one package of the snapshot into out.
func (ws *workspace) goBuild(ctx context.Context, out, pkg string) error {
	c := command{
		dir:     ws.project,
		env:     withEnv("GOFLAGS="),
		path:    "go",
		args:    []string{"build", "-trimpath", "-o", out, pkg},
		timeout: 10 * time.Minute,
	}
	if _, _, err := c.run(ctx); err != nil {
		return fmt.Errorf("building %s: %w", pkg, err)
	}
	return nil
}

// copyProject copies the files git shows in dir (tracked, and untracked but not ignored,
// so no dist/, bin/ or .env) and commits them in a new repository, so that ko finds the
// same kind of checkout a developer has.
func copyProject(ctx context.Context, dir, dst string) error {
	list := command{dir: dir, path: "git", args: []string{"ls-files", "-z", "--cached", "--others", "--exclude-standard"}, timeout: time.Minute}
	out, _, err := list.run(ctx)
	if err != nil {
		return fmt.Errorf("listing the project's files: %w", err)
	}

	for name := range bytes.SplitSeq(bytes.TrimRight(out, "\x00"), []byte{0}) {
		err := copyFile(filepath.Join(dir, string(name)), filepath.Join(dst, string(name)))
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree but still tracked
		}
		if err != nil {
			return err
		}
	}

	gitSteps := [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=bench", "-c", "user.email=bench@localhost", "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "-m", "snapshot"},
	}
	for _, args := range gitSteps {
		step := command{dir: dst, path: "git", args: args, timeout: time.Minute}
		if _, _, err := step.run(ctx); err != nil {
			return fmt.Errorf("committing the copy: %w", err)
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil // git lists symbolic links and submodules too; the build needs neither
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	if err := os.WriteFile(dst, data, info.Mode().Perm()); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return nil
}
