package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// sizes is one run of the size benchmark, in bytes.
type sizes struct {
	stripped   int64 // the binary in the image, built with -s -w
	unstripped int64 // the same build without -s -w
	imageTar   int64 // image.tar, uncompressed, as stored in the ZIP
	zip        int64
}

// benchSize packages the service and measures the binary, image.tar and the ZIP. The
// build is reproducible, so every run must give the same sizes; the runs confirm it.
func benchSize(ctx context.Context, ws *workspace, opts options, rep *report, progress io.Writer) error {
	var runs []sizes
	for i := range opts.runs {
		s, err := measureSizes(ctx, ws)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Fprintf(progress, "run %d/%d binary %d bytes (unstripped %d), image.tar %d, ZIP %d\n", i+1, opts.runs, s.stripped, s.unstripped, s.imageTar, s.zip)
		runs = append(runs, s)
	}

	stripped := collect(runs, func(s sizes) float64 { return megabytes(s.stripped) })
	unstripped := collect(runs, func(s sizes) float64 { return megabytes(s.unstripped) })
	imageTar := collect(runs, func(s sizes) float64 { return megabytes(s.imageTar) })
	zip := collect(runs, func(s sizes) float64 { return megabytes(s.zip) })
	rep.add(metric{group: "size", name: "binary in the image (stripped)", unit: "MB", values: stripped})
	rep.add(metric{group: "size", name: "binary without -s -w", unit: "MB", values: unstripped})
	rep.add(metric{group: "size", name: "image.tar", unit: "MB", values: imageTar})
	rep.add(metric{group: "size", name: "ZIP", unit: "MB", values: zip, target: &target{limit: 7, atMost: true, text: "< 7"}})
	rep.add(metric{group: "size", name: "binary without -s -w ÷ stripped", unit: "ratio", values: ratios(unstripped, stripped)})
	rep.add(metric{group: "size", name: "image.tar ÷ stripped binary", unit: "ratio", values: ratios(imageTar, stripped)})
	rep.add(metric{group: "size", name: "ZIP ÷ stripped binary", unit: "ratio", values: ratios(zip, stripped)})
	return nil
}

// measureSizes runs the packager, reads the ZIP and builds the binary without -s -w.
func measureSizes(ctx context.Context, ws *workspace) (sizes, error) {
	outDir := filepath.Join(ws.root, "size-dist")
	c := command{dir: ws.project, env: withEnv("GOFLAGS="), path: ws.packager,
		args: []string{"-dir", ws.project, "-out", outDir}, timeout: buildTimeout}
	if _, _, err := c.run(ctx); err != nil {
		return sizes{}, err
	}

	zipPath := filepath.Join(outDir, ws.name+".zip")
	zipInfo, err := os.Stat(zipPath)
	if err != nil {
		return sizes{}, fmt.Errorf("reading the ZIP size: %w", err)
	}
	image, tarSize, err := readZIPImage(zipPath, ws.name)
	if err != nil {
		return sizes{}, err
	}

	unstripped, err := buildUnstripped(ctx, ws)
	if err != nil {
		return sizes{}, err
	}
	return sizes{stripped: int64(len(image.binary)), unstripped: unstripped, imageTar: tarSize, zip: zipInfo.Size()}, nil
}

// buildUnstripped builds the image's binary with the settings of .ko.yaml but without
// -s -w, and returns its size.
func buildUnstripped(ctx context.Context, ws *workspace) (int64, error) {
	out := ws.bin(ws.name + "-unstripped")
	c := command{
		dir:  ws.project,
		env:  withEnv("CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1", "GOFLAGS="),
		path: "go",
		args: []string{"build", "-trimpath", "-buildvcs=false", "-tags=nomsgpack",
			"-ldflags", "-X main.version=" + ws.version, "-o", out, "."},
		timeout: buildTimeout,
	}
	if _, _, err := c.run(ctx); err != nil {
		return 0, fmt.Errorf("building the unstripped binary: %w", err)
	}
	info, err := os.Stat(out)
	if err != nil {
		return 0, fmt.Errorf("reading the unstripped binary's size: %w", err)
	}
	return info.Size(), nil
}
