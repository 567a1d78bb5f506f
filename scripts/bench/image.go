package main

import (
	"archive/tar"
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// imageLayers is the number of layers every build must produce: the base, ko's kodata
// layer and the binary.
const imageLayers = 3

// imageInfo holds the parts of a built image that bench checks.
type imageInfo struct {
	diffIDs []v1.Hash // uncompressed layer digests, base first
	binary  []byte    // the entrypoint's file in the top layer
}

// readZIPImage opens image.tar inside the ZIP and checks the image in it.
func readZIPImage(zipPath, serviceName string) (info imageInfo, tarSize int64, err error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return imageInfo{}, 0, fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer zr.Close()

	i := slices.IndexFunc(zr.File, func(f *zip.File) bool { return f.Name == "image.tar" })
	if i < 0 {
		return imageInfo{}, 0, fmt.Errorf("%s: no image.tar entry", zipPath)
	}
	entry := zr.File[i]
	img, err := tarball.Image(func() (io.ReadCloser, error) { return entry.Open() }, nil)
	if err != nil {
		return imageInfo{}, 0, fmt.Errorf("reading image.tar in %s: %w", zipPath, err)
	}
	info, err = inspectImage(img, serviceName)
	if err != nil {
		return imageInfo{}, 0, fmt.Errorf("checking image.tar in %s: %w", zipPath, err)
	}
	return info, int64(entry.UncompressedSize64), nil
}

// readTarballImage opens an image archive that ko's --tarball wrote and checks the image.
func readTarballImage(tarPath, serviceName string) (imageInfo, error) {
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		return imageInfo{}, fmt.Errorf("reading %s: %w", tarPath, err)
	}
	info, err := inspectImage(img, serviceName)
	if err != nil {
		return imageInfo{}, fmt.Errorf("checking %s: %w", tarPath, err)
	}
	return info, nil
}

// inspectImage checks that the image runs /ko-app/<name> and has the expected layers, and
// returns the layers' digests and the binary.
func inspectImage(img v1.Image, serviceName string) (imageInfo, error) {
	entrypoint := "/ko-app/" + serviceName
	cfg, err := img.ConfigFile()
	if err != nil {
		return imageInfo{}, fmt.Errorf("reading the image config: %w", err)
	}
	if !slices.Equal(cfg.Config.Entrypoint, []string{entrypoint}) {
		return imageInfo{}, fmt.Errorf("entrypoint is %q, expected [%s]", cfg.Config.Entrypoint, entrypoint)
	}

	layers, err := img.Layers()
	if err != nil {
		return imageInfo{}, fmt.Errorf("reading the layers: %w", err)
	}
	if len(layers) != imageLayers {
		return imageInfo{}, fmt.Errorf("%d layers, expected %d", len(layers), imageLayers)
	}
	var info imageInfo
	for _, layer := range layers {
		diffID, err := layer.DiffID()
		if err != nil {
			return imageInfo{}, fmt.Errorf("reading a layer digest: %w", err)
		}
		info.diffIDs = append(info.diffIDs, diffID)
	}

	info.binary, err = readLayerFile(layers[len(layers)-1], entrypoint)
	if err != nil {
		return imageInfo{}, err
	}
	return info, nil
}

// readLayerFile returns the content of one file in a layer.
func readLayerFile(layer v1.Layer, filePath string) ([]byte, error) {
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("opening the top layer: %w", err)
	}
	defer rc.Close()

	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("no %s in the top layer", filePath)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the top layer: %w", err)
		}
		if path.Clean("/"+hdr.Name) != filePath {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("reading %s from the top layer: %w", filePath, err)
		}
		if len(data) == 0 {
			return nil, fmt.Errorf("%s in the top layer is empty", filePath)
		}
		return data, nil
	}
}
