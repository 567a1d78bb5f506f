package packager

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"testing"
)

func TestInterrupted(t *testing.T) {
	t.Parallel()

	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	// Error values as ko returns them: "go build: %w: %s" with the command's output.
	signaled := func(signal string) error {
		err := exec.CommandContext(t.Context(), "sh", "-c", "kill -"+signal+" $$").Run()
		return fmt.Errorf("building with ko: %w", fmt.Errorf("go build: %w: %s", err, ""))
	}

	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"canceled", canceled, errors.New("go build: signal: killed: "), true},
		{"go command interrupted", t.Context(), signaled("INT"), true},
		{"go command terminated", t.Context(), signaled("TERM"), true},
		{"go command killed", t.Context(), signaled("KILL"), false},
		{"compile error", t.Context(), fmt.Errorf("go build: %w: %s", exec.Command("false").Run(), "main.go:1: syntax error"), false},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			if got := interrupted(test.ctx, test.err); got != test.want {
				t.Errorf("interrupted(%v) = %v, want %v", test.err, got, test.want)
			}
		})
	}
}
