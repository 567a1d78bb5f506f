package baseimage_test

import (
	"archive/tar"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"hello-microservice/internal/baseimage"
)

// layerFiles reads every entry of an image's layers into a map from path to header and body.
func layerFiles(t *testing.T, img v1.Image) map[string]fileEntry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]fileEntry{}
	for _, layer := range layers {
		rc, err := layer.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimSuffix(hdr.Name, "/")] = fileEntry{hdr: hdr, body: body}
		}
		rc.Close()
	}
	return files
}

type fileEntry struct {
	hdr  *tar.Header
	body []byte
}

func TestBuiltinFileSet(t *testing.T) {
	t.Parallel()
	img, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	files := layerFiles(t, img)

	wantModes := map[string]int64{
		"etc/passwd":        0o644,
		"etc/group":         0o644,
		"etc/nsswitch.conf": 0o644,
		"etc/os-release":    0o644,
		"tmp":               0o1777,
		"root":              0o700,
		"home/nonroot":      0o700,
		strings.TrimPrefix(baseimage.CABundlePath, "/"): 0o644,
	}
	for path, mode := range wantModes {
		f, ok := files[path]
		if !ok {
			t.Errorf("%s missing from the built-in base", path)
			continue
		}
		if f.hdr.Mode != mode {
			t.Errorf("%s mode = %o, want %o", path, f.hdr.Mode, mode)
		}
		if !f.hdr.ModTime.Equal(baseimage.Epoch) {
			t.Errorf("%s time = %v, want %v", path, f.hdr.ModTime, baseimage.Epoch)
		}
	}
	if got := files["home/nonroot"].hdr.Uid; got != 65532 {
		t.Errorf("home/nonroot uid = %d, want 65532", got)
	}
	for _, user := range []string{"root:x:0:0:", "nobody:x:65534:65534:", "nonroot:x:65532:65532:"} {
		if !strings.Contains(string(files["etc/passwd"].body), user) {
			t.Errorf("etc/passwd lacks %q", user)
		}
	}
	for _, group := range []string{"root:x:0:", "nobody:x:65534:", "nonroot:x:65532:"} {
		if !strings.Contains(string(files["etc/group"].body), group) {
			t.Errorf("etc/group lacks %q", group)
		}
	}
}

func TestBuiltinCABundleParses(t *testing.T) {
	t.Parallel()
	img, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	bundle := layerFiles(t, img)[strings.TrimPrefix(baseimage.CABundlePath, "/")].body

	count := 0
	for rest := bundle; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatalf("certificate %d does not parse: %v", count, err)
		}
		count++
	}
	if count < 100 {
		t.Errorf("CA bundle holds %d certificates, want at least 100", count)
	}
}

func TestBuiltinConfig(t *testing.T) {
	t.Parallel()
	img, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != "amd64" {
		t.Errorf("platform = %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
	}
	if cfg.Config.User != "0" {
		t.Errorf("user = %q, want 0", cfg.Config.User)
	}
	if !cfg.Created.Time.Equal(baseimage.Epoch) {
		t.Errorf("created = %v, want %v", cfg.Created.Time, baseimage.Epoch)
	}
}

func TestBuiltinIsReproducible(t *testing.T) {
	t.Parallel()
	first, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	second, err := baseimage.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	if d1 != d2 {
		t.Errorf("two builds differ: %s and %s", d1, d2)
	}
}

// amd64Image returns a small random linux/amd64 image.
func amd64Image(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pushed starts an in-memory registry, pushes img to it and returns the registry server
// and the digest reference.
func pushed(t *testing.T, img v1.Image) (*httptest.Server, name.Digest) {
	t.Helper()
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)

	host := strings.TrimPrefix(srv.URL, "http://")
	tag, err := name.NewTag(host + "/base/static:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	digest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return srv, tag.Context().Digest(digest.String())
}

func TestRegistryPullThenOffline(t *testing.T) {
	t.Parallel()
	img := amd64Image(t)
	srv, ref := pushed(t, img)
	cache := t.TempDir()

	first, err := baseimage.Resolve(t.Context(), ref.String(), baseimage.Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.Description, "pulled") {
		t.Errorf("description = %q, want a pull", first.Description)
	}

	// With the registry gone, the cache serves the same image.
	srv.Close()
	second, err := baseimage.Resolve(t.Context(), ref.String(), baseimage.Options{CacheDir: cache})
	if err != nil {
		t.Fatalf("offline resolve: %v", err)
	}
	if !strings.Contains(second.Description, "cached") {
		t.Errorf("description = %q, want the cache", second.Description)
	}
	want, _ := img.Digest()
	for _, got := range []baseimage.Resolved{first, second} {
		d, err := got.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if d != want {
			t.Errorf("image digest = %s, want %s", d, want)
		}
	}
}

func TestRegistryRejectsTag(t *testing.T) {
	t.Parallel()
	_, err := baseimage.Resolve(t.Context(), "127.0.0.1:1/base/static:latest", baseimage.Options{CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not pinned by digest") {
		t.Fatalf("error = %v, want a digest requirement", err)
	}
}

func TestRegistryUnreachableFailsFast(t *testing.T) {
	t.Parallel()

	// A port that was just free: nothing listens there.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	ref := addr + "/base/static@sha256:" + strings.Repeat("a", 64)

	start := time.Now()
	_, err = baseimage.Resolve(t.Context(), ref, baseimage.Options{CacheDir: t.TempDir()})
	elapsed := time.Since(start)
	if err == nil {
		t.Fatal("resolve succeeded, want an error")
	}
	for _, want := range []string{ref, "BASE=builtin", "OCI layout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if elapsed > 10*time.Second {
		t.Errorf("failing took %v, want a few seconds", elapsed)
	}
}

func TestLayoutFolder(t *testing.T) {
	t.Parallel()
	img := amd64Image(t)
	dir := t.TempDir()
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := path.AppendImage(img); err != nil {
		t.Fatal(err)
	}

	for _, spec := range []string{dir, "oci:" + dir} {
		got, err := baseimage.Resolve(t.Context(), spec, baseimage.Options{})
		if err != nil {
			t.Fatalf("resolve %s: %v", spec, err)
		}
		want, _ := img.Digest()
		if d, _ := got.Image.Digest(); d != want {
			t.Errorf("resolve %s: digest = %s, want %s", spec, d, want)
		}
	}
}

func TestLayoutFolderWrongPlatform(t *testing.T) {
	t.Parallel()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := img.ConfigFile()
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "arm64"
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := path.AppendImage(img); err != nil {
		t.Fatal(err)
	}

	_, err = baseimage.Resolve(t.Context(), "oci:"+dir, baseimage.Options{})
	if err == nil || !strings.Contains(err.Error(), "linux/amd64") {
		t.Fatalf("error = %v, want a platform mismatch", err)
	}
}
