package verify_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"hello-microservice/internal/verify"
)

// archiveReport runs Archive on data and checks the report's shape: every static check
// once, in order.
func archiveReport(t *testing.T, data []byte) *verify.Report {
	t.Helper()

	report, err := verify.Archive(t.Context(), writeFile(t, "upload.zip", data))
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}

	names := make([]string, len(report.Checks))
	for i, check := range report.Checks {
		names[i] = check.Name
	}
	if want := verify.StaticChecks(); !slices.Equal(names, want) {
		t.Errorf("checks = %q, want %q", names, want)
	}

	return report
}

// editImage returns the default test image archive after edit changed its entries.
func editImage(t *testing.T, edit func(entries []tarEntry) []tarEntry) []byte {
	t.Helper()

	return writeTar(t, edit(readTar(t, imageTar(t, imageSpec{}))))
}

// editConfig changes the image config and renames it after its new digest, so that only
// the changed fields are wrong.
func editConfig(t *testing.T, entries []tarEntry, change func(config map[string]any)) {
	t.Helper()

	images := saveManifest(t, entries)
	i := find(t, entries, images[0]["Config"].(string))

	var config map[string]any
	if err := json.Unmarshal(entries[i].body, &config); err != nil {
		t.Fatal(err)
	}
	change(config)
	data, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}

	sum := sha256.Sum256(data)
	newName := hex.EncodeToString(sum[:]) + ".json"
	entries[i].body = data
	entries[i].header.Name = newName
	images[0]["Config"] = newName
	setSaveManifest(t, entries, images)
}

// layerNames returns the layer paths that manifest.json lists.
func layerNames(t *testing.T, entries []tarEntry) []string {
	t.Helper()

	var names []string
	for _, layer := range saveManifest(t, entries)[0]["Layers"].([]any) {
		names = append(names, layer.(string))
	}

	return names
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()

	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}

	return out.Bytes()
}

func TestArchiveValid(t *testing.T) {
	t.Parallel()

	symlinkLayers := [][]layerFile{
		binaryLayer("valid"),
		{
			{name: "usr/local/bin", mode: 0o755, typeflag: tar.TypeDir},
			{name: "usr/local/bin/hello", typeflag: tar.TypeSymlink, linkname: "../../../app/hello"},
		},
	}

	tests := []struct {
		name     string
		manifest map[string]any // changes to the test manifest
		spec     imageSpec
		version  string // the "binary version" message must name where it was read
		probes   string // a part of the "probe programs" message
	}{
		{"build setting", nil, imageSpec{}, "-ldflags", "no exec probe"},
		{"stripped", nil, imageSpec{layers: [][]layerFile{binaryLayer("stripped")}}, "string variable", "no exec probe"},
		{"symbol", nil, imageSpec{layers: [][]layerFile{binaryLayer("symbols")}}, "symbol", "no exec probe"},
		{"symlink in PATH", nil, imageSpec{
			layers: symlinkLayers,
			configure: func(c *v1.ConfigFile) {
				c.Config.Entrypoint = nil
				c.Config.Cmd = []string{"hello", "serve"}
			},
		}, "-ldflags", "no exec probe"},
		{"hard link", nil, imageSpec{
			layers: [][]layerFile{binaryLayer("valid"), {{name: "app/server", typeflag: tar.TypeLink, linkname: "app/hello"}}},
			configure: func(c *v1.ConfigFile) {
				c.Config.Entrypoint = []string{"/app/server"}
			},
		}, "-ldflags", "no exec probe"},
		{"relative path", nil, imageSpec{
			configure: func(c *v1.ConfigFile) {
				c.Config.Entrypoint = []string{"./hello"}
				c.Config.WorkingDir = "/app"
			},
		}, "-ldflags", "no exec probe"},
		{"deleted and added again", nil, imageSpec{
			layers: [][]layerFile{
				binaryLayer("unversioned"),
				{{name: "app/.wh..wh..opq", mode: 0o644}},
				binaryLayer("valid"),
			},
		}, "-ldflags", "no exec probe"},
		{"exec probe absolute", map[string]any{"readinessProbe": execProbe("/app/hello", "probe")}, imageSpec{},
			"-ldflags", "readinessProbe.exec runs /app/hello"},
		{"exec probe in PATH", map[string]any{"livenessProbe": execProbe("hello")}, imageSpec{},
			"-ldflags", "livenessProbe.exec runs /app/hello"},
		{"exec probe symlink", map[string]any{"readinessProbe": execProbe("/usr/local/bin/hello")}, imageSpec{layers: symlinkLayers},
			"-ldflags", "readinessProbe.exec runs /app/hello"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			data := uploadZIP(t, manifestJSON(t, test.manifest), imageTar(t, test.spec))
			report := archiveReport(t, data)

			for _, check := range report.Checks {
				if check.Status != verify.StatusPass {
					t.Errorf("%s", check)
				}
			}
			version, _ := report.Find(verify.CheckBinaryVersion)
			if !strings.Contains(version.Message, test.version) {
				t.Errorf("binary version message = %q, want it to contain %q", version.Message, test.version)
			}
			probes, _ := report.Find(verify.CheckProbePrograms)
			if !strings.Contains(probes.Message, test.probes) {
				t.Errorf("probe programs message = %q, want it to contain %q", probes.Message, test.probes)
			}
		})
	}
}

// execProbe returns a probe that runs command in the container.
func execProbe(command ...string) map[string]any {
	return map[string]any{"exec": map[string]any{"command": command}}
}

func TestArchiveBroken(t *testing.T) {
	t.Parallel()

	image := func(spec imageSpec) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return uploadZIP(t, manifestJSON(t, nil), imageTar(t, spec))
		}
	}
	edited := func(edit func(t *testing.T, entries []tarEntry) []tarEntry) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return uploadZIP(t, manifestJSON(t, nil), editImage(t, func(entries []tarEntry) []tarEntry { return edit(t, entries) }))
		}
	}
	withManifest := func(changes map[string]any, spec imageSpec) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			return uploadZIP(t, manifestJSON(t, changes), imageTar(t, spec))
		}
	}
	entrypoint := func(path string) imageSpec {
		return imageSpec{configure: func(c *v1.ConfigFile) { c.Config.Entrypoint = []string{path} }}
	}

	tests := []struct {
		name  string
		build func(t *testing.T) []byte
		check string // the check that must fail
		word  string // a word of its message
	}{
		// The ZIP.
		{"empty file", func(t *testing.T) []byte { return nil }, verify.CheckZIPFile, "truncated"},
		{"truncated zip", func(t *testing.T) []byte {
			data := uploadZIP(t, manifestJSON(t, nil), imageTar(t, imageSpec{}))
			return data[:len(data)*2/3]
		}, verify.CheckZIPFile, "not a complete ZIP"},
		{"extra entry", func(t *testing.T) []byte {
			return writeZIP(t, []zipEntry{
				{name: "cumulocity.json", body: manifestJSON(t, nil)},
				{name: "image.tar", body: imageTar(t, imageSpec{})},
				{name: "README.md", body: []byte("hello")},
			})
		}, verify.CheckZIPEntries, `extra entry "README.md"`},
		{"folder", func(t *testing.T) []byte {
			return writeZIP(t, []zipEntry{
				{name: "dist/"},
				{name: "dist/cumulocity.json", body: manifestJSON(t, nil)},
				{name: "dist/image.tar", body: imageTar(t, imageSpec{})},
			})
		}, verify.CheckZIPEntries, `folder "dist/"`},
		{"missing image", func(t *testing.T) []byte {
			return writeZIP(t, []zipEntry{{name: "cumulocity.json", body: manifestJSON(t, nil)}})
		}, verify.CheckZIPEntries, "no image.tar"},
		{"damaged image", func(t *testing.T) []byte {
			image := imageTar(t, imageSpec{})
			data := writeZIP(t, []zipEntry{
				{name: "cumulocity.json", body: manifestJSON(t, nil)},
				{name: "image.tar", body: image, store: true},
			})
			// Stored without compression, the image's bytes appear as they are: flip one
			// inside the binary, where the tar structure stays intact.
			at := bytes.Index(data, binaries["valid"][1000:1032]) + 16
			data[at] ^= 0xff
			return data
		}, verify.CheckImageArchive, "CRC-32"},

		// The manifest.
		{"invalid manifest", withManifest(map[string]any{"name": "Hello_Service", "apiVersion": "1"}, imageSpec{}), verify.CheckManifest, "2 problems"},
		{"manifest not JSON", func(t *testing.T) []byte {
			return uploadZIP(t, []byte(`{"name": `), imageTar(t, imageSpec{}))
		}, verify.CheckManifest, "not valid JSON"},

		// The image archive and its layout.
		{"truncated image", func(t *testing.T) []byte {
			image := imageTar(t, imageSpec{})
			return uploadZIP(t, manifestJSON(t, nil), image[:len(image)/2+100])
		}, verify.CheckImageArchive, "truncated"},
		{"no end of archive", func(t *testing.T) []byte {
			image := imageTar(t, imageSpec{})
			return uploadZIP(t, manifestJSON(t, nil), image[:len(image)-1024])
		}, verify.CheckImageArchive, "end-of-archive"},
		{"oci layout", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			return append(entries,
				fileEntry("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)),
				fileEntry("index.json", []byte(`{"schemaVersion":2,"manifests":[]}`)))
		}), verify.CheckImageLayout, "OCI image layout"},
		{"oci blobs", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			return append(entries, fileEntry("blobs/sha256/"+strings.Repeat("a", 64), []byte("{}")))
		}), verify.CheckImageLayout, "OCI image layout"},
		{"config named by digest", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			images := saveManifest(t, entries)
			config := images[0]["Config"].(string)
			digestName := "sha256:" + strings.TrimSuffix(config, ".json")
			entries[find(t, entries, config)].header.Name = digestName
			images[0]["Config"] = digestName
			setSaveManifest(t, entries, images)
			return entries
		}), verify.CheckImageLayout, "without .json"},
		{"no manifest.json", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			return slices.Delete(entries, find(t, entries, "manifest.json"), find(t, entries, "manifest.json")+1)
		}), verify.CheckImageLayout, "no manifest.json"},
		{"no repositories", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			return slices.Delete(entries, find(t, entries, "repositories"), find(t, entries, "repositories")+1)
		}), verify.CheckImageLayout, "no repositories"},
		{"missing layer", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			i := find(t, entries, layerNames(t, entries)[0])
			return slices.Delete(entries, i, i+1)
		}), verify.CheckImageLayout, "layer.tar is missing"},
		{"missing VERSION", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			i := find(t, entries, strings.Replace(layerNames(t, entries)[1], "layer.tar", "VERSION", 1))
			return slices.Delete(entries, i, i+1)
		}), verify.CheckImageLayout, "VERSION is missing"},

		// The image list and its tag.
		{"two images", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			images := saveManifest(t, entries)
			second := map[string]any{"Config": images[0]["Config"], "RepoTags": []string{"other:1.0.0"}, "Layers": images[0]["Layers"]}
			setSaveManifest(t, entries, append(images, second))
			return entries
		}), verify.CheckImageCount, "2 images"},
		{"other tag", image(imageSpec{tag: "hello:1.2.3"}), verify.CheckImageTag, `expected ["hello-microservice:1.2.3"]`},
		{"manifest version", withManifest(map[string]any{"version": "1.2.4"}, imageSpec{}), verify.CheckImageTag, "hello-microservice:1.2.4"},
		{"no tag", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			images := saveManifest(t, entries)
			images[0]["RepoTags"] = nil
			setSaveManifest(t, entries, images)
			return entries
		}), verify.CheckImageTag, "tagged []"},
		{"repositories tag", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			entries[find(t, entries, "repositories")].body = []byte(`{"hello-microservice":{"latest":"x"}}`)
			return entries
		}), verify.CheckImageTag, "repositories is"},

		// The config and the layers.
		{"config changed", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			i := find(t, entries, saveManifest(t, entries)[0]["Config"].(string))
			entries[i].body = append(entries[i].body, ' ')
			return entries
		}), verify.CheckImageConfig, "SHA-256"},
		{"arm64 config", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			editConfig(t, entries, func(config map[string]any) { config["architecture"] = "arm64" })
			return entries
		}), verify.CheckImagePlatform, `"linux/arm64"`},
		{"windows config", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			editConfig(t, entries, func(config map[string]any) { config["os"] = "windows" })
			return entries
		}), verify.CheckImagePlatform, `"windows/amd64"`},
		{"nonroot user", image(imageSpec{configure: func(c *v1.ConfigFile) { c.Config.User = "65532" }}), verify.CheckImageUser, `"65532"`},
		{"layer changed", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			i := find(t, entries, layerNames(t, entries)[0])
			entries[i].body = layerTar(t, []layerFile{{name: "etc/hostname", body: []byte("changed\n"), mode: 0o644}})
			return entries
		}), verify.CheckImageLayers, "has the digest"},
		{"layers reordered", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			images := saveManifest(t, entries)
			layers := images[0]["Layers"].([]any)
			layers[0], layers[1] = layers[1], layers[0]
			setSaveManifest(t, entries, images)
			return entries
		}), verify.CheckImageLayers, "diff ID 1"},
		{"gzip layer", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			i := find(t, entries, layerNames(t, entries)[0])
			entries[i].body = gzipped(t, entries[i].body)
			return entries
		}), verify.CheckImageLayers, "gzip-compressed"},
		{"layer count", edited(func(t *testing.T, entries []tarEntry) []tarEntry {
			editConfig(t, entries, func(config map[string]any) {
				rootfs := config["rootfs"].(map[string]any)
				rootfs["diff_ids"] = rootfs["diff_ids"].([]any)[:1]
			})
			return entries
		}), verify.CheckImageLayers, "diff_ids has 1"},

		// The entrypoint.
		{"no entrypoint", image(imageSpec{configure: func(c *v1.ConfigFile) { c.Config.Entrypoint = nil }}), verify.CheckEntrypoint, "neither Entrypoint nor Cmd"},
		{"entrypoint missing", image(entrypoint("/app/nope")), verify.CheckEntrypoint, "does not exist"},
		{"entrypoint not in PATH", image(entrypoint("nope")), verify.CheckEntrypoint, "does not exist"},
		{"entrypoint folder", image(entrypoint("/app")), verify.CheckEntrypoint, "folder"},
		{"not executable", image(imageSpec{layers: [][]layerFile{{{name: "app/hello", body: binaries["valid"], mode: 0o644}}}}), verify.CheckEntrypoint, "not executable"},
		{"whiteout", image(imageSpec{layers: [][]layerFile{binaryLayer("valid"), {{name: "app/.wh.hello", mode: 0o644}}}}), verify.CheckEntrypoint, "does not exist"},
		{"opaque whiteout", image(imageSpec{layers: [][]layerFile{binaryLayer("valid"), {{name: "app/.wh..wh..opq", mode: 0o644}}}}), verify.CheckEntrypoint, "does not exist"},
		{"symlink loop", image(imageSpec{
			layers: [][]layerFile{{{name: "app/hello", typeflag: tar.TypeSymlink, linkname: "hello"}}},
		}), verify.CheckEntrypoint, "symbolic links"},
		{"dangling hard link", image(imageSpec{
			layers: [][]layerFile{{{name: "app/hello", typeflag: tar.TypeLink, linkname: "app/gone"}}},
		}), verify.CheckEntrypoint, "hard link"},

		// The binary.
		{"script", image(imageSpec{layers: [][]layerFile{{{name: "app/hello", body: []byte("#!/bin/sh\necho hello\n"), mode: 0o755}}}}), verify.CheckBinaryArch, "not an ELF"},
		{"arm64 binary", image(imageSpec{layers: [][]layerFile{binaryLayer("arm64")}}), verify.CheckBinaryArch, "EM_AARCH64"},
		{"dynamic binary", image(imageSpec{layers: [][]layerFile{binaryLayer("dynamic")}}), verify.CheckBinaryStatic, "interpreter /lib64/ld-linux-x86-64.so.2"},
		{"unversioned binary", image(imageSpec{layers: [][]layerFile{binaryLayer("unversioned")}}), verify.CheckBinaryVersion, `main.version="dev"`},
		{"unversioned stripped", image(imageSpec{layers: [][]layerFile{binaryLayer("unversioned stripped")}}), verify.CheckBinaryVersion, "cannot confirm the version"},
		{"stripped other version", withManifest(map[string]any{"version": "1.2.4"}, imageSpec{
			tag:    "hello-microservice:1.2.4",
			layers: [][]layerFile{binaryLayer("stripped")},
		}), verify.CheckBinaryVersion, "cannot confirm the version"},
		{"binary version", withManifest(map[string]any{"version": "1.2.4"}, imageSpec{tag: "hello-microservice:1.2.4"}), verify.CheckBinaryVersion, `main.version="1.2.3"`},

		// The programs of exec probes.
		{"exec probe missing", withManifest(map[string]any{"readinessProbe": execProbe("/bin/true")}, imageSpec{}),
			verify.CheckProbePrograms, `readinessProbe.exec "/bin/true" cannot be found: /bin/true does not exist`},
		{"exec probe not in PATH", withManifest(map[string]any{"livenessProbe": execProbe("sh", "-c", "true")}, imageSpec{}),
			verify.CheckProbePrograms, `livenessProbe.exec "sh" cannot be found`},
		{"exec probe relative", withManifest(map[string]any{"livenessProbe": execProbe("./hello")}, imageSpec{}),
			verify.CheckProbePrograms, "/hello does not exist"},
		{"exec probe not executable", withManifest(map[string]any{"readinessProbe": execProbe("/app/check")}, imageSpec{
			layers: [][]layerFile{binaryLayer("valid"), {{name: "app/check", body: []byte("data"), mode: 0o644}}},
		}), verify.CheckProbePrograms, "/app/check is not executable (mode 0644)"},
		{"exec probe folder", withManifest(map[string]any{"readinessProbe": execProbe("/app")}, imageSpec{}),
			verify.CheckProbePrograms, "/app is a folder"},
		{"exec probe whiteout", withManifest(map[string]any{"readinessProbe": execProbe("/app/check")}, imageSpec{
			layers: [][]layerFile{
				binaryLayer("valid"),
				{{name: "app/check", body: []byte("data"), mode: 0o755}},
				{{name: "app/.wh.check", mode: 0o644}},
			},
		}), verify.CheckProbePrograms, "/app/check does not exist"},
		{"exec probe dangling symlink", withManifest(map[string]any{"readinessProbe": execProbe("/app/check")}, imageSpec{
			layers: [][]layerFile{binaryLayer("valid"), {{name: "app/check", typeflag: tar.TypeSymlink, linkname: "/bin/true"}}},
		}), verify.CheckProbePrograms, "/bin/true does not exist"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			report := archiveReport(t, test.build(t))

			check, _ := report.Find(test.check)
			if check.Status != verify.StatusFail {
				t.Fatalf("%q is %s, want FAIL; report:\n%v", test.check, check.Status, report.Err())
			}
			if !strings.Contains(check.Message, test.word) {
				t.Errorf("message %q does not contain %q", check.Message, test.word)
			}
			if !strings.Contains(check.Message, "fix: ") {
				t.Errorf("message %q gives no fix", check.Message)
			}
			if err := report.Err(); err == nil || !strings.Contains(err.Error(), "FAIL "+test.check) {
				t.Errorf("Err() = %v, want it to list %q", err, test.check)
			}
		})
	}
}

func TestArchiveSkipsAfterBlock(t *testing.T) {
	t.Parallel()

	data := uploadZIP(t, manifestJSON(t, nil), []byte("not a tar archive at all, only text"))
	report := archiveReport(t, data)

	archive, _ := report.Find(verify.CheckImageArchive)
	if archive.Status != verify.StatusFail {
		t.Fatalf("image archive = %s", archive)
	}
	for _, name := range verify.StaticChecks()[4:] {
		check, _ := report.Find(name)
		if check.Status != verify.StatusSkip {
			t.Errorf("%s, want SKIP", check)
		}
		if !strings.Contains(check.Message, `"image archive" check failed`) {
			t.Errorf("%s: the reason does not name the failed check", check)
		}
	}
}

func TestArchiveMissingFile(t *testing.T) {
	t.Parallel()

	report, err := verify.Archive(t.Context(), t.TempDir()+"/none.zip")
	if err != nil {
		t.Fatalf("Archive: %v", err)
	}

	check, _ := report.Find(verify.CheckZIPFile)
	if check.Status != verify.StatusFail || !strings.Contains(check.Message, "no such file") {
		t.Errorf("zip file = %s, want a failure naming the missing file", check)
	}
	if len(report.Failures()) != 1 {
		t.Errorf("failures = %v, want only the zip file check", report.Failures())
	}
}

func TestArchiveCanceled(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithCancel(t.Context())
	cancel()

	path := writeFile(t, "upload.zip", uploadZIP(t, manifestJSON(t, nil), imageTar(t, imageSpec{})))
	if _, err := verify.Archive(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("Archive error = %v, want context.Canceled", err)
	}
}

func TestArchiveInvalidManifest(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		changes map[string]any
		tag     verify.Status // the status of the image tag and binary version checks
	}{
		{"invalid name", map[string]any{"name": "Hello_Service"}, verify.StatusSkip},
		{"invalid version", map[string]any{"version": "1.2"}, verify.StatusSkip},
		{"other field", map[string]any{"apiVersion": "1"}, verify.StatusPass},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			report := archiveReport(t, uploadZIP(t, manifestJSON(t, test.changes), imageTar(t, imageSpec{})))

			if check, _ := report.Find(verify.CheckManifest); check.Status != verify.StatusFail {
				t.Errorf("%s, want FAIL", check)
			}
			for _, name := range []string{verify.CheckImageTag, verify.CheckBinaryVersion} {
				if check, _ := report.Find(name); check.Status != test.tag {
					t.Errorf("%s, want %s", check, test.tag)
				}
			}
		})
	}
}
