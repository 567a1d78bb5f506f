package runtimecheck_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/legacy/tarball"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	v1tarball "github.com/google/go-containerregistry/pkg/v1/tarball"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/projecttest"
	"hello-microservice/internal/runtimecheck"
	"hello-microservice/internal/verify"
)

// fixtureDir holds the ZIPs that several tests share; TestMain creates and removes it.
var fixtureDir string

// packagedZIP builds the project's ZIP with go run ./scripts/package, once per test binary.
var packagedZIP = sync.OnceValues(func() (string, error) {
	root, err := projecttest.FindRoot()
	if err != nil {
		return "", err
	}
	m, err := manifest.Load(filepath.Join(root, "cumulocity.json"))
	if err != nil {
		return "", err
	}

	out := filepath.Join(fixtureDir, "packaged")
	cmd := exec.Command("go", "run", "./scripts/package", "-out", out)
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go run ./scripts/package: %w\n%s", err, output)
	}

	return filepath.Join(out, m.Name+".zip"), nil
})

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimecheck-test-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fixtureDir = dir

	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// requireRuntime skips the test when the machine lacks root or the tools, or fails it
// when REQUIRE_RUNTIME_CHECK=1 is set. It returns the Require option to pass to Run.
func requireRuntime(t *testing.T) bool {
	t.Helper()

	require := os.Getenv(runtimecheck.RequireVariable) == "1"
	missing := runtimecheck.Missing()
	switch {
	case missing != "" && require:
		t.Fatalf("the runtime check cannot run here, and %s=1 requires it: %s", runtimecheck.RequireVariable, missing)
	case missing != "":
		t.Skipf("the runtime check cannot run here: %s (set %s=1 to fail instead)", missing, runtimecheck.RequireVariable)
	}

	return require
}

func packaged(t *testing.T) string {
	t.Helper()

	path, err := packagedZIP()
	if err != nil {
		t.Fatal(err)
	}

	return path
}

// run calls Run and fails the test on an error.
func run(t *testing.T, zipPath string, require bool) *verify.Report {
	t.Helper()

	report, err := runtimecheck.Run(t.Context(), runtimecheck.Options{ZIPPath: zipPath, Require: require})
	if err != nil {
		t.Fatalf("Run: %v\n%v", err, report.Err())
	}
	for _, check := range report.Checks {
		t.Log(check)
	}

	return report
}

// withManifest copies the ZIP at zipPath with its manifest changed by change.
func withManifest(t *testing.T, zipPath string, change func(document map[string]any)) string {
	t.Helper()

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()

	out := filepath.Join(t.TempDir(), filepath.Base(zipPath))
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)

	for _, entry := range zr.File {
		data := readAll(t, entry)
		if entry.Name == verify.ManifestEntry {
			var document map[string]any
			if err := json.Unmarshal(data, &document); err != nil {
				t.Fatal(err)
			}
			change(document)
			if data, err = json.Marshal(document); err != nil {
				t.Fatal(err)
			}
		}

		w, err := zw.Create(entry.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	return out
}

func readAll(t *testing.T, entry *zip.File) []byte {
	t.Helper()

	rc, err := entry.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()

	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}

	return data
}

// fastProbe returns a probe of path that must succeed within one second of the start.
func fastProbe(path string) map[string]any {
	return map[string]any{
		"httpGet":             map[string]any{"path": path, "port": 80},
		"initialDelaySeconds": 0,
		"periodSeconds":       1,
		"timeoutSeconds":      1,
		"failureThreshold":    1,
	}
}

// wantStatus fails the test unless the named check has the status and its message
// contains word.
func wantStatus(t *testing.T, report *verify.Report, name string, status verify.Status, word string) {
	t.Helper()

	check, ok := report.Find(name)
	if !ok {
		t.Errorf("no %q check in the report", name)
		return
	}
	if check.Status != status {
		t.Errorf("%s, want %s", check, status)
	}
	if !strings.Contains(check.Message, word) {
		t.Errorf("%q message %q does not contain %q", name, check.Message, word)
	}
}

func TestRunPackaged(t *testing.T) {
	t.Parallel()
	require := requireRuntime(t)

	report := run(t, packaged(t), require)

	wantChecks := []string{
		runtimecheck.CheckRuntime, runtimecheck.CheckUnpack, runtimecheck.CheckStart,
		runtimecheck.CheckLiveness, runtimecheck.CheckReadiness, runtimecheck.CheckRootPath,
		runtimecheck.CheckEnvironment, runtimecheck.CheckStop, runtimecheck.CheckLog,
	}
	for _, name := range wantChecks {
		wantStatus(t, report, name, verify.StatusPass, "")
	}
	wantStatus(t, report, runtimecheck.CheckStop, verify.StatusPass, "status 0")
}

func TestRunProbeNotFound(t *testing.T) {
	t.Parallel()
	require := requireRuntime(t)

	zipPath := withManifest(t, packaged(t), func(document map[string]any) {
		document["readinessProbe"] = fastProbe("/nope")
		document["livenessProbe"] = map[string]any{"tcpSocket": map[string]any{"port": 80}}
	})
	report := run(t, zipPath, require)

	wantStatus(t, report, runtimecheck.CheckReadiness, verify.StatusFail, "status 404")
	wantStatus(t, report, runtimecheck.CheckReadiness, verify.StatusFail, "fix: the service has no route for /nope")
	wantStatus(t, report, runtimecheck.CheckLiveness, verify.StatusPass, "TCP connection to 127.0.0.1:80")
	wantStatus(t, report, runtimecheck.CheckStop, verify.StatusPass, "status 0")
}

func TestRunExecProbeMissingProgram(t *testing.T) {
	t.Parallel()
	require := requireRuntime(t)

	// The distroless-style base has no coreutils, so runc cannot find /bin/true.
	zipPath := withManifest(t, packaged(t), func(document map[string]any) {
		liveness := fastProbe("/health")
		delete(liveness, "httpGet")
		liveness["exec"] = map[string]any{"command": []string{"/bin/true"}}
		document["livenessProbe"] = liveness
	})
	report := run(t, zipPath, require)

	wantStatus(t, report, runtimecheck.CheckLiveness, verify.StatusFail, `fix: the image has no program "/bin/true"`)
	wantStatus(t, report, runtimecheck.CheckReadiness, verify.StatusPass, "GET http://127.0.0.1:80/health")
	wantStatus(t, report, runtimecheck.CheckStop, verify.StatusPass, "status 0")
}

func TestRunBrokenService(t *testing.T) {
	t.Parallel()
	require := requireRuntime(t)

	report := run(t, brokenServiceZIP(t), require)

	wantStatus(t, report, runtimecheck.CheckStart, verify.StatusPass, "running")
	wantStatus(t, report, runtimecheck.CheckLiveness, verify.StatusFail, "status 500")
	wantStatus(t, report, runtimecheck.CheckReadiness, verify.StatusPass, `exec ["/app/badservice" "probe"]`)
	wantStatus(t, report, runtimecheck.CheckRootPath, verify.StatusFail, "status 500")
	wantStatus(t, report, runtimecheck.CheckEnvironment, verify.StatusFail, "C8Y_BOOTSTRAP_PASSWORD")
	wantStatus(t, report, runtimecheck.CheckStop, verify.StatusFail, "status 3")
	wantStatus(t, report, runtimecheck.CheckLog, verify.StatusFail, "C8Y_BOOTSTRAP_PASSWORD")

	// The report names leaked credentials but never shows them.
	for _, check := range report.Checks {
		if strings.Contains(check.Message, "placeholder-") {
			t.Errorf("%q shows a placeholder credential: %s", check.Name, check.Message)
		}
	}
}

// brokenServiceZIP builds testdata/badservice into a one-layer image and zips it with a
// manifest whose liveness probe must succeed within a second and whose readiness probe
// runs badservice probe in the container.
func brokenServiceZIP(t *testing.T) string {
	t.Helper()

	binary := filepath.Join(t.TempDir(), "badservice")
	cmd := exec.CommandContext(t.Context(), "go", "build", "-o", binary, "./testdata/badservice")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	if output, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building badservice: %v\n%s", err, output)
	}
	content, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}

	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	if err := tw.WriteHeader(&tar.Header{Name: "app/badservice", Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(content); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}

	image := imageTar(t, "bad-service:0.0.1", layer.Bytes(), "/app/badservice")
	document := map[string]any{
		"apiVersion":    "2",
		"name":          "bad-service",
		"version":       "0.0.1",
		"provider":      map[string]any{"name": "Tests"},
		"livenessProbe": fastProbe("/health"),
		"readinessProbe": map[string]any{
			"exec":          map[string]any{"command": []string{"/app/badservice", "probe"}},
			"periodSeconds": 1,
		},
	}
	manifestJSON, err := json.Marshal(document)
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "bad-service.zip")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, entry := range []struct {
		name string
		data []byte
	}{{verify.ManifestEntry, manifestJSON}, {verify.ImageEntry, image}} {
		w, err := zw.Create(entry.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(entry.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	return out
}

// imageTar returns a docker save archive of a one-layer linux/amd64 image.
func imageTar(t *testing.T, tag string, layerContent []byte, entrypoint string) []byte {
	t.Helper()

	layer, err := v1tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerContent)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	config, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	config = config.DeepCopy()
	config.OS = "linux"
	config.Architecture = "amd64"
	config.Config.Entrypoint = []string{entrypoint}
	config.Config.User = "0"
	if img, err = mutate.ConfigFile(img, config); err != nil {
		t.Fatal(err)
	}

	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := tarball.Write(ref, img, &out); err != nil {
		t.Fatal(err)
	}

	return out.Bytes()
}

// leftovers lists what Run creates and must remove: network namespaces, work folders,
// and processes of the packaged service, whose program is /ko-app/<name> in its container.
func leftovers(t *testing.T) []string {
	t.Helper()

	namespaces, _ := filepath.Glob("/var/run/netns/verify-*")
	folders, _ := filepath.Glob(filepath.Join(os.TempDir(), "runtimecheck-*"))
	var found []string
	for _, path := range append(namespaces, folders...) {
		// Skip the fixture folders of this and of any other test process running at the same time.
		if !strings.HasPrefix(filepath.Base(path), "runtimecheck-test-") {
			found = append(found, path)
		}
	}

	processes, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range processes {
		if target, err := os.Readlink(exe); err == nil && strings.HasPrefix(target, "/ko-app/") {
			found = append(found, exe+" -> "+target)
		}
	}

	return found
}

// TestRunInterrupted is not parallel, so that no other test of this package creates
// namespaces, work folders or containers while it counts them.
func TestRunInterrupted(t *testing.T) {
	require := requireRuntime(t)
	// The readiness probe never succeeds and may keep trying for 21 s, so an interrupt after
	// a few seconds comes while the container runs.
	waiting := withManifest(t, packaged(t), func(document map[string]any) {
		document["readinessProbe"] = map[string]any{
			"httpGet":          map[string]any{"path": "/nope", "port": 80},
			"periodSeconds":    10,
			"failureThreshold": 3,
		}
	})
	before := leftovers(t)

	tests := []struct {
		name    string
		after   time.Duration
		running bool // whether the container must have started before the interrupt
	}{
		{"while unpacking", 20 * time.Millisecond, false},
		{"soon after", 250 * time.Millisecond, false},
		{"while probing", 8 * time.Second, true},
	}

	for _, test := range tests {
		ctx, cancel := context.WithTimeout(t.Context(), test.after)
		report, err := runtimecheck.Run(ctx, runtimecheck.Options{ZIPPath: waiting, Require: require})
		cancel()

		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: error = %v, want context.DeadlineExceeded", test.name, err)
		}
		if test.running {
			wantStatus(t, report, runtimecheck.CheckStart, verify.StatusPass, "running")
		}
		if got := leftovers(t); len(got) != len(before) {
			t.Errorf("%s: left %q, had %q before", test.name, got, before)
		}
	}
}
