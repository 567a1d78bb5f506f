package packager

import (
	"archive/zip"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/legacy/tarball"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"hello-microservice/internal/verify"
)

// ImageName is the image archive's name inside the ZIP.
const ImageName = "image.tar"

// zipTime is the modification time of every ZIP entry: the earliest a ZIP can record.
var zipTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// writeZIP writes the ZIP to a temporary file beside path and renames it into place, so
// that path is either the complete new ZIP or untouched.
// progress receives a line when the archive check passed.
func writeZIP(ctx context.Context, path string, manifestBytes []byte, tag name.Tag, img v1.Image, progress func(string)) (size int64, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, fmt.Errorf("creating output folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("creating temporary ZIP: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	if err := writeEntries(ctx, tmp, manifestBytes, tag, img); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	info, err := tmp.Stat()
	if err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("writing %s: %w", path, err)
	}

	// Run the static checks on the finished archive before it replaces anything.
	report, err := verify.Archive(ctx, tmp.Name())
	if err != nil {
		return 0, fmt.Errorf("checking %s: %w", path, err)
	}
	if err := report.Err(); err != nil {
		return 0, fmt.Errorf("checking the new %s: %w", filepath.Base(path), err)
	}
	progress("checked the archive")

	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, fmt.Errorf("moving the ZIP into place: %w", err)
	}
	return info.Size(), nil
}

// writeEntries writes cumulocity.json and image.tar, in that order, with fixed times and
// modes, so that the same inputs give the same bytes.
func writeEntries(ctx context.Context, w io.Writer, manifestBytes []byte, tag name.Tag, img v1.Image) error {
	zw := zip.NewWriter(w)

	// The fastest level: the binary compresses to about 42% either way, and a higher level
	// costs a quarter of a warm build's time for a few percent.
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})

	manifestEntry, err := createEntry(zw, ManifestName)
	if err != nil {
		return err
	}
	if _, err := manifestEntry.Write(manifestBytes); err != nil {
		return fmt.Errorf("writing %s: %w", ManifestName, err)
	}

	imageEntry, err := createEntry(zw, ImageName)
	if err != nil {
		return err
	}
	// Check for cancellation between writes, so that an interrupted build ends promptly.
	stoppable := writerFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, fmt.Errorf("interrupted: %w", err)
		}
		return imageEntry.Write(p)
	})
	if err := tarball.Write(tag, img, stoppable); err != nil {
		return fmt.Errorf("writing %s: %w", ImageName, err)
	}

	return zw.Close()
}

func createEntry(zw *zip.Writer, name string) (io.Writer, error) {
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
	hdr.SetMode(0o644)
	w, err := zw.CreateHeader(hdr)
	if err != nil {
		return nil, fmt.Errorf("adding %s: %w", name, err)
	}
	return w, nil
}

// writerFunc adapts a function to io.Writer.
type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
