// Package verify checks a Cumulocity microservice ZIP before upload: the ZIP layout, the
// manifest, the docker-save image.tar inside it and the binary the image starts. Archive
// needs no root and runs nothing from the image.
package verify

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"hello-microservice/internal/manifest"
)

// Entry names at the ZIP root.
const (
	ManifestEntry = "cumulocity.json"
	ImageEntry    = "image.tar"
)

// MaxZIPSize is the largest ZIP the admin UI accepts.
// NOTE: the documentation says 500 MB without saying whether it means 10^6 or 2^20 bytes,
// so the smaller reading is enforced.
const MaxZIPSize = 500_000_000

// maxManifestSize bounds how much of cumulocity.json is read; real manifests are a few KB.
const maxManifestSize = 1 << 20

// Names of the static checks, in the order Archive reports them.
const (
	CheckZIPFile       = "zip file"
	CheckZIPEntries    = "zip entries"
	CheckManifest      = "manifest"
	CheckImageArchive  = "image archive"
	CheckImageLayout   = "image layout"
	CheckImageCount    = "image count"
	CheckImageTag      = "image tag"
	CheckImageConfig   = "image config"
	CheckImagePlatform = "image platform"
	CheckImageUser     = "image user"
	CheckImageLayers   = "image layers"
	CheckEntrypoint    = "entrypoint"
	CheckProbePrograms = "probe programs"
	CheckBinaryArch    = "binary architecture"
	CheckBinaryStatic  = "static binary"
	CheckBinaryVersion = "binary version"
)

// StaticChecks returns the names of the checks Archive reports, in order.
func StaticChecks() []string {
	return []string{
		CheckZIPFile, CheckZIPEntries, CheckManifest,
		CheckImageArchive, CheckImageLayout, CheckImageCount, CheckImageTag,
		CheckImageConfig, CheckImagePlatform, CheckImageUser, CheckImageLayers,
		CheckEntrypoint, CheckProbePrograms, CheckBinaryArch, CheckBinaryStatic, CheckBinaryVersion,
	}
}

// Archive checks the ZIP at zipPath the way the platform reads an upload and returns one
// entry per check in StaticChecks: a check that cannot run because an earlier one failed is
// skipped with that reason. A broken archive fails checks but returns no error. The error
// is for a canceled ctx or a failure to write the temporary copy of the entrypoint.
func Archive(ctx context.Context, zipPath string) (*Report, error) {
	run := &archiveRun{report: &Report{}}

	err := run.check(ctx, zipPath)
	run.skipUnchecked()

	if err != nil {
		return run.report, err
	}

	return run.report, nil
}

// archiveRun holds the state of one Archive call.
type archiveRun struct {
	report *Report

	// blocker names the failed check that stopped the later ones.
	blocker string
}

// block records that the checks not yet reported cannot run because name failed.
func (a *archiveRun) block(name string) {
	if a.blocker == "" {
		a.blocker = name
	}
}

// skipUnchecked reports every static check that did not run as skipped and sorts the
// report into the order of StaticChecks.
func (a *archiveRun) skipUnchecked() {
	reason := "not checked because an earlier check failed"
	if a.blocker != "" {
		reason = fmt.Sprintf("not checked because the %q check failed", a.blocker)
	}

	order := StaticChecks()
	for _, name := range order {
		if !a.report.has(name) {
			a.report.Skip(name, "%s", reason)
		}
	}

	slices.SortStableFunc(a.report.Checks, func(x, y Check) int {
		return slices.Index(order, x.Name) - slices.Index(order, y.Name)
	})
}

func (a *archiveRun) check(ctx context.Context, zipPath string) error {
	zr, ok := a.openZIP(zipPath)
	if !ok {
		return nil
	}
	defer zr.Close()

	entries := a.checkEntries(zr)
	parsed, m := a.checkManifest(entries[ManifestEntry])

	imageFile := entries[ImageEntry]
	if imageFile == nil {
		a.block(CheckZIPEntries)
		return nil
	}

	return a.checkImage(ctx, imageFile, parsed, m)
}

// openZIP runs the "zip file" check: the file exists, is a complete ZIP and is small enough.
func (a *archiveRun) openZIP(zipPath string) (*zip.ReadCloser, bool) {
	info, err := os.Stat(zipPath)
	if err != nil {
		a.report.Fail(CheckZIPFile, "cannot read %s: %v; fix: build the ZIP first with go tool task package", zipPath, err)
		a.block(CheckZIPFile)
		return nil, false
	}

	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		a.report.Fail(CheckZIPFile, "%s is not a complete ZIP archive (%v), so it is truncated or damaged; fix: build it again and copy the whole file", zipPath, err)
		a.block(CheckZIPFile)
		return nil, false
	}

	if info.Size() > MaxZIPSize {
		a.report.Fail(CheckZIPFile, "%s is %s, over the platform's upload limit of 500 MB; fix: make the image smaller, for example with a smaller base image or a stripped binary",
			zipPath, megabytes(info.Size()))
		return zr, true
	}

	a.report.Pass(CheckZIPFile, "%s, %s", zipPath, megabytes(info.Size()))
	return zr, true
}

// checkEntries runs the "zip entries" check and returns the root entries named
// cumulocity.json and image.tar that can be read.
func (a *archiveRun) checkEntries(zr *zip.ReadCloser) map[string]*zip.File {
	found := map[string]*zip.File{}
	var problems []string

	for _, f := range zr.File {
		name := f.Name
		switch {
		case f.FileInfo().IsDir() || strings.HasSuffix(name, "/"):
			problems = append(problems, fmt.Sprintf("folder %q", name))
		case strings.ContainsAny(name, `/\`):
			problems = append(problems, fmt.Sprintf("%q inside a folder", name))
		case name != ManifestEntry && name != ImageEntry:
			problems = append(problems, fmt.Sprintf("extra entry %q", name))
		case found[name] != nil:
			problems = append(problems, fmt.Sprintf("second entry named %q", name))
		case f.Method != zip.Store && f.Method != zip.Deflate:
			problems = append(problems, fmt.Sprintf("%q compressed with method %d, where only stored (0) and deflated (8) are standard", name, f.Method))
		default:
			found[name] = f
		}
	}

	for _, name := range []string{ManifestEntry, ImageEntry} {
		if found[name] == nil {
			problems = append(problems, fmt.Sprintf("no %s at the root", name))
		}
	}

	if len(problems) > 0 {
		a.report.Fail(CheckZIPEntries, "the ZIP root must hold exactly %s and %s, but it has %s; fix: zip only those two files, without folders (for example zip -j)",
			ManifestEntry, ImageEntry, strings.Join(problems, ", "))
		return found
	}

	a.report.Pass(CheckZIPEntries, "%s and %s", ManifestEntry, ImageEntry)
	return found
}

// checkManifest runs the "manifest" check on cumulocity.json. It returns the parsed
// manifest, nil when cumulocity.json is missing or not a JSON object, and the usable
// manifest: the parsed one when its name and version are valid, even if other fields are
// not, so that later checks can still compare them with the image.
func (a *archiveRun) checkManifest(f *zip.File) (parsed, usable *manifest.Manifest) {
	if f == nil {
		a.report.Skip(CheckManifest, "not checked because the ZIP holds no %s at its root", ManifestEntry)
		return nil, nil
	}

	data, err := readZIPEntry(f, maxManifestSize)
	if err != nil {
		a.report.Fail(CheckManifest, "reading %s from the ZIP: %v; fix: build the ZIP again", ManifestEntry, err)
		return nil, nil
	}

	m, err := manifest.Parse(data)
	if err != nil {
		a.report.Fail(CheckManifest, "%v", err)
		return m, usableManifest(m, err)
	}

	a.report.Pass(CheckManifest, "%s %s, apiVersion %s", m.Name, m.Version, m.APIVersion)
	return m, m
}

// usableManifest returns m unless the validation error err concerns its name or version.
func usableManifest(m *manifest.Manifest, err error) *manifest.Manifest {
	var invalid *manifest.ValidationError
	if m == nil || !errors.As(err, &invalid) {
		return nil
	}

	for _, violation := range invalid.Violations {
		if violation.Field == "name" || violation.Field == "version" {
			return nil
		}
	}

	return m
}

// readZIPEntry reads a whole ZIP entry of at most limit bytes. Reading to the end makes
// archive/zip compare the CRC-32, so damaged content is an error.
func readZIPEntry(f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d expected", f.Name, f.UncompressedSize64, limit)
	}

	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, describeReadError(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is more than %d bytes", f.Name, limit)
	}

	return data, nil
}

// describeReadError names the usual causes of a failed read from a ZIP entry.
func describeReadError(err error) error {
	switch {
	case errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("the content does not match its CRC-32, so it is damaged: %w", err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the content ends early, so it is truncated: %w", err)
	default:
		return err
	}
}

func megabytes(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
