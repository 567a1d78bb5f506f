package packager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/ko/pkg/build"

	"hello-microservice/internal/baseimage"
	"hello-microservice/internal/manifest"
)

// ManifestName is the manifest's file name, in the project and in the ZIP.
const ManifestName = "cumulocity.json"

// Options configures Package. The zero value of every field but Dir has a documented
// default.
type Options struct {
	// Dir is the project folder: it holds cumulocity.json, .ko.yaml and the main package.
	Dir string

	// OutDir receives the ZIP. Empty means Dir/dist.
	OutDir string

	// Base selects the base image (see baseimage.Resolve). Empty means the defaultBaseImage
	// of .ko.yaml, or the built-in base when .ko.yaml sets none.
	Base string

	// BaseCacheDir keeps pulled registry bases. Empty means baseimage.DefaultCacheDir.
	BaseCacheDir string

	// Progress receives one line after each step: the manifest check, the start of the
	// build, the archive check and the written ZIP. Nil means no progress lines.
	Progress func(line string)
}

// Result describes a written ZIP.
type Result struct {
	ZIPPath string
	ZIPSize int64
	Tag     string  // <name>:<version>
	ImageID v1.Hash // the config digest, which docker calls the image ID
	Base    string  // the base image's source, such as "builtin" or a digest reference
}

// Package checks the manifest, builds the image and writes OutDir/<name>.zip. On failure
// it leaves nothing new in OutDir. When ctx is canceled, or a signal stops the go command
// of the build, the error is an *InterruptedError.
func Package(ctx context.Context, opts Options) (Result, error) {
	result, err := packageZIP(ctx, opts)
	if err != nil && interrupted(ctx, err) {
		return Result{}, newInterruptedError(ctx, opts, err)
	}

	return result, err
}

func packageZIP(ctx context.Context, opts Options) (Result, error) {
	progress := opts.Progress
	if progress == nil {
		progress = func(string) {}
	}

	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("resolving project folder %s: %w", opts.Dir, err)
	}
	outDir := opts.OutDir
	if outDir == "" {
		outDir = filepath.Join(dir, "dist")
	}

	// Check the manifest before anything is built or written.
	manifestPath := filepath.Join(dir, ManifestName)
	manifestBytes, err := os.ReadFile(manifestPath)
	if err != nil {
		return Result{}, fmt.Errorf("reading manifest: %w", err)
	}
	m, err := manifest.Parse(manifestBytes)
	if err != nil {
		return Result{}, fmt.Errorf("checking manifest %s: %w", manifestPath, err)
	}
	tag, err := name.NewTag(m.ImageTag())
	if err != nil {
		return Result{}, fmt.Errorf("making the image tag from name %q and version %q: %w", m.Name, m.Version, err)
	}
	progress(fmt.Sprintf("checked %s: %s %s", ManifestName, m.Name, m.Version))

	cfg, err := loadKoConfig(dir)
	if err != nil {
		return Result{}, err
	}
	spec := opts.Base
	if spec == "" {
		spec = cfg.BaseImage
	}
	base, err := baseimage.Resolve(ctx, spec, baseimage.Options{CacheDir: opts.BaseCacheDir})
	if err != nil {
		return Result{}, err
	}

	progress(fmt.Sprintf("building the image with ko for %s on %s", baseimage.Platform, base.Description))
	img, err := buildImage(ctx, dir, m.Version, cfg, spec, base)
	if err != nil {
		return Result{}, err
	}
	imageID, err := img.ConfigName()
	if err != nil {
		return Result{}, fmt.Errorf("computing the image ID: %w", err)
	}

	zipPath := filepath.Join(outDir, m.Name+".zip")
	size, err := writeZIP(ctx, zipPath, manifestBytes, tag, img, progress)
	if err != nil {
		return Result{}, err
	}
	progress("wrote " + zipPath)

	return Result{ZIPPath: zipPath, ZIPSize: size, Tag: tag.String(), ImageID: imageID, Base: base.Description}, nil
}

// buildImage builds the module's main package with ko onto base, which spec selected.
func buildImage(ctx context.Context, dir, version string, cfg koConfig, spec string, base baseimage.Resolved) (v1.Image, error) {
	baseRef, err := name.ParseReference("hello-microservice-base:" + baseimage.BuiltinName)
	if spec != "" && spec != baseimage.BuiltinName {
		if ref, perr := name.ParseReference(spec); perr == nil {
			baseRef, err = ref, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("naming the base image: %w", err)
	}

	importPath, err := mainImportPath(ctx, dir, cfg)
	if err != nil {
		return nil, err
	}
	builder, err := build.NewGo(ctx, dir,
		build.WithPlatforms(baseimage.Platform.String()),
		build.WithBaseImages(func(context.Context, string) (name.Reference, build.Result, error) {
			return baseRef, base.Image, nil
		}),
		build.WithConfig(cfg.withBuildEnv(importPath, version)),
		build.WithDefaultEnv(cfg.DefaultEnv),
		build.WithDefaultFlags(cfg.DefaultFlags),
		build.WithDefaultLdflags(cfg.DefaultLdflags),
		build.WithTrimpath(true),
		build.WithCreationTime(v1.Time{Time: baseimage.Epoch}),
		build.WithKoDataCreationTime(v1.Time{Time: baseimage.Epoch}),
		build.WithDisabledSBOM(),
	)
	if err != nil {
		return nil, fmt.Errorf("setting up ko: %w", err)
	}

	result, err := builder.Build(ctx, build.StrictScheme+importPath)
	if err != nil {
		return nil, fmt.Errorf("building %s with ko: %w", importPath, err)
	}
	img, ok := result.(v1.Image)
	if !ok {
		return nil, fmt.Errorf("building %s with ko: got an image index, expected one linux/amd64 image", importPath)
	}
	return img, nil
}

// mainImportPath returns the import path of the main package to build: the one build that
// .ko.yaml lists (ko's loader has already resolved its main to an import path), or else
// the package in dir.
func mainImportPath(ctx context.Context, dir string, cfg koConfig) (string, error) {
	if len(cfg.Builds) == 1 {
		for importPath := range cfg.Builds {
			return importPath, nil
		}
	}
	if len(cfg.Builds) > 1 {
		return "", fmt.Errorf("%s lists %d builds: a microservice ZIP contains one image, so keep only the service's build", filepath.Join(dir, KoConfigName), len(cfg.Builds))
	}

	noBase := func(context.Context, string) (name.Reference, build.Result, error) {
		return nil, nil, fmt.Errorf("no base image while resolving import paths")
	}
	builder, err := build.NewGo(ctx, dir, build.WithPlatforms(baseimage.Platform.String()), build.WithBaseImages(noBase))
	if err != nil {
		return "", fmt.Errorf("setting up ko: %w", err)
	}
	qualified, err := builder.QualifyImport(".")
	if err != nil {
		return "", fmt.Errorf("finding the main package in %s: %w", dir, err)
	}
	return qualified[len(build.StrictScheme):], nil
}
