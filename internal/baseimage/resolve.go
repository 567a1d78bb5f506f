package baseimage

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Platform is the only platform Cumulocity hosts.
var Platform = v1.Platform{OS: "linux", Architecture: "amd64"}

// refAnnotation records, in the cache's index, which reference an image was pulled for.
const refAnnotation = "org.opencontainers.image.ref.name"

// Timeouts for reaching a registry, so that a build that cannot reach one fails within
// about ten seconds. go-containerregistry v0.22.1 pings a registry on a loopback or private
// address over HTTPS and, 300 ms later, over HTTP in parallel. One that accepts connections
// but never responds therefore fails after about 6.3 s: 0.3 s plus the response header timeout.
const (
	dialTimeout           = 4 * time.Second
	tlsHandshakeTimeout   = 4 * time.Second
	responseHeaderTimeout = 6 * time.Second
)

// craneDigest is a command that prints an image's digest and needs only Go.
const craneDigest = "go run github.com/google/go-containerregistry/cmd/crane@v0.22.1 digest"

// Options configures Resolve.
type Options struct {
	// CacheDir is the OCI layout folder that keeps pulled registry images, so that later
	// builds need no network. Empty means DefaultCacheDir.
	CacheDir string

	// Transport replaces the HTTP transport used to reach registries, for tests.
	Transport http.RoundTripper
}

// Resolved is a base image and a description of where it came from.
type Resolved struct {
	Image       v1.Image
	Description string // for example "builtin" or "gcr.io/distroless/static@sha256:... (cached)"
}

// DefaultCacheDir returns the user's cache folder for pulled base images.
func DefaultCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache folder: %w", err)
	}
	return filepath.Join(dir, "hello-microservice", "base-images"), nil
}

// Resolve returns the base image that spec selects:
//   - "" or "builtin": the base assembled from pinned inputs (see Builtin);
//   - a path to an OCI layout folder (one that holds an oci-layout file), or "oci:PATH";
//   - a registry reference pinned by digest, pulled once into the cache.
//
// A spec that looks like a path (see looksLikePath) is read as a folder, so a missing
// folder is reported as missing rather than as an invalid registry reference.
func Resolve(ctx context.Context, spec string, opts Options) (Resolved, error) {
	switch {
	case spec == "" || spec == BuiltinName:
		img, err := Builtin()
		return Resolved{Image: img, Description: BuiltinName}, err
	case strings.HasPrefix(spec, "oci:"):
		return fromLayout(strings.TrimPrefix(spec, "oci:"))
	case looksLikePath(spec):
		return fromLayout(spec)
	}
	return fromRegistry(ctx, spec, opts)
}

// looksLikePath reports whether spec names a local folder rather than a registry
// reference: it starts with /, ./, ../ or ~, it exists on disk, or it has a slash without
// a registry host before it (a host has a dot or a port, or is localhost) and no tag or
// digest. "library/alpine" is therefore read as a folder, but it would be rejected as a
// registry reference too, because it is not pinned by digest.
func looksLikePath(spec string) bool {
	if spec == "." || spec == ".." {
		return true
	}
	for _, prefix := range []string{"/", "./", "../", "~", `.\`, `..\`} {
		if strings.HasPrefix(spec, prefix) {
			return true
		}
	}
	if strings.ContainsRune(spec, '\\') {
		return true
	}
	if _, err := os.Stat(spec); err == nil {
		return true
	}

	host, rest, found := strings.Cut(spec, "/")
	if !found || strings.ContainsAny(host, ".:") || host == "localhost" {
		return false
	}
	return !strings.ContainsAny(rest, ":@")
}

// fromLayout reads the linux/amd64 image of a local OCI layout folder.
func fromLayout(dir string) (Resolved, error) {
	if err := checkLayoutFolder(dir); err != nil {
		return Resolved{}, err
	}

	index, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return Resolved{}, fmt.Errorf("reading OCI layout %s: %w (expected a folder with oci-layout and index.json, as written by skopeo copy or crane pull --format=oci)", dir, err)
	}
	img, err := platformImage(index, "")
	if err != nil {
		return Resolved{}, fmt.Errorf("OCI layout %s: %w", dir, err)
	}
	return Resolved{Image: img, Description: "oci:" + dir}, nil
}

// checkLayoutFolder reports a missing folder or a folder without an oci-layout file.
func checkLayoutFolder(dir string) error {
	const fix = "write an OCI layout there, for example with skopeo copy docker://<ref> oci:<folder>, or set BASE to builtin or to a registry reference pinned by digest"

	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) && strings.HasPrefix(dir, "~"):
		return fmt.Errorf("base image folder %s does not exist, because nothing expanded the ~; fix: use $HOME or an absolute path", dir)
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("base image folder %s does not exist; fix: check the path, or %s", dir, fix)
	case err != nil:
		return fmt.Errorf("reading base image folder %s: %w", dir, err)
	case !info.IsDir():
		return fmt.Errorf("base image %s is a file, not an OCI layout folder; fix: %s", dir, fix)
	}

	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("base image folder %s has no oci-layout file, so it is not an OCI image layout; fix: %s", dir, fix)
	}
	return nil
}

// platformImage finds the linux/amd64 image in index, descending into nested indexes.
// With want set, only descriptors annotated with that reference are considered.
func platformImage(index v1.ImageIndex, want string) (v1.Image, error) {
	manifest, err := index.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading the index: %w", err)
	}
	for _, desc := range manifest.Manifests {
		if want != "" && desc.Annotations[refAnnotation] != want {
			continue
		}
		switch {
		case desc.MediaType.IsImage():
			if desc.Platform != nil && !desc.Platform.Satisfies(Platform) {
				continue
			}
			img, err := index.Image(desc.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading image %s: %w", desc.Digest, err)
			}
			if err := checkPlatform(img); err != nil {
				continue
			}
			return img, nil
		case desc.MediaType.IsIndex():
			child, err := index.ImageIndex(desc.Digest)
			if err != nil {
				return nil, fmt.Errorf("reading index %s: %w", desc.Digest, err)
			}
			if img, err := platformImage(child, ""); err == nil {
				return img, nil
			}
		}
	}
	return nil, fmt.Errorf("no %s image found", Platform)
}

func checkPlatform(img v1.Image) error {
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the image config: %w", err)
	}
	if cfg.OS != Platform.OS || cfg.Architecture != Platform.Architecture {
		return fmt.Errorf("image is %s/%s, expected %s", cfg.OS, cfg.Architecture, Platform)
	}
	return nil
}

// fromRegistry returns the image for a digest-pinned reference from the cache, pulling it
// into the cache first when it is not there yet.
func fromRegistry(ctx context.Context, spec string, opts Options) (Resolved, error) {
	// Without name.StrictValidation a reference without tag or digest parses with the tag
	// latest, so that the digest check below can name the problem.
	ref, err := name.ParseReference(spec)
	if err != nil {
		return Resolved{}, fmt.Errorf("invalid base image %q: %w (use %q, a local OCI layout folder, or a registry reference pinned by digest such as gcr.io/distroless/static-debian13@sha256:...)", spec, err, BuiltinName)
	}
	if _, ok := ref.(name.Digest); !ok {
		return Resolved{}, fmt.Errorf("base image %q is not pinned by digest: add @sha256:<digest> so that every build uses the same bytes; print the digest with `%s %s` or `skopeo inspect --format '{{.Digest}}' docker://%s`",
			spec, craneDigest, spec, spec)
	}

	cacheDir := opts.CacheDir
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return Resolved{}, err
		}
	}
	cache, err := openCache(cacheDir)
	if err != nil {
		return Resolved{}, err
	}

	if index, err := cache.ImageIndex(); err == nil {
		if img, err := platformImage(index, ref.String()); err == nil {
			return Resolved{Image: img, Description: ref.String() + " (cached in " + cacheDir + ")"}, nil
		}
	}

	img, err := pull(ctx, ref, opts.Transport)
	if err != nil {
		return Resolved{}, fmt.Errorf("pulling base image %s: %w; to build offline, use BASE=%s (the default), a local OCI layout folder (BASE=./path), or run once with network access to fill the cache at %s", ref, err, BuiltinName, cacheDir)
	}
	if err := cache.AppendImage(img, layout.WithAnnotations(map[string]string{refAnnotation: ref.String()}), layout.WithPlatform(Platform)); err != nil {
		return Resolved{}, fmt.Errorf("caching base image %s in %s: %w", ref, cacheDir, err)
	}

	// Read the image back from the cache, so that a fresh pull and a cached one give the
	// same bytes.
	index, err := cache.ImageIndex()
	if err != nil {
		return Resolved{}, fmt.Errorf("reading the cache %s: %w", cacheDir, err)
	}
	cached, err := platformImage(index, ref.String())
	if err != nil {
		return Resolved{}, fmt.Errorf("reading base image %s from the cache %s: %w", ref, cacheDir, err)
	}
	return Resolved{Image: cached, Description: ref.String() + " (pulled into " + cacheDir + ")"}, nil
}

func openCache(dir string) (layout.Path, error) {
	if path, err := layout.FromPath(dir); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("creating the base image cache %s: %w", dir, err)
	}
	path, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("creating the base image cache %s: %w", dir, err)
	}
	return path, nil
}

// pull fetches the linux/amd64 image for ref. Connection failures are not retried, so an
// unreachable registry fails within seconds.
func pull(ctx context.Context, ref name.Reference, transport http.RoundTripper) (v1.Image, error) {
	if transport == nil {
		transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: dialTimeout}).DialContext,
			TLSHandshakeTimeout:   tlsHandshakeTimeout,
			ResponseHeaderTimeout: responseHeaderTimeout,
		}
	}
	img, err := remote.Image(ref,
		remote.WithContext(ctx),
		remote.WithPlatform(Platform),
		remote.WithAuthFromKeychain(authn.DefaultKeychain),
		remote.WithTransport(transport),
		remote.WithRetryPredicate(func(error) bool { return false }),
	)
	if err != nil {
		var netErr net.Error
		if errors.As(err, &netErr) {
			return nil, fmt.Errorf("registry %s is unreachable: %w", ref.Context().RegistryStr(), err)
		}
		return nil, err
	}
	if err := checkPlatform(img); err != nil {
		return nil, err
	}
	return img, nil
}
