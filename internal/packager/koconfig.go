package packager

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/ko/pkg/build"
	"github.com/google/ko/pkg/commands/options"
	"github.com/spf13/viper"
)

// KoConfigName is ko's configuration file, read here the way ko's own command line reads it.
const KoConfigName = ".ko.yaml"

// VersionVariable carries the manifest's version into the build; .ko.yaml's ldflags use it
// as {{.Env.SERVICE_VERSION}}.
const VersionVariable = "SERVICE_VERSION"

// hermeticEnv is set for every build, after the caller's environment and before the
// .ko.yaml env, so that variables a shell exports cannot change the binary while the
// project's own settings still can.
var hermeticEnv = []string{
	"CGO_ENABLED=0",
	"GOOS=linux",
	"GOARCH=amd64",
	"GOAMD64=v1",
	"GOFLAGS=",
	"GOEXPERIMENT=",
	"GOFIPS140=off",
	"GOWORK=off",
}

// koConfig is the part of .ko.yaml that the packager uses.
type koConfig struct {
	BaseImage      string // defaultBaseImage; empty when .ko.yaml does not set it
	Builds         map[string]build.Config
	DefaultEnv     []string
	DefaultFlags   []string
	DefaultLdflags []string
}

// loadKoConfig reads dir/.ko.yaml with ko's own loader and config types. KO_* variables
// are ignored, as every other setting of the caller's shell is.
func loadKoConfig(dir string) (koConfig, error) {
	path := filepath.Join(dir, KoConfigName)
	if _, err := os.Stat(path); err != nil {
		return koConfig{}, fmt.Errorf("reading %s: %w", path, err)
	}

	restore := clearKoVariables()
	defer restore()

	bo := &options.BuildOptions{WorkingDirectory: dir}
	if err := bo.LoadConfig(); err != nil {
		return koConfig{}, fmt.Errorf("reading %s: %w", path, err)
	}
	if slices.ContainsFunc(bo.DefaultPlatforms, func(p string) bool { return p != "linux/amd64" }) {
		return koConfig{}, fmt.Errorf("%s: defaultPlatforms is %v, but Cumulocity hosts linux/amd64 only: set it to [linux/amd64] or remove it", path, bo.DefaultPlatforms)
	}

	// ko fills in its own default base when the file names none, so ask the file itself.
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		return koConfig{}, fmt.Errorf("reading %s: %w", path, err)
	}

	return koConfig{
		BaseImage:      v.GetString("defaultBaseImage"),
		Builds:         bo.BuildConfigs,
		DefaultEnv:     bo.DefaultEnv,
		DefaultFlags:   bo.DefaultFlags,
		DefaultLdflags: bo.DefaultLdflags,
	}, nil
}

// clearKoVariables unsets the KO_* variables that ko's loader would read and returns a
// function that puts them back.
func clearKoVariables() (restore func()) {
	saved := map[string]string{}
	for _, kv := range os.Environ() {
		key, value, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(key, "KO_") {
			saved[key] = value
			os.Unsetenv(key)
		}
	}
	return func() {
		for key, value := range saved {
			os.Setenv(key, value)
		}
	}
}

// buildEnv returns the environment of one build: the hermetic settings, then the .ko.yaml
// env of that build (or its defaultEnv), then the version.
func (c koConfig) buildEnv(importPath, version string) []string {
	env := slices.Clone(hermeticEnv)
	if cfg, ok := c.Builds[importPath]; ok && len(cfg.Env) > 0 {
		env = append(env, cfg.Env...)
	} else {
		env = append(env, c.DefaultEnv...)
	}
	return append(env, VersionVariable+"="+version)
}

// withBuildEnv returns the build configs with the env of importPath's build replaced by
// buildEnv. A build that .ko.yaml does not list gets ko's defaultFlags and defaultLdflags.
func (c koConfig) withBuildEnv(importPath, version string) map[string]build.Config {
	builds := make(map[string]build.Config, len(c.Builds)+1)
	for path, cfg := range c.Builds {
		builds[path] = cfg
	}
	cfg := builds[importPath]
	cfg.Env = c.buildEnv(importPath, version)
	builds[importPath] = cfg
	return builds
}
