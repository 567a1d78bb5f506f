// Package baseimage provides the base image the service is layered on: one assembled here
// from pinned inputs, a registry image pinned by digest and cached on disk, or a local OCI
// layout folder.
package baseimage

import (
	"archive/tar"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// BuiltinName is the name that selects the built-in base.
const BuiltinName = "builtin"

// Epoch is the time stamp of every file and of the image itself, so that the output does
// not depend on the clock.
var Epoch = time.Unix(0, 0).UTC()

// CABundlePath is the path of the built-in base's certificate authorities. Go's
// crypto/x509 looks there first on Linux.
const CABundlePath = "/etc/ssl/certs/ca-certificates.crt"

const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\n" +
		"tty:x:5:\n" +
		"staff:x:50:\n" +
		"nobody:x:65534:\n" +
		"nonroot:x:65532:\n"
	nsswitch = "passwd:         files\n" +
		"group:          files\n" +
		"shadow:         files\n" +
		"hosts:          files dns\n" +
		"networks:       files\n" +
		"protocols:      files\n" +
		"services:       files\n" +
		"ethers:         files\n" +
		"rpc:            files\n"
	osRelease = "PRETTY_NAME=\"Distroless-style static base (hello-microservice)\"\n" +
		"NAME=\"Distroless-style static base\"\n" +
		"ID=distroless\n" +
		"HOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n"
)

// entry is one file or folder of the built-in base's only layer.
type entry struct {
	name     string
	mode     int64
	uid, gid int
	dir      bool
	body     []byte
}

// Builtin assembles the built-in base: the file set of Google's distroless static image,
// with the CA bundle of the pinned golang.org/x/crypto/x509roots/fallback module. It runs
// as uid 0, because the platform grants only NET_BIND_SERVICE and a non-root user cannot
// use it to bind port 80.
func Builtin() (v1.Image, error) {
	layer, err := builtinLayer()
	if err != nil {
		return nil, fmt.Errorf("assembling the built-in base layer: %w", err)
	}

	img, err := mutate.Append(empty.Image, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: "hello-microservice builtin base", Comment: "distroless static file set"},
	})
	if err != nil {
		return nil, fmt.Errorf("appending the built-in base layer: %w", err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)

	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the built-in base config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS = "linux"
	cfg.Architecture = "amd64"
	cfg.Created = v1.Time{Time: Epoch}
	cfg.Config.User = "0"
	cfg.Config.WorkingDir = "/"
	cfg.Config.Env = []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"SSL_CERT_FILE=" + CABundlePath,
	}
	return mutate.ConfigFile(img, cfg)
}

func builtinLayer() (v1.Layer, error) {
	certs, err := caBundle()
	if err != nil {
		return nil, err
	}
	entries := []entry{
		{name: "etc/", mode: 0o755, dir: true},
		{name: "etc/group", mode: 0o644, body: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, body: []byte(nsswitch)},
		{name: "etc/os-release", mode: 0o644, body: []byte(osRelease)},
		{name: "etc/passwd", mode: 0o644, body: []byte(passwd)},
		{name: "etc/ssl/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/", mode: 0o755, dir: true},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: certs},
		{name: "home/", mode: 0o755, dir: true},
		{name: "home/nonroot/", mode: 0o700, uid: 65532, gid: 65532, dir: true},
		{name: "root/", mode: 0o700, dir: true},
		{name: "tmp/", mode: 0o1777, dir: true},
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		if err := writeEntry(tw, e); err != nil {
			return nil, fmt.Errorf("writing %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer tar: %w", err)
	}

	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

func writeEntry(tw *tar.Writer, e entry) error {
	hdr := &tar.Header{
		Name:    e.name,
		Mode:    e.mode,
		Uid:     e.uid,
		Gid:     e.gid,
		ModTime: Epoch,
	}
	if e.dir {
		hdr.Typeflag = tar.TypeDir
	} else {
		hdr.Typeflag = tar.TypeReg
		hdr.Size = int64(len(e.body))
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(e.body)
	return err
}

// caBundle encodes the unconstrained roots of the pinned fallback bundle as PEM. Roots
// that carry a distrust-after date are left out, because a PEM file cannot express that
// constraint and a TLS client would then trust them without it.
func caBundle() ([]byte, error) {
	var buf bytes.Buffer
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, fmt.Errorf("encoding a root certificate: %w", err)
		}
	}
	if buf.Len() == 0 {
		return nil, fmt.Errorf("the pinned CA bundle contains no certificate")
	}
	return buf.Bytes(), nil
}
