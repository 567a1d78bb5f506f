package verify

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"

	"hello-microservice/internal/manifest"
)

// Names in the classic docker save layout.
const (
	saveManifestName = "manifest.json"
	repositoriesName = "repositories"
)

// Layout rules: the config is "<64 hex>.json" and each layer "<64 hex>/layer.tar".
var (
	configNamePattern   = regexp.MustCompile(`^[0-9a-f]{64}\.json$`)
	digestConfigPattern = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	layerNamePattern    = regexp.MustCompile(`^([0-9a-f]{64})/layer\.tar$`)
)

// Fixes that several checks give.
const (
	classicLayoutFix = "write the classic docker save layout, as go-containerregistry's pkg/legacy/tarball and go tool task package do"
	rebuildZIPFix    = "build the ZIP again with go tool task package"
)

// saveManifestEntry is one image in manifest.json.
type saveManifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// imageConfig holds the fields of the image config that the checks read.
type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant"`
	Config       struct {
		Entrypoint []string `json:"Entrypoint"`
		Cmd        []string `json:"Cmd"`
		Env        []string `json:"Env"`
		User       string   `json:"User"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

// checkImage runs every check on image.tar. parsed is the manifest for the probe checks,
// and m the manifest whose name and version are valid, or nil.
func (a *archiveRun) checkImage(ctx context.Context, imageFile *zip.File, parsed, m *manifest.Manifest) error {
	scan, err := a.scanImageEntry(ctx, imageFile)
	if err != nil || scan == nil {
		return err
	}

	entry := a.checkLayout(scan)
	if entry == nil {
		return nil
	}
	a.checkCount(scan)
	a.checkTag(scan, entry, m)

	config := a.checkConfig(scan, entry)
	if config == nil {
		return nil
	}
	a.checkPlatform(config)
	a.checkUser(config)

	layers := a.checkLayers(scan, entry, config)
	if layers == nil {
		return nil
	}

	fs := mergeLayers(layers)
	a.checkProbePrograms(fs, config, parsed)

	return a.checkEntrypoint(ctx, imageFile, scan, entry, config, fs, m)
}

// scanImageEntry runs the "image archive" check: image.tar reads as a complete tar archive
// and its ZIP entry matches its CRC-32.
func (a *archiveRun) scanImageEntry(ctx context.Context, imageFile *zip.File) (*imageScan, error) {
	rc, err := imageFile.Open()
	if err != nil {
		a.report.Fail(CheckImageArchive, "opening %s in the ZIP: %v; fix: %s", ImageEntry, err, rebuildZIPFix)
		a.block(CheckImageArchive)
		return nil, nil
	}
	defer rc.Close()

	scan, err := scanImage(ctx, rc)
	if err == nil {
		// Read what follows the end of the archive, so that archive/zip checks the CRC-32.
		_, err = io.Copy(io.Discard, rc)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if err != nil {
		a.report.Fail(CheckImageArchive, "%s is not a complete tar archive: %v; fix: %s", ImageEntry, describeReadError(err), rebuildZIPFix)
		a.block(CheckImageArchive)
		return nil, nil
	}

	a.report.Pass(CheckImageArchive, "%s: %s in %d entries", ImageEntry, megabytes(int64(imageFile.UncompressedSize64)), len(scan.names))
	return scan, nil
}

// checkLayout runs the "image layout" check and returns the first image of manifest.json,
// or nil when manifest.json cannot be read.
func (a *archiveRun) checkLayout(scan *imageScan) *saveManifestEntry {
	if marker := ociMarker(scan.names); marker != "" {
		a.report.Fail(CheckImageLayout, "%s is in the OCI image layout (it has %s), which the platform's importer rejects; fix: %s",
			ImageEntry, marker, classicLayoutFix)
		a.block(CheckImageLayout)
		return nil
	}

	entries, problem := readSaveManifest(scan)
	if problem != "" {
		a.report.Fail(CheckImageLayout, "%s; fix: %s", problem, classicLayoutFix)
		a.block(CheckImageLayout)
		return nil
	}
	entry := &entries[0]

	var problems []string
	if scan.files[repositoriesName] == nil {
		problems = append(problems, "no "+repositoriesName+" file at the root")
	}
	problems = append(problems, configNameProblems(scan, entry.Config)...)
	if len(entry.Layers) == 0 {
		problems = append(problems, saveManifestName+" lists no layers")
	}
	for _, layer := range entry.Layers {
		problems = append(problems, layerNameProblems(scan, layer)...)
	}

	if len(problems) > 0 {
		a.report.Fail(CheckImageLayout, "%s is not in the classic docker save layout: %s; fix: %s",
			ImageEntry, strings.Join(problems, "; "), classicLayoutFix)
		return entry
	}

	a.report.Pass(CheckImageLayout, "docker save layout: config %s, %s", entry.Config, plural(len(entry.Layers), "layer", "layers"))
	return entry
}

// ociMarker returns the first entry that only the OCI image layout has, or "".
func ociMarker(names []string) string {
	for _, name := range names {
		if name == "oci-layout" || name == "index.json" || name == "blobs" || strings.HasPrefix(name, "blobs/") {
			return name
		}
	}

	return ""
}

// readSaveManifest decodes manifest.json, returning a problem instead of the entries when
// it is missing, invalid or empty.
func readSaveManifest(scan *imageScan) ([]saveManifestEntry, string) {
	file := scan.files[saveManifestName]
	if file == nil {
		return nil, fmt.Sprintf("%s has no %s at its root", ImageEntry, saveManifestName)
	}
	if file.data == nil {
		return nil, fmt.Sprintf("%s in %s is %d bytes, too large for an image list", saveManifestName, ImageEntry, file.size)
	}

	var entries []saveManifestEntry
	if err := json.Unmarshal(file.data, &entries); err != nil {
		return nil, fmt.Sprintf("%s in %s is not a JSON list of images: %v", saveManifestName, ImageEntry, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Sprintf("%s in %s lists no image", saveManifestName, ImageEntry)
	}

	return entries, ""
}

func configNameProblems(scan *imageScan, config string) []string {
	switch {
	case config == "":
		return []string{saveManifestName + " names no Config"}
	case digestConfigPattern.MatchString(config):
		return []string{fmt.Sprintf("the config is named %q, without .json, as newer Docker engines name it", config)}
	case !configNamePattern.MatchString(config):
		return []string{fmt.Sprintf("the config is named %q instead of <64 hex digits>.json", config)}
	case scan.files[config] == nil:
		return []string{fmt.Sprintf("the config %s that %s names is missing", config, saveManifestName)}
	}

	return nil
}

func layerNameProblems(scan *imageScan, layer string) []string {
	match := layerNamePattern.FindStringSubmatch(layer)
	if match == nil {
		return []string{fmt.Sprintf("the layer %q is not named <64 hex digits>/layer.tar", layer)}
	}

	var problems []string
	for _, name := range []string{layer, path.Join(match[1], "VERSION"), path.Join(match[1], "json")} {
		if scan.files[name] == nil {
			problems = append(problems, fmt.Sprintf("%s is missing", name))
		}
	}

	return problems
}

// checkCount runs the "image count" check: manifest.json lists exactly one image.
func (a *archiveRun) checkCount(scan *imageScan) {
	entries, _ := readSaveManifest(scan)
	if len(entries) != 1 {
		tags := make([]string, len(entries))
		for i, entry := range entries {
			tags[i] = fmt.Sprintf("%q", entry.RepoTags)
		}
		a.report.Fail(CheckImageCount, "%s lists %d images (tags %s), but the platform takes one image per ZIP; fix: save only the service's image",
			saveManifestName, len(entries), strings.Join(tags, ", "))
		return
	}

	a.report.Pass(CheckImageCount, "one image")
}

// checkTag runs the "image tag" check: RepoTags is exactly ["<name>:<version>"] of the
// manifest, and the repositories file names the same tag for the top layer.
func (a *archiveRun) checkTag(scan *imageScan, entry *saveManifestEntry, m *manifest.Manifest) {
	if m == nil || m.Name == "" || m.Version == "" {
		a.report.Skip(CheckImageTag, "not checked because %s has no valid name and version (see %q)", ManifestEntry, CheckManifest)
		return
	}
	want := m.ImageTag()
	fix := fmt.Sprintf("fix: tag the image %s, the name and version of %s, before saving it", want, ManifestEntry)

	if !slices.Equal(entry.RepoTags, []string{want}) {
		a.report.Fail(CheckImageTag, "the image is tagged %q, expected [%q]; %s", entry.RepoTags, want, fix)
		return
	}

	if problem := repositoriesProblem(scan, entry, m); problem != "" {
		a.report.Fail(CheckImageTag, "%s; %s", problem, fix)
		return
	}

	a.report.Pass(CheckImageTag, "%s", want)
}

// repositoriesProblem compares the repositories file with the expected
// {"<name>": {"<version>": "<top layer id>"}}.
func repositoriesProblem(scan *imageScan, entry *saveManifestEntry, m *manifest.Manifest) string {
	file := scan.files[repositoriesName]
	if file == nil || file.data == nil {
		return fmt.Sprintf("%s has no readable %s file", ImageEntry, repositoriesName)
	}

	var repositories map[string]map[string]string
	if err := json.Unmarshal(file.data, &repositories); err != nil {
		return fmt.Sprintf("%s is not a JSON object of repositories and tags: %v", repositoriesName, err)
	}

	topLayer := ""
	if len(entry.Layers) > 0 {
		topLayer = path.Dir(entry.Layers[len(entry.Layers)-1])
	}
	want := map[string]map[string]string{m.Name: {m.Version: topLayer}}
	if len(repositories) != 1 || len(repositories[m.Name]) != 1 || repositories[m.Name][m.Version] != topLayer {
		got, _ := json.Marshal(repositories)
		expected, _ := json.Marshal(want)
		return fmt.Sprintf("%s is %s, expected %s (the tag and the top layer of %s)", repositoriesName, got, expected, saveManifestName)
	}

	return ""
}

// checkConfig runs the "image config" check: the config's SHA-256 is its name and it
// decodes. It returns the decoded config, or nil.
func (a *archiveRun) checkConfig(scan *imageScan, entry *saveManifestEntry) *imageConfig {
	file := scan.files[entry.Config]
	if file == nil || !configNamePattern.MatchString(entry.Config) {
		a.block(CheckImageLayout)
		return nil
	}
	if file.data == nil {
		a.report.Fail(CheckImageConfig, "the config %s is %d bytes, too large for an image config; fix: %s", entry.Config, file.size, rebuildZIPFix)
		a.block(CheckImageConfig)
		return nil
	}

	sum := sha256.Sum256(file.data)
	if got := hex.EncodeToString(sum[:]) + ".json"; got != entry.Config {
		a.report.Fail(CheckImageConfig, "the config's SHA-256 is %s, but it is stored as %s, so its content was changed after it was named; fix: %s",
			strings.TrimSuffix(got, ".json"), entry.Config, rebuildZIPFix)
		a.block(CheckImageConfig)
		return nil
	}

	var config imageConfig
	if err := json.Unmarshal(file.data, &config); err != nil {
		a.report.Fail(CheckImageConfig, "the config %s is not a valid image config: %v; fix: %s", entry.Config, err, rebuildZIPFix)
		a.block(CheckImageConfig)
		return nil
	}

	a.report.Pass(CheckImageConfig, "sha256:%s", strings.TrimSuffix(entry.Config, ".json"))
	return &config
}

// checkPlatform runs the "image platform" check: linux/amd64, the only platform Cumulocity hosts.
func (a *archiveRun) checkPlatform(config *imageConfig) {
	platform := config.OS + "/" + config.Architecture
	if config.Variant != "" {
		platform += "/" + config.Variant
	}

	if config.OS != "linux" || config.Architecture != "amd64" {
		a.report.Fail(CheckImagePlatform, "the image is for %q, but the platform runs linux/amd64 only; fix: build for GOOS=linux GOARCH=amd64", platform)
		return
	}

	a.report.Pass(CheckImagePlatform, "%s", platform)
}

// checkUser runs the "image user" check. With apiVersion 2 the container keeps only the
// NET_BIND_SERVICE capability, which only root can use to bind port 80.
func (a *archiveRun) checkUser(config *imageConfig) {
	user := config.Config.User
	name, _, _ := strings.Cut(user, ":")

	if name != "" && name != "0" && name != "root" {
		a.report.Fail(CheckImageUser, "the image runs as user %q, which cannot bind port 80: the platform grants only NET_BIND_SERVICE and no ambient capabilities; fix: run as user 0 (root)", user)
		return
	}

	if user == "" {
		user = "root (unset)"
	}
	a.report.Pass(CheckImageUser, "%s", user)
}

// checkLayers runs the "image layers" check: each layer's SHA-256 is the config's diff ID
// at the same position. It returns the layers' file lists in order, or nil when a layer
// cannot be listed.
func (a *archiveRun) checkLayers(scan *imageScan, entry *saveManifestEntry, config *imageConfig) []*layerIndex {
	diffIDs := config.RootFS.DiffIDs
	var problems []string
	if len(diffIDs) != len(entry.Layers) {
		problems = append(problems, fmt.Sprintf("%s lists %d layers, but the config's rootfs.diff_ids has %d", saveManifestName, len(entry.Layers), len(diffIDs)))
	}

	var layers []*layerIndex
	listable := true
	for i, name := range entry.Layers {
		file := scan.files[name]
		switch {
		case file == nil:
			listable = false
			continue
		case file.gzip:
			problems = append(problems, fmt.Sprintf("layer %d (%s) is gzip-compressed, where docker save stores uncompressed tar files", i+1, name))
			listable = false
			continue
		case file.layerErr != nil:
			problems = append(problems, fmt.Sprintf("layer %d (%s) is not a valid tar archive: %v", i+1, name, file.layerErr))
			listable = false
			continue
		case file.layer == nil:
			listable = false
			continue
		}
		layers = append(layers, file.layer)

		if i < len(diffIDs) && file.digest != diffIDs[i] {
			problems = append(problems, fmt.Sprintf("layer %d (%s) has the digest %s, but the config's diff ID %d is %s", i+1, name, file.digest, i+1, diffIDs[i]))
		}
	}

	switch {
	case len(problems) > 0:
		a.report.Fail(CheckImageLayers, "%s; fix: %s", strings.Join(problems, "; "), rebuildZIPFix)
		a.block(CheckImageLayers)
	case !listable:
		a.report.Skip(CheckImageLayers, "not checked because layers are missing (see %q)", CheckImageLayout)
		a.block(CheckImageLayout)
	default:
		a.report.Pass(CheckImageLayers, "%s match the config's diff IDs", plural(len(layers), "layer", "layers"))
	}

	if !listable {
		return nil
	}

	return layers
}
