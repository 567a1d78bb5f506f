package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// command is one program run to completion.
type command struct {
	dir     string
	env     []string // the whole environment; nil means the environment of bench
	path    string
	args    []string
	timeout time.Duration
}

// run runs the command and returns its standard output and the time from start to exit.
// The error names the command and ends with the last lines of its standard error.
func (c command) run(ctx context.Context) (stdout []byte, elapsed time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut

	started := time.Now()
	err = cmd.Run()
	elapsed = time.Since(started)
	if ctx.Err() != nil && err != nil {
		return nil, elapsed, fmt.Errorf("running %s: timed out after %s: %w\n%s", c, c.timeout, err, lastLines(errOut.String(), 20))
	}
	if err != nil {
		return nil, elapsed, fmt.Errorf("running %s: %w\n%s", c, err, lastLines(errOut.String(), 20))
	}
	return out.Bytes(), elapsed, nil
}

// String returns the program and its arguments joined with spaces, for error messages.
func (c command) String() string {
	return strings.Join(append([]string{c.path}, c.args...), " ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// withEnv returns the environment of bench with the given KEY=value settings replacing any
// earlier value of the same keys.
func withEnv(settings ...string) []string {
	keys := map[string]bool{}
	for _, kv := range settings {
		key, _, _ := strings.Cut(kv, "=")
		keys[key] = true
	}

	var env []string
	for _, kv := range os.Environ() {
		key, _, _ := strings.Cut(kv, "=")
		if !keys[key] {
			env = append(env, kv)
		}
	}
	return append(env, settings...)
}
