package verify

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// maxMetadataSize bounds the files of image.tar kept in memory: manifest.json,
// repositories, the config and each layer's json and VERSION.
const maxMetadataSize = 8 << 20

// endOfArchiveSize is the two zero blocks that end a tar archive.
const endOfArchiveSize = 2 * 512

// gzipMagic starts every gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// tarFile is one regular file of image.tar.
type tarFile struct {
	name    string // the cleaned name, relative to the archive root
	ordinal int    // the position among all entries, to find the file again
	size    int64
	digest  string // "sha256:<hex>" of the content as stored
	data    []byte // the content of metadata files, nil for the others
	gzip    bool   // the content starts with the gzip magic number

	// layer lists the files inside a file named layer.tar. layerErr is the reason it could
	// not be read as a tar archive.
	layer    *layerIndex
	layerErr error
}

// imageScan is the result of one pass over image.tar.
type imageScan struct {
	names []string // every entry name, cleaned, in archive order
	files map[string]*tarFile
}

// scanImage reads image.tar once from start to end: it hashes every regular file, keeps
// the metadata files, and lists the contents of each layer.tar. A returned error means
// the archive could not be read to its end; a canceled ctx returns ctx.Err().
func scanImage(ctx context.Context, r io.Reader) (*imageScan, error) {
	counter := &countingReader{r: r}
	tr := tar.NewReader(counter)
	scan := &imageScan{files: map[string]*tarFile{}}

	for ordinal := 0; ; ordinal++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}

		before := counter.n
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			// tar.Reader also stops without an error when the data ends exactly between two
			// entries, so require the end-of-archive blocks. The reads before them include at
			// most 511 bytes of padding after the last entry.
			if counter.n-before < endOfArchiveSize {
				return nil, errors.New("the archive ends without its end-of-archive blocks, so it is truncated")
			}
			return scan, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading entry %d: %w", ordinal+1, err)
		}

		name := cleanName(hdr.Name)
		scan.names = append(scan.names, name)
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeRegA {
			continue
		}

		file, err := readTarFile(ctx, tr, name, ordinal, hdr.Size)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		scan.files[name] = file
	}
}

// readTarFile reads the content of one regular file to its end.
func readTarFile(ctx context.Context, r io.Reader, name string, ordinal int, size int64) (*tarFile, error) {
	file := &tarFile{name: name, ordinal: ordinal, size: size}
	hash := sha256.New()
	content := bufio.NewReader(io.TeeReader(r, hash))

	magic, _ := content.Peek(len(gzipMagic))
	file.gzip = bytes.Equal(magic, gzipMagic)

	switch {
	case isMetadata(name) && size <= maxMetadataSize:
		data, err := io.ReadAll(content)
		if err != nil {
			return nil, err
		}
		file.data = data
	case path.Base(name) == "layer.tar" && !file.gzip:
		file.layer, file.layerErr = indexLayer(ctx, content)
	}

	// Drain what the steps above left, so that the hash covers the whole content.
	if _, err := io.Copy(io.Discard, content); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	file.digest = "sha256:" + hex.EncodeToString(hash.Sum(nil))
	return file, nil
}

// isMetadata reports whether a file is kept in memory: a file at the root, or a layer's
// json or VERSION.
func isMetadata(name string) bool {
	base := path.Base(name)
	return !strings.Contains(name, "/") || base == "json" || base == "VERSION"
}

// cleanName turns a tar entry name into a clean relative path: "./a//b/" becomes "a/b".
func cleanName(name string) string {
	cleaned := strings.TrimPrefix(path.Clean("/"+name), "/")
	if cleaned == "" {
		return "."
	}

	return cleaned
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
