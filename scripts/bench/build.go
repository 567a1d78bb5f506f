package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// helloText is the literal that the one-line change edits, in a file under routes/.
const helloText = `"Hello world!"`

// buildTimeout bounds one build; a cold build on two busy cores takes about a minute.
const buildTimeout = 10 * time.Minute

// buildModes are the situations timed, in the order they run within a run.
var buildModes = []string{"cold", "warm", "change"}

// imageBuilder is one way to build the image: the packager or ko's command line.
type imageBuilder struct {
	label string
	// build builds with the Go build cache at gocache and returns the time the program ran.
	build func(ctx context.Context, gocache string) (time.Duration, error)
	// image reads the image that the last build wrote.
	image func() (imageInfo, error)
}

// benchBuild times the packager and ko's command line, alternating build by build, with
// a cold cache, a warm cache and after a one-line change.
func benchBuild(ctx context.Context, ws *workspace, opts options, rep *report, progress io.Writer) error {
	fmt.Fprintln(progress, "building ko")
	ko, err := buildKo(ctx, ws, progress)
	if err != nil {
		return err
	}
	reg, err := startBaseRegistry(ctx)
	if err != nil {
		return err
	}
	defer reg.close()

	builders := []imageBuilder{packageBuilder(ws), koBuilder(ws, ko, reg)}
	warmCache, err := userBuildCache(ctx)
	if err != nil {
		return err
	}
	if err := compareBuilders(ctx, builders, warmCache, rep); err != nil {
		return err
	}
	rep.note("ko's command line is `%s`, built once from go.mod's pin; the packager is scripts/package, built once. Both are timed as binaries, so compiling them is not counted.", koVersion(ctx, ko))

	edit, err := newRouteEdit(ws.project)
	if err != nil {
		return err
	}
	times := map[string]map[string][]float64{}
	for i := range opts.runs {
		for _, mode := range buildModes {
			for _, b := range builders {
				elapsed, err := timeBuild(ctx, ws, b, mode, edit, warmCache)
				if err != nil {
					return fmt.Errorf("run %d, %s %s build: %w", i+1, mode, b.label, err)
				}
				fmt.Fprintf(progress, "run %d/%d %-6s %-12s %.2f s\n", i+1, opts.runs, mode, b.label, elapsed.Seconds())
				if times[mode] == nil {
					times[mode] = map[string][]float64{}
				}
				times[mode][b.label] = append(times[mode][b.label], elapsed.Seconds())
			}
		}
	}

	addBuildMetrics(rep, builders, times)
	return nil
}

func packageBuilder(ws *workspace) imageBuilder {
	outDir := filepath.Join(ws.root, "package-dist")
	zipPath := filepath.Join(outDir, ws.name+".zip")
	return imageBuilder{
		label: "task package",
		build: func(ctx context.Context, gocache string) (time.Duration, error) {
			c := command{dir: ws.project, env: buildEnv(gocache), path: ws.packager,
				args: []string{"-dir", ws.project, "-out", outDir}, timeout: buildTimeout}
			_, elapsed, err := c.run(ctx)
			return elapsed, err
		},
		image: func() (imageInfo, error) {
			info, _, err := readZIPImage(zipPath, ws.name)
			return info, err
		},
	}
}

func koBuilder(ws *workspace, ko string, reg *baseRegistry) imageBuilder {
	tarPath := filepath.Join(ws.root, "ko-image.tar")
	return imageBuilder{
		label: "ko build",
		build: func(ctx context.Context, gocache string) (time.Duration, error) {
			if err := os.Remove(tarPath); err != nil && !os.IsNotExist(err) {
				return 0, fmt.Errorf("removing the previous ko image: %w", err)
			}
			env := buildEnv(gocache,
				"KO_DOCKER_REPO="+reg.host+"/"+ws.name,
				"KO_DEFAULTBASEIMAGE="+reg.base,
				"SERVICE_VERSION="+ws.version)
			c := command{dir: ws.project, env: env, path: ko,
				args:    []string{"build", "--bare", "--push=false", "--sbom=none", "--tarball=" + tarPath, "."},
				timeout: buildTimeout}
			_, elapsed, err := c.run(ctx)
			return elapsed, err
		},
		image: func() (imageInfo, error) { return readTarballImage(tarPath, ws.name) },
	}
}

// buildEnv returns the environment of bench without KO_* variables, with the given Go build
// cache, an empty GOFLAGS and the given settings.
func buildEnv(gocache string, settings ...string) []string {
	env := withEnv(append([]string{"GOCACHE=" + gocache, "GOFLAGS=", "GOWORK=off"}, settings...)...)
	return slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "KO_") && !slices.Contains(settings, kv)
	})
}

// userBuildCache returns the Go build cache of the user, which the warm builds use.
func userBuildCache(ctx context.Context) (string, error) {
	out, _, err := command{path: "go", args: []string{"env", "GOCACHE"}, timeout: time.Minute}.run(ctx)
	if err != nil {
		return "", fmt.Errorf("finding the Go build cache: %w", err)
	}
	gocache := strings.TrimSpace(string(out))
	if gocache == "" || gocache == "off" {
		return "", fmt.Errorf("invalid GOCACHE %q: the warm builds need a build cache", gocache)
	}
	return gocache, nil
}

// compareBuilders builds once with each builder, untimed, so that the warm cache holds
// this snapshot, and records whether both builders produced the same layers.
func compareBuilders(ctx context.Context, builders []imageBuilder, warmCache string, rep *report) error {
	var images []imageInfo
	for _, b := range builders {
		if _, err := b.build(ctx, warmCache); err != nil {
			return fmt.Errorf("warming the cache with %s: %w", b.label, err)
		}
		info, err := b.image()
		if err != nil {
			return fmt.Errorf("%s: %w", b.label, err)
		}
		images = append(images, info)
	}

	a, b := images[0], images[1]
	layerNames := []string{"base", "kodata", "binary"}
	for i, name := range layerNames {
		same := "identical"
		if a.diffIDs[i] != b.diffIDs[i] {
			same = fmt.Sprintf("different (%s %s, %s %s)", builders[0].label, a.diffIDs[i], builders[1].label, b.diffIDs[i])
		}
		rep.note("The %s layer of the image from %s and from %s: %s.", name, builders[0].label, builders[1].label, same)
	}
	return nil
}

// timeBuild runs one build in the given mode and checks the image it wrote.
func timeBuild(ctx context.Context, ws *workspace, b imageBuilder, mode string, edit *routeEdit, warmCache string) (time.Duration, error) {
	gocache := warmCache
	var marker string
	switch mode {
	case "cold":
		gocache = filepath.Join(ws.root, "gocache-cold")
		if err := os.RemoveAll(gocache); err != nil {
			return 0, fmt.Errorf("emptying the cold build cache: %w", err)
		}
		defer os.RemoveAll(gocache)
	case "change":
		var err error
		if marker, err = edit.apply(); err != nil {
			return 0, err
		}
		defer edit.restore()
	}

	elapsed, err := b.build(ctx, gocache)
	if err != nil {
		return 0, err
	}
	info, err := b.image()
	if err != nil {
		return 0, err
	}
	if marker != "" && !bytes.Contains(info.binary, []byte(marker)) {
		return 0, fmt.Errorf("the binary in the image does not contain the changed text %q", marker)
	}
	return elapsed, nil
}

// routeEdit changes the hello text of the route file and puts it back.
type routeEdit struct {
	path     string
	original []byte
	count    int
}

func newRouteEdit(project string) (*routeEdit, error) {
	files, err := filepath.Glob(filepath.Join(project, "routes", "*.go"))
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		if !strings.HasSuffix(path, "_test.go") && bytes.Contains(data, []byte(helloText)) {
			return &routeEdit{path: path, original: data}, nil
		}
	}
	return nil, fmt.Errorf("no file in %s contains %s, the line the change benchmark edits", filepath.Join(project, "routes"), helloText)
}

// apply writes the route file with a new hello text and returns that text.
func (e *routeEdit) apply() (string, error) {
	e.count++
	marker := fmt.Sprintf("Hello world! (change %d)", e.count)
	changed := bytes.Replace(e.original, []byte(helloText), []byte(`"`+marker+`"`), 1)
	if err := os.WriteFile(e.path, changed, 0o644); err != nil {
		return "", fmt.Errorf("changing %s: %w", e.path, err)
	}
	return marker, nil
}

func (e *routeEdit) restore() {
	if err := os.WriteFile(e.path, e.original, 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "bench: restoring %s: %v\n", e.path, err)
	}
}

func addBuildMetrics(rep *report, builders []imageBuilder, times map[string]map[string][]float64) {
	pkg, ko := builders[0].label, builders[1].label
	for _, mode := range buildModes {
		var packageTarget, ratioTarget *target
		if mode == "warm" {
			packageTarget = &target{limit: 3, atMost: true, text: "< 3"}
			ratioTarget = &target{limit: 1.2, atMost: true, text: "≤ 1.2"}
		}
		rep.add(metric{group: "build", name: mode + ", " + pkg, unit: "s", values: times[mode][pkg], target: packageTarget})
		rep.add(metric{group: "build", name: mode + ", " + ko, unit: "s", values: times[mode][ko]})
		rep.add(metric{group: "build", name: mode + ", " + pkg + " ÷ " + ko, unit: "ratio",
			values: ratios(times[mode][pkg], times[mode][ko]), target: ratioTarget})
	}
}
