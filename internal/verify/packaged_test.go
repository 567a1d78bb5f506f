package verify_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

// moduleRoot returns the folder that holds go.mod, above the test's folder.
func moduleRoot(t *testing.T) string {
	t.Helper()

	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test folder")
		}
		dir = parent
	}
}

func TestArchivePackaged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipping the ko build in -short mode")
	}

	root := moduleRoot(t)
	m, err := manifest.Load(filepath.Join(root, "cumulocity.json"))
	if err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), "go", "run", "./scripts/package", "-out", out)
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./scripts/package: %v\n%s", err, output)
	}

	start := time.Now()
	report, err := verify.Archive(t.Context(), filepath.Join(out, m.Name+".zip"))
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}
	t.Logf("Archive took %v", time.Since(start))

	for _, check := range report.Checks {
		if check.Status != verify.StatusPass {
			t.Errorf("%s", check)
		}
	}
}
