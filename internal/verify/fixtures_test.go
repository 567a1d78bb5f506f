package verify_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
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
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	v1tarball "github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Name and version of the test images; the tag and the manifest must agree.
const (
	testName    = "hello-microservice"
	testVersion = "1.2.3"
	testTag     = testName + ":" + testVersion
	binaryPath  = "/app/hello"
)

// binaryBuild is one way of building the test program.
type binaryBuild struct {
	pkg  string   // the package folder under testdata
	env  []string // added to the hermetic build environment
	args []string // go build flags
}

// binaryBuilds lists the test binaries by name.
func binaryBuilds() map[string]binaryBuild {
	withVersion := "-ldflags=-X main.version=" + testVersion
	return map[string]binaryBuild{
		// The -ldflags build setting records the version.
		"valid": {pkg: "hello", args: []string{withVersion}},
		// Like the packager's build: -trimpath drops the -ldflags setting, -s the symbols.
		"stripped": {pkg: "hello", args: []string{"-trimpath", "-ldflags=-s -w -X main.version=" + testVersion}},
		// -trimpath without -s: only the main.version symbol records the version.
		"symbols": {pkg: "hello", args: []string{"-trimpath", withVersion}},
		"arm64":   {pkg: "hello", env: []string{"GOARCH=arm64"}, args: []string{withVersion}},
		"dynamic": {pkg: "hellocgo", env: []string{"CGO_ENABLED=1"}, args: []string{withVersion}},
		// No -X: main.version keeps its default "dev", readable from the symbol.
		"unversioned": {pkg: "hello"},
		// No -X and nothing to read it from.
		"unversioned stripped": {pkg: "hello", args: []string{"-trimpath", "-ldflags=-s -w"}},
	}
}

// binaries holds the content of each test binary, built once by TestMain.
var binaries map[string][]byte

func TestMain(m *testing.M) {
	built, err := buildBinaries()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building the test binaries:", err)
		os.Exit(1)
	}
	binaries = built

	os.Exit(m.Run())
}

func buildBinaries() (map[string][]byte, error) {
	dir, err := os.MkdirTemp("", "verify-binaries-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	builds := binaryBuilds()
	built := make(map[string][]byte, len(builds))
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(builds))

	for label, build := range builds {
		wg.Go(func() {
			out := filepath.Join(dir, strings.ReplaceAll(label, " ", "-"))
			args := append([]string{"build", "-o", out}, build.args...)
			cmd := exec.Command("go", append(args, "./testdata/"+build.pkg)...)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=", "GOWORK=off")
			cmd.Env = append(cmd.Env, build.env...)
			if output, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("%s: %w\n%s", label, err, output)
				return
			}

			data, err := os.ReadFile(out)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			built[label] = data
			mu.Unlock()
		})
	}
	wg.Wait()
	close(errs)

	if err := <-errs; err != nil {
		return nil, err
	}

	return built, nil
}

// layerFile is one entry of a test layer.
type layerFile struct {
	name     string // path inside the image, such as "app/hello"
	body     []byte
	mode     int64
	typeflag byte // tar.TypeReg when zero
	linkname string
}

// imageSpec describes a test image; the zero value of each field means the valid default.
type imageSpec struct {
	tag       string
	layers    [][]layerFile
	configure func(*v1.ConfigFile)
}

// binaryLayer returns a layer with the named binary at /app/hello.
func binaryLayer(binary string) []layerFile {
	return []layerFile{
		{name: "app", mode: 0o755, typeflag: tar.TypeDir},
		{name: "app/hello", body: binaries[binary], mode: 0o755},
	}
}

// imageTar builds a docker save archive of the image that spec describes, with
// go-containerregistry's legacy writer, which writes the classic layout.
func imageTar(t *testing.T, spec imageSpec) []byte {
	t.Helper()

	if spec.tag == "" {
		spec.tag = testTag
	}
	if spec.layers == nil {
		spec.layers = [][]layerFile{
			{{name: "etc/hostname", body: []byte("hello\n"), mode: 0o644}},
			binaryLayer("valid"),
		}
	}

	img := empty.Image
	for _, files := range spec.layers {
		content := layerTar(t, files)
		layer, err := v1tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(content)), nil
		})
		if err != nil {
			t.Fatalf("creating a layer: %v", err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatalf("appending a layer: %v", err)
		}
	}

	config, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("reading the config: %v", err)
	}
	config = config.DeepCopy()
	config.OS = "linux"
	config.Architecture = "amd64"
	config.Config.Entrypoint = []string{binaryPath}
	config.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin:/app"}
	config.Config.User = "0"
	if spec.configure != nil {
		spec.configure(config)
	}
	if img, err = mutate.ConfigFile(img, config); err != nil {
		t.Fatalf("setting the config: %v", err)
	}

	tag, err := name.NewTag(spec.tag)
	if err != nil {
		t.Fatalf("parsing tag %q: %v", spec.tag, err)
	}
	var out bytes.Buffer
	if err := tarball.Write(tag, img, &out); err != nil {
		t.Fatalf("writing the image: %v", err)
	}

	return out.Bytes()
}

func layerTar(t *testing.T, files []layerFile) []byte {
	t.Helper()

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, file := range files {
		hdr := &tar.Header{
			Name:     file.name,
			Mode:     file.mode,
			Size:     int64(len(file.body)),
			Typeflag: file.typeflag,
			Linkname: file.linkname,
			ModTime:  time.Unix(0, 0),
		}
		if hdr.Typeflag == 0 {
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("writing layer entry %s: %v", file.name, err)
		}
		if _, err := tw.Write(file.body[:hdr.Size]); err != nil {
			t.Fatalf("writing layer entry %s: %v", file.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("closing layer: %v", err)
	}

	return out.Bytes()
}

// manifestJSON returns testdata/cumulocity.json with the fields in changes replaced.
func manifestJSON(t *testing.T, changes map[string]any) []byte {
	t.Helper()

	data, err := os.ReadFile("testdata/cumulocity.json")
	if err != nil {
		t.Fatal(err)
	}
	var document map[string]any
	if err := json.Unmarshal(data, &document); err != nil {
		t.Fatal(err)
	}
	for key, value := range changes {
		document[key] = value
	}

	out, err := json.Marshal(document)
	if err != nil {
		t.Fatal(err)
	}

	return out
}

// tarEntry is one entry of an archive being edited.
type tarEntry struct {
	header tar.Header
	body   []byte
}

func readTar(t *testing.T, data []byte) []tarEntry {
	t.Helper()

	var entries []tarEntry
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading tar entry %s: %v", hdr.Name, err)
		}
		entries = append(entries, tarEntry{header: *hdr, body: body})
	}
}

func writeTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()

	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, entry := range entries {
		hdr := entry.header
		hdr.Size = int64(len(entry.body))
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatalf("writing tar entry %s: %v", hdr.Name, err)
		}
		if _, err := tw.Write(entry.body); err != nil {
			t.Fatalf("writing tar entry %s: %v", hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("closing tar: %v", err)
	}

	return out.Bytes()
}

// fileEntry returns a regular file entry for an image archive.
func fileEntry(name string, body []byte) tarEntry {
	return tarEntry{header: tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}, body: body}
}

// find returns the index of the named entry, failing the test when there is none.
func find(t *testing.T, entries []tarEntry, name string) int {
	t.Helper()

	for i, entry := range entries {
		if entry.header.Name == name {
			return i
		}
	}
	t.Fatalf("no entry %s in the archive", name)
	return -1
}

// saveManifest decodes manifest.json of an image archive.
func saveManifest(t *testing.T, entries []tarEntry) []map[string]any {
	t.Helper()

	var images []map[string]any
	if err := json.Unmarshal(entries[find(t, entries, "manifest.json")].body, &images); err != nil {
		t.Fatalf("decoding manifest.json: %v", err)
	}

	return images
}

func setSaveManifest(t *testing.T, entries []tarEntry, images []map[string]any) {
	t.Helper()

	data, err := json.Marshal(images)
	if err != nil {
		t.Fatal(err)
	}
	entries[find(t, entries, "manifest.json")].body = data
}

// zipEntry is one entry of a test ZIP.
type zipEntry struct {
	name  string
	body  []byte
	store bool // without compression; deflated when false
}

func writeZIP(t *testing.T, entries []zipEntry) []byte {
	t.Helper()

	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, entry := range entries {
		method := zip.Deflate
		if entry.store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: entry.name, Method: method})
		if err != nil {
			t.Fatalf("adding %s: %v", entry.name, err)
		}
		if _, err := w.Write(entry.body); err != nil {
			t.Fatalf("writing %s: %v", entry.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("closing ZIP: %v", err)
	}

	return out.Bytes()
}

// uploadZIP returns a ZIP of the manifest and the image archive.
func uploadZIP(t *testing.T, manifest, image []byte) []byte {
	t.Helper()

	return writeZIP(t, []zipEntry{{name: "cumulocity.json", body: manifest}, {name: "image.tar", body: image}})
}

// writeFile stores data in a new file under t.TempDir and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()

	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}

	return p
}
