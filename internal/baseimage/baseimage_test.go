package baseimage_test

import (
	"archive/tar"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
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

	tests := []struct {
		name string
		spec string
	}{
		{"tag", "127.0.0.1:1/base/static:latest"},
		{"no tag", "gcr.io/distroless/static-debian13"},
		{"docker hub tag", "library/alpine:3.20"},
		{"localhost", "localhost/base"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			_, err := baseimage.Resolve(t.Context(), test.spec, baseimage.Options{CacheDir: t.TempDir()})
			if err == nil {
				t.Fatal("resolve succeeded, want a digest requirement")
			}
			for _, want := range []string{
				"not pinned by digest",
				"go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 digest " + test.spec,
				"docker://" + test.spec,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "could not parse reference") {
				t.Errorf("error %q reports a parse failure", err)
			}
		})
	}
}

func TestLayoutFolderMissing(t *testing.T) {
	t.Parallel()

	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "base.tar")
	if err := os.WriteFile(file, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		spec string
		want string
	}{
		{"relative", "./nonexistent", "base image folder ./nonexistent does not exist"},
		{"parent", "../nonexistent/layout", "base image folder ../nonexistent/layout does not exist"},
		{"absolute", "/nonexistent/layout", "base image folder /nonexistent/layout does not exist"},
		{"tilde", "~/layouts/base", "nothing expanded the ~"},
		{"oci prefix", "oci:./nonexistent", "base image folder ./nonexistent does not exist"},
		{"bare folder", "layouts/base", "base image folder layouts/base does not exist"},
		{"no oci-layout", empty, "has no oci-layout file"},
		{"oci prefix no oci-layout", "oci:" + empty, "has no oci-layout file"},
		{"file", file, "is a file, not an OCI layout folder"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			_, err := baseimage.Resolve(t.Context(), test.spec, baseimage.Options{CacheDir: t.TempDir()})
			if err == nil {
				t.Fatal("resolve succeeded, want an error")
			}
			if !strings.Contains(err.Error(), test.want) {
				t.Errorf("error %q does not contain %q", err, test.want)
			}
			if strings.Contains(err.Error(), "could not parse reference") {
				t.Errorf("error %q reports a parse failure", err)
			}
		})
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

// TestRegistryNeverAnswers points the pull at a listener that accepts connections and never
// sends a byte, the worst case for the timeouts.
func TestRegistryNeverAnswers(t *testing.T) {
	t.Parallel()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })

	var accepted []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			accepted = append(accepted, conn)
		}
	}()
	t.Cleanup(func() {
		listener.Close()
		<-done
		for _, conn := range accepted {
			conn.Close()
		}
	})

	ref := listener.Addr().String() + "/base/static@sha256:" + strings.Repeat("a", 64)
	start := time.Now()
	_, err = baseimage.Resolve(t.Context(), ref, baseimage.Options{CacheDir: t.TempDir()})
	elapsed := time.Since(start)

	if err == nil {
		t.Fatal("resolve succeeded, want an error")
	}
	for _, want := range []string{"is unreachable", "BASE=builtin"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if elapsed > 12*time.Second {
		t.Errorf("failing took %v, want about 6 s (the response header timeout)", elapsed)
	}
	t.Logf("failed after %v: %v", elapsed, err)
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
