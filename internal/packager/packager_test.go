package packager_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"hello-microservice/internal/baseimage"
	"hello-microservice/internal/manifest"
	"hello-microservice/internal/packager"
	"hello-microservice/internal/projecttest"
)

// copyProject copies the project, without its build output and git data, to a new folder.
func copyProject(t *testing.T) string {
	t.Helper()
	src := projecttest.Root(t)
	dst := filepath.Join(t.TempDir(), "elsewhere", "checkout")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && slices.Contains([]string{".git", "dist", "bin", ".task"}, rel) {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying the project: %v", err)
	}
	return dst
}

// The checkout's ZIP is built once and shared by the tests that only read it.
var shared struct {
	once     sync.Once
	result   packager.Result
	err      error
	progress []string // the progress lines of the build
}

func builtZIP(t *testing.T) packager.Result {
	t.Helper()
	shared.once.Do(func() {
		out, err := os.MkdirTemp("", "packager-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.result, shared.err = packager.Package(context.Background(), packager.Options{
			Dir:      projecttest.Root(t),
			OutDir:   out,
			Progress: func(line string) { shared.progress = append(shared.progress, line) },
		})
	})
	if shared.err != nil {
		t.Fatalf("packaging the checkout: %v", shared.err)
	}
	return shared.result
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.result.ZIPPath != "" {
		os.RemoveAll(filepath.Dir(shared.result.ZIPPath))
	}
	os.Exit(code)
}

// zipEntries returns the ZIP's entries by name, in order.
func zipEntries(t *testing.T, path string) ([]string, map[string][]byte) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	bodies := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, f.Name)
		bodies[f.Name] = body
	}
	return names, bodies
}

// tarFiles returns the regular files of a tar archive by name.
func tarFiles(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		// ko writes root-absolute names such as /ko-app/NAME.
		if hdr.Typeflag == tar.TypeReg {
			files[strings.TrimPrefix(hdr.Name, "/")] = body
		}
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func TestPackageZIPEntries(t *testing.T) {
	t.Parallel()
	result := builtZIP(t)

	names, bodies := zipEntries(t, result.ZIPPath)
	if want := []string{"cumulocity.json", "image.tar"}; !slices.Equal(names, want) {
		t.Fatalf("ZIP entries = %v, want %v", names, want)
	}
	manifest, err := os.ReadFile(filepath.Join(projecttest.Root(t), "cumulocity.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bodies["cumulocity.json"], manifest) {
		t.Error("the ZIP's cumulocity.json differs from the project's")
	}
	if filepath.Base(result.ZIPPath) != "hello-microservice.zip" {
		t.Errorf("ZIP name = %s, want hello-microservice.zip", filepath.Base(result.ZIPPath))
	}
	if result.Tag != "hello-microservice:1.0.0" {
		t.Errorf("tag = %s, want hello-microservice:1.0.0", result.Tag)
	}
}

// dockerManifest is one entry of a docker-save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

func TestPackageTarLayout(t *testing.T) {
	t.Parallel()
	result := builtZIP(t)
	_, bodies := zipEntries(t, result.ZIPPath)
	files := tarFiles(t, bodies["image.tar"])

	var manifests []dockerManifest
	if err := json.Unmarshal(files["manifest.json"], &manifests); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifests) != 1 {
		t.Fatalf("manifest.json has %d entries, want 1", len(manifests))
	}
	m := manifests[0]
	if !slices.Equal(m.RepoTags, []string{"hello-microservice:1.0.0"}) {
		t.Errorf("RepoTags = %v", m.RepoTags)
	}

	// The config is <hex>.json, named for its own digest, which is the image ID.
	hexName, ok := strings.CutSuffix(m.Config, ".json")
	if !ok || strings.Contains(m.Config, ":") {
		t.Fatalf("config name %q is not <hex>.json", m.Config)
	}
	if got := sha256Hex(files[m.Config]); got != hexName {
		t.Errorf("config digest = %s, want %s", got, hexName)
	}
	if result.ImageID.Hex != hexName {
		t.Errorf("image ID = %s, want %s", result.ImageID.Hex, hexName)
	}

	// Every layer is <id>/layer.tar with VERSION and json beside it, in the config's order.
	var cfg v1.ConfigFile
	if err := json.Unmarshal(files[m.Config], &cfg); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		t.Fatalf("%d layers, config lists %d", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	for i, layer := range m.Layers {
		id, ok := strings.CutSuffix(layer, "/layer.tar")
		if !ok {
			t.Errorf("layer %q is not <id>/layer.tar", layer)
			continue
		}
		for _, beside := range []string{id + "/VERSION", id + "/json"} {
			if _, ok := files[beside]; !ok {
				t.Errorf("%s missing", beside)
			}
		}
		if got := "sha256:" + sha256Hex(files[layer]); got != cfg.RootFS.DiffIDs[i].String() {
			t.Errorf("layer %d digest = %s, want %s", i, got, cfg.RootFS.DiffIDs[i])
		}
	}

	var repositories map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repositories); err != nil {
		t.Fatalf("repositories: %v", err)
	}
	if _, ok := repositories["hello-microservice"]["1.0.0"]; !ok {
		t.Errorf("repositories = %v, want hello-microservice 1.0.0", repositories)
	}
}

func TestPackageImageConfig(t *testing.T) {
	t.Parallel()
	img := zipImage(t, builtZIP(t).ZIPPath)

	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform = %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	if cfg.Config.User != "0" {
		t.Errorf("user = %q, want 0 (root with only NET_BIND_SERVICE)", cfg.Config.User)
	}
	if want := []string{"/ko-app/hello-microservice"}; !slices.Equal(cfg.Config.Entrypoint, want) {
		t.Errorf("entrypoint = %v, want %v", cfg.Config.Entrypoint, want)
	}
	if !cfg.Created.Time.Equal(baseimage.Epoch) {
		t.Errorf("created = %v, want %v", cfg.Created.Time, baseimage.Epoch)
	}
}

// zipImage reads the image from a ZIP's image.tar.
func zipImage(t *testing.T, zipPath string) v1.Image {
	t.Helper()
	_, bodies := zipEntries(t, zipPath)
	data := bodies["image.tar"]
	img, err := tarball.Image(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, nil)
	if err != nil {
		t.Fatalf("reading image.tar: %v", err)
	}
	return img
}

// extractFile returns a file's contents from the image's layers, the last layer winning.
func extractFile(t *testing.T, img v1.Image, path string) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var found []byte
	for _, layer := range layers {
		rc, err := layer.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if body, ok := tarFiles(t, data)[strings.TrimPrefix(path, "/")]; ok {
			found = body
		}
	}
	if found == nil {
		t.Fatalf("%s not found in the image", path)
	}
	return found
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestPackageBinaryServesHealth(t *testing.T) {
	t.Parallel()
	img := zipImage(t, builtZIP(t).ZIPPath)
	binary := filepath.Join(t.TempDir(), "hello-microservice")
	if err := os.WriteFile(binary, extractFile(t, img, "/ko-app/hello-microservice"), 0o755); err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	cmd := exec.CommandContext(t.Context(), binary)
	cmd.Env = []string{"SERVER_PORT=" + port}
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})

	body := getWhenUp(t, "http://127.0.0.1:"+port+"/health")
	if strings.TrimSpace(body) != `{"status":"UP"}` {
		t.Errorf("/health = %q", body)
	}
	var env struct{ Version string }
	if err := json.Unmarshal([]byte(getWhenUp(t, "http://127.0.0.1:"+port+"/environment")), &env); err != nil {
		t.Fatal(err)
	}
	if env.Version != "1.0.0" {
		t.Errorf("version = %q, want the manifest's 1.0.0; log: %s", env.Version, logs.String())
	}
}

// getWhenUp retries a GET until the server returns 200, for at most ten seconds.
func getWhenUp(t *testing.T, url string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			t.Fatalf("GET %s: %s %s", url, resp.Status, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPackageSkopeoReadsArchive(t *testing.T) {
	t.Parallel()
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		if os.Getenv("REQUIRE_OCI_TOOLS") == "1" {
			t.Fatal("skopeo is not installed, and REQUIRE_OCI_TOOLS=1 requires it")
		}
		t.Skip("skopeo is not installed; install it (apt-get install skopeo) to check the archive with an independent reader")
	}
	_, bodies := zipEntries(t, builtZIP(t).ZIPPath)
	archive := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(archive, bodies["image.tar"], 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := exec.CommandContext(t.Context(), skopeo, "inspect", "docker-archive:"+archive).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var info struct{ Architecture, Os string }
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo output: %v\n%s", err, out)
	}
	if info.Os != "linux" || info.Architecture != "amd64" {
		t.Errorf("skopeo sees %s/%s, want linux/amd64", info.Os, info.Architecture)
	}
}

// TestPackageReproducible builds from a copy of the checkout in another folder, with a cold
// build cache and a hostile shell environment, and expects the same bytes.
func TestPackageReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds with a cold Go build cache, which takes a minute")
	}
	want := builtZIP(t)

	copyDir := copyProject(t)
	t.Setenv("GOCACHE", t.TempDir())
	for key, value := range map[string]string{
		"GOOS": "windows", "GOARCH": "arm64", "GOAMD64": "v3", "CGO_ENABLED": "1",
		"GOFLAGS": "-tags=hostile", "GOEXPERIMENT": "", "KO_DEFAULTBASEIMAGE": "example.invalid/base:latest",
	} {
		t.Setenv(key, value)
	}
	got, err := packager.Package(t.Context(), packager.Options{Dir: copyDir})
	if err != nil {
		t.Fatalf("packaging the copy: %v", err)
	}

	if got.ImageID != want.ImageID {
		t.Errorf("image ID = %s, want %s", got.ImageID, want.ImageID)
	}
	first, err := os.ReadFile(want.ZIPPath)
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(got.ZIPPath)
	if err != nil {
		t.Fatal(err)
	}
	if sha256Hex(first) != sha256Hex(second) {
		t.Errorf("ZIPs differ: %s and %s", sha256Hex(first), sha256Hex(second))
	}
}

func TestPackageProgress(t *testing.T) {
	t.Parallel()
	result := builtZIP(t)
	m, err := manifest.Load(filepath.Join(projecttest.Root(t), "cumulocity.json"))
	if err != nil {
		t.Fatal(err)
	}

	want := []string{
		"checked cumulocity.json: " + m.Name + " " + m.Version,
		"building the image with ko for linux/amd64 on builtin",
		"checked the archive",
		"wrote " + result.ZIPPath,
	}
	if !slices.Equal(shared.progress, want) {
		t.Errorf("progress = %q\nwant       %q", shared.progress, want)
	}
}

// TestPackageCanceledDuringBuild cancels while ko runs the go command, whose error ko
// formats as "go build: signal: killed: " with an empty output.
func TestPackageCanceledDuringBuild(t *testing.T) {
	t.Parallel()
	out := t.TempDir()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	progress := func(line string) {
		if strings.HasPrefix(line, "building the image") {
			cancel()
		}
	}
	_, err := packager.Package(ctx, packager.Options{Dir: projecttest.Root(t), OutDir: out, Progress: progress})

	if want := "interrupted: nothing was written to " + out + "/"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("output folder holds %d entries, want none", len(entries))
	}
}

func TestPackageInvalidManifestWritesNothing(t *testing.T) {
	t.Parallel()
	dir := copyProject(t)
	path := filepath.Join(dir, "cumulocity.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(data), `"name": "hello-microservice"`, `"name": "Hello_Service"`, 1)
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "dist")
	var progress []string
	_, err = packager.Package(t.Context(), packager.Options{Dir: dir, OutDir: out, Progress: func(line string) { progress = append(progress, line) }})
	if err == nil {
		t.Fatal("packaging succeeded with an invalid name")
	}
	if !strings.Contains(err.Error(), `"Hello_Service"`) {
		t.Errorf("error %q does not name the value", err)
	}
	if len(progress) != 0 {
		t.Errorf("progress = %q, want no step reported", progress)
	}
	if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("output folder exists after a failed check: %v", err)
	}
}

func TestPackageCanceledKeepsOldZIP(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	old := filepath.Join(out, "hello-microservice.zip")
	if err := os.WriteFile(old, []byte("previous build"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := packager.Package(ctx, packager.Options{Dir: projecttest.Root(t), OutDir: out})
	if err == nil {
		t.Fatal("packaging succeeded with a canceled context")
	}
	if want := "interrupted: nothing was written to " + out + "/"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	var interrupted *packager.InterruptedError
	if !errors.As(err, &interrupted) || !errors.Is(err, context.Canceled) {
		t.Errorf("error = %#v, want an *InterruptedError wrapping context.Canceled", err)
	}

	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("output folder holds %d entries, want only the old ZIP", len(entries))
	}
	if data, _ := os.ReadFile(old); string(data) != "previous build" {
		t.Error("the old ZIP was changed")
	}
}

func TestPackageRegistryBase(t *testing.T) {
	t.Parallel()
	base, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	tag, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://") + "/distroless/static:test")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, base, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	digest, _ := base.Digest()
	ref := tag.Context().Digest(digest.String()).String()
	cache := t.TempDir()

	first, err := packager.Package(t.Context(), packager.Options{Dir: projecttest.Root(t), OutDir: t.TempDir(), Base: ref, BaseCacheDir: cache})
	if err != nil {
		t.Fatalf("packaging on %s: %v", ref, err)
	}
	if !strings.Contains(first.Base, ref) {
		t.Errorf("base = %q, want %s", first.Base, ref)
	}

	// The registry is gone: the cache must serve the base, and the image is the same.
	srv.Close()
	second, err := packager.Package(t.Context(), packager.Options{Dir: projecttest.Root(t), OutDir: t.TempDir(), Base: ref, BaseCacheDir: cache})
	if err != nil {
		t.Fatalf("packaging offline from the cache: %v", err)
	}
	if second.ImageID != first.ImageID {
		t.Errorf("offline image ID = %s, want %s", second.ImageID, first.ImageID)
	}
	// The base is the built-in one, so the result equals the default build.
	if first.ImageID != builtZIP(t).ImageID {
		t.Errorf("image ID on the pushed built-in base = %s, want %s", first.ImageID, builtZIP(t).ImageID)
	}
}
