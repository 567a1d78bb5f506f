package verify

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Whiteout markers of the image layer format: ".wh.<name>" removes <name> of the lower
// layers, and ".wh..wh..opq" hides everything the lower layers put in its folder.
const (
	whiteoutPrefix = ".wh."
	opaqueWhiteout = ".wh..wh..opq"
)

// maxSymlinkHops bounds symbolic link resolution, as Linux's limit of 40 does.
const maxSymlinkHops = 40

// layerEntry is one entry of a layer tar.
type layerEntry struct {
	path     string // absolute and clean, such as "/ko-app/hello-microservice"
	ordinal  int    // the position in the layer tar, to find the content again
	typeflag byte
	mode     int64
	size     int64
	linkname string // the target of a symbolic or hard link
}

func (e layerEntry) isDir() bool {
	return e.typeflag == tar.TypeDir
}

// layerIndex lists what one layer adds and removes.
type layerIndex struct {
	entries   []layerEntry
	whiteouts []string // paths removed from the lower layers
	opaque    []string // folders whose lower contents are hidden
}

// indexLayer lists the entries of a layer tar without keeping any content.
func indexLayer(ctx context.Context, r io.Reader) (*layerIndex, error) {
	tr := tar.NewReader(r)
	index := &layerIndex{}

	for ordinal := 0; ; ordinal++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}

		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return index, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading entry %d: %w", ordinal+1, err)
		}

		p := "/" + cleanName(hdr.Name)
		if p == "/." {
			continue
		}

		dir, base := path.Split(p)
		switch {
		case base == opaqueWhiteout:
			index.opaque = append(index.opaque, path.Clean(dir))
		case strings.HasPrefix(base, whiteoutPrefix):
			index.whiteouts = append(index.whiteouts, path.Join(dir, strings.TrimPrefix(base, whiteoutPrefix)))
		default:
			index.entries = append(index.entries, layerEntry{
				path:     p,
				ordinal:  ordinal,
				typeflag: hdr.Typeflag,
				mode:     hdr.Mode,
				size:     hdr.Size,
				linkname: hdr.Linkname,
			})
		}
	}
}

// fileRef locates a file of the merged root file system: the layer and the entry that hold
// its content. For a hard link, entry is the link's target.
type fileRef struct {
	layer int
	entry layerEntry
}

// rootfs is the file system that the layers produce when applied in order.
type rootfs struct {
	files map[string]fileRef
}

// mergeLayers applies the layers in order, the first one at the bottom.
func mergeLayers(layers []*layerIndex) *rootfs {
	fs := &rootfs{files: map[string]fileRef{}}

	for i, layer := range layers {
		// Whiteouts apply to the lower layers only, so they go before this layer's entries.
		for _, dir := range layer.opaque {
			fs.removeBelow(dir)
		}
		for _, p := range layer.whiteouts {
			delete(fs.files, p)
			fs.removeBelow(p)
		}

		for _, entry := range layer.entries {
			if old, ok := fs.files[entry.path]; ok && old.entry.isDir() && !entry.isDir() {
				fs.removeBelow(entry.path)
			}

			ref := fileRef{layer: i, entry: entry}
			if entry.typeflag == tar.TypeLink {
				if target, ok := fs.files["/"+cleanName(entry.linkname)]; ok {
					ref = target
				}
			}
			fs.files[entry.path] = ref
		}
	}

	return fs
}

// removeBelow removes everything inside the folder dir.
func (fs *rootfs) removeBelow(dir string) {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for p := range fs.files {
		if strings.HasPrefix(p, prefix) {
			delete(fs.files, p)
		}
	}
}

// resolve follows symbolic links in every element of the absolute path p and returns the
// final path and its file. A folder that the layers imply without an entry of its own is
// accepted on the way.
func (fs *rootfs) resolve(p string) (string, fileRef, error) {
	pending := splitPath(p)
	resolved := "/"
	hops := 0

	for len(pending) > 0 {
		element := pending[0]
		pending = pending[1:]

		if element == ".." {
			resolved = path.Dir(resolved)
			continue
		}

		next := path.Join(resolved, element)
		ref, ok := fs.files[next]
		if ok && ref.entry.typeflag == tar.TypeSymlink {
			hops++
			if hops > maxSymlinkHops {
				return "", fileRef{}, fmt.Errorf("%s: more than %d symbolic links", p, maxSymlinkHops)
			}
			if path.IsAbs(ref.entry.linkname) {
				resolved = "/"
			}
			pending = append(splitPath(ref.entry.linkname), pending...)
			continue
		}

		if !ok && len(pending) == 0 {
			return "", fileRef{}, fmt.Errorf("%s does not exist in the image", next)
		}
		resolved = next
	}

	ref, ok := fs.files[resolved]
	if !ok {
		return "", fileRef{}, fmt.Errorf("%s is not a file in the image", resolved)
	}

	return resolved, ref, nil
}

// splitPath splits a slash-separated path into its elements, dropping empty ones and ".".
func splitPath(p string) []string {
	var elements []string
	for element := range strings.SplitSeq(p, "/") {
		if element != "" && element != "." {
			elements = append(elements, element)
		}
	}

	return elements
}
