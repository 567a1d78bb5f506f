package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hello-microservice/internal/packager"
	"hello-microservice/internal/projecttest"
)

func TestRunInvalidManifestBuildsNothing(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	manifest := `{"apiVersion": "2", "name": "Hello_Service", "version": "1.0.0", "provider": {"name": "Tests"}}`
	if err := os.WriteFile(filepath.Join(dir, "cumulocity.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	err := run(t.Context(), []string{"-dir", dir}, func(string) string { return "" }, &out)
	if err == nil || !strings.Contains(err.Error(), `"Hello_Service"`) {
		t.Errorf("run error = %v, want the invalid name", err)
	}
	if strings.Contains(out.String(), "building") {
		t.Errorf("output %q announces a build that never started", out.String())
	}
}

func TestExitStatus(t *testing.T) {
	t.Parallel()

	interrupted := &packager.InterruptedError{OutDir: "dist/", Err: context.Canceled}
	tests := []struct {
		name  string
		cause error
		err   error
		want  int
	}{
		{"SIGINT", signalCause{signal: syscall.SIGINT}, interrupted, 130},
		{"SIGTERM", signalCause{signal: syscall.SIGTERM}, interrupted, 143},
		{"go command interrupted", nil, fmt.Errorf("packaging: %w", interrupted), 130},
		{"build failed", nil, errors.New("building with ko: go build: exit status 1"), 1},
	}

	for _, test := range tests {
		if got := exitStatus(test.cause, test.err); got != test.want {
			t.Errorf("%s: exitStatus = %d, want %d", test.name, got, test.want)
		}
	}
}

// TestSignalDuringBuild starts the command, signals it once it announces the build and
// expects a clean message, the signal's exit status and no ZIP.
func TestSignalDuringBuild(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipping the ko build in -short mode")
	}

	root := projecttest.Root(t)
	binary := filepath.Join(t.TempDir(), "package")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", binary, "./scripts/package")
	build.Dir = root
	if output, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./scripts/package: %v\n%s", err, output)
	}

	tests := []struct {
		name   string
		signal syscall.Signal
		group  bool // send the signal to the process group, as a terminal's Ctrl-C does
		status int
	}{
		{"Ctrl-C", syscall.SIGINT, true, 130},
		{"SIGTERM", syscall.SIGTERM, false, 143},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			out := t.TempDir()
			cmd := exec.CommandContext(t.Context(), binary, "-out", out)
			cmd.Dir = root
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}

			waitForLine(t, stdout, "building the image with ko")
			target := cmd.Process.Pid
			if test.group {
				target = -target
			}
			if err := syscall.Kill(target, test.signal); err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, stdout); err != nil {
				t.Errorf("reading the output: %v", err)
			}

			err = cmd.Wait()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != test.status {
				t.Errorf("exit = %v, want status %d; stderr:\n%s", err, test.status, stderr.String())
			}
			want := "package: interrupted: nothing was written to " + out + "/\n"
			if stderr.String() != want {
				t.Errorf("stderr = %q, want %q", stderr.String(), want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("output folder holds %d entries, want none", len(entries))
			}
		})
	}
}

// waitForLine reads r until a line contains text, failing the test after two minutes.
func waitForLine(t *testing.T, r io.Reader, text string) {
	t.Helper()

	found := make(chan bool, 1)
	go func() {
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			if strings.Contains(scanner.Text(), text) {
				found <- true
				return
			}
		}
		found <- false
	}()

	select {
	case ok := <-found:
		if !ok {
			t.Fatalf("the output ended without a line containing %q", text)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("no line containing %q within two minutes", text)
	}
}
