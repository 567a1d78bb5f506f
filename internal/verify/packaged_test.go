package verify_test

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/projecttest"
	"hello-microservice/internal/verify"
)

func TestArchivePackaged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("skipping the ko build in -short mode")
	}

	root := projecttest.Root(t)
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
