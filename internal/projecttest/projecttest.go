// Package projecttest finds the project's own files for tests that build or read the
// real service.
package projecttest

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FindRoot returns the module root: the nearest folder at or above the working directory
// that holds go.mod. go test runs each package's tests in that package's folder.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test folder")
		}
		dir = parent
	}
}

// Root returns the module root, or fails t.
func Root(t testing.TB) string {
	t.Helper()

	dir, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
