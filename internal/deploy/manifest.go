package deploy

import (
	"archive/zip"
	"context"
	"fmt"
	"io"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

// maxManifestSize bounds how much of cumulocity.json is read. Real manifests are a few KB.
const maxManifestSize = 1 << 20

// ReadManifest reads and validates the cumulocity.json at the root of the ZIP, the manifest
// the platform will read.
func ReadManifest(zipPath string) (*manifest.Manifest, error) {
	archive, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer archive.Close()

	file, err := archive.Open(verify.ManifestEntry)
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", verify.ManifestEntry, zipPath, err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", verify.ManifestEntry, zipPath, err)
	}
	if len(data) > maxManifestSize {
		return nil, fmt.Errorf("%s in %s exceeds %d bytes", verify.ManifestEntry, zipPath, maxManifestSize)
	}

	m, err := manifest.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s in %s: %w", verify.ManifestEntry, zipPath, err)
	}
	return m, nil
}

// CheckArchive runs the static pre-flight checks of [verify.Archive] on the ZIP and returns
// an error that lists every failed check.
func CheckArchive(ctx context.Context, zipPath string) error {
	report, err := verify.Archive(ctx, zipPath)
	if err != nil {
		return fmt.Errorf("checking %s: %w", zipPath, err)
	}
	if err := report.Err(); err != nil {
		return fmt.Errorf("%s: %w", zipPath, err)
	}
	return nil
}
