package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunBrokenZIP(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "broken.zip")
	if err := os.WriteFile(path, []byte("not a ZIP"), 0o644); err != nil {
		t.Fatal(err)
	}

	var out strings.Builder
	err := run(t.Context(), []string{"-zip", path}, func(string) string { return "" }, &out)
	if !errors.Is(err, errChecksFailed) {
		t.Errorf("run error = %v, want errChecksFailed", err)
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if !strings.HasPrefix(lines[0], "FAIL zip file: ") {
		t.Errorf("first line = %q, want the zip file failure", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "SKIP runtime: ") || !strings.Contains(last, "static checks failed") {
		t.Errorf("last line = %q, want the runtime check skipped", last)
	}
	for _, line := range lines {
		if !strings.HasPrefix(line, "PASS ") && !strings.HasPrefix(line, "FAIL ") && !strings.HasPrefix(line, "SKIP ") {
			t.Errorf("line %q does not start with a status", line)
		}
	}
}

func TestRunArguments(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"positional", []string{"dist/x.zip"}, "pass the ZIP with -zip"},
		{"unknown flag", []string{"-fast"}, "flag provided but not defined"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			var out strings.Builder
			err := run(t.Context(), test.args, func(string) string { return "" }, &out)
			if err == nil || errors.Is(err, errChecksFailed) || !strings.Contains(err.Error(), test.want) {
				t.Errorf("run error = %v, want one containing %q", err, test.want)
			}
		})
	}
}
