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

// TestRunInvalidManifest changes the working folder, so it runs apart from the parallel
// tests.
func TestRunInvalidManifest(t *testing.T) {
	tests := []struct {
		name     string
		manifest string // the content of cumulocity.json, none when empty
		args     []string
		want     []string
	}{
		{"not JSON", `{"name": `, nil, []string{"cannot name the default ZIP", "cumulocity.json is not valid JSON"}},
		{"no name", `{"apiVersion": "2", "version": "1.0.0", "provider": {"name": "Tests"}}`, nil,
			[]string{"cannot name the default ZIP", "name: missing or empty"}},
		{"invalid name", `{"apiVersion": "2", "name": "Hello_Service", "version": "1.0.0", "provider": {"name": "Tests"}}`, nil,
			[]string{`name "Hello_Service": must match`}},
		{"no manifest", "", nil, []string{"cannot name the default ZIP", "no such file or directory"}},
		{"empty name in the path", `{"name": "", "version": "1.0.0"}`, []string{"-zip", "dist/.zip"},
			[]string{"dist/.zip does not exist, and go tool task package writes no ZIP until cumulocity.json is fixed", "name: missing or empty"}},
		{"other field", `{"apiVersion": "1", "name": "hello", "version": "1.0.0", "provider": {"name": "Tests"}}`, nil,
			[]string{"dist/hello.zip does not exist", `apiVersion "1": is deprecated`}},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			dir := t.TempDir()
			if test.manifest != "" {
				if err := os.WriteFile(filepath.Join(dir, "cumulocity.json"), []byte(test.manifest), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)

			var out strings.Builder
			err := run(t.Context(), test.args, func(string) string { return "" }, &out)
			if err == nil || errors.Is(err, errChecksFailed) {
				t.Fatalf("run error = %v, want the manifest's problem; output:\n%s", err, out.String())
			}
			for _, want := range test.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("run error = %q, want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestRunMissingZIPValidManifest(t *testing.T) {
	dir := t.TempDir()
	manifest := `{"apiVersion": "2", "name": "hello", "version": "1.0.0", "provider": {"name": "Tests"}}`
	if err := os.WriteFile(filepath.Join(dir, "cumulocity.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	var out strings.Builder
	err := run(t.Context(), []string{"-static-only"}, func(string) string { return "" }, &out)
	if !errors.Is(err, errChecksFailed) {
		t.Errorf("run error = %v, want errChecksFailed", err)
	}
	if want := "FAIL zip file: cannot read dist/hello.zip"; !strings.Contains(out.String(), want) {
		t.Errorf("output %q does not contain %q", out.String(), want)
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
