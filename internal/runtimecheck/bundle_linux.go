//go:build linux

package runtimecheck

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

// The platform's values for what the manifest leaves out, and the fixed parts of the
// environment. The base URL points at a closed port, so a probe that depends on the
// platform fails.
const (
	defaultMemoryLimit = "512M"
	defaultCPULimit    = "500m"
	servicePort        = "80"
	placeholderTenant  = "t-verify"
	unreachableBaseURL = "http://127.0.0.1:1"
	timeZone           = "Europe/Berlin"
)

// keptCapability is the only capability of a container with manifest apiVersion 2.
const keptCapability = "CAP_NET_BIND_SERVICE"

// cpuPeriod is the CFS period in microseconds that Kubernetes uses for CPU limits.
const cpuPeriod = 100_000

// ociTag names the image inside the temporary OCI layout.
const ociTag = "verify"

// skopeoPolicy accepts any image: the only source is the local image.tar.
const skopeoPolicy = `{"default":[{"type":"insecureAcceptAnything"}]}`

// unpack runs the "image unpack" check: it reads the manifest, copies image.tar out of the
// ZIP and turns it into a runc bundle with skopeo and umoci. It returns the bundle folder
// and whether it succeeded; the error is for a canceled ctx or the work folder.
func (s *session) unpack(ctx context.Context, zipPath string) (string, bool, error) {
	s.report.Pass(CheckRuntime, "root, with %s, %s, %s and %s", s.tools.runc, s.tools.skopeo, s.tools.umoci, s.tools.ip)

	imagePath := filepath.Join(s.workDir, verify.ImageEntry)
	m, err := readZIP(zipPath, imagePath)
	if err != nil {
		s.report.Fail(CheckUnpack, "%v; fix: run the static checks first (go run ./scripts/verify -static-only)", err)
		return "", false, nil
	}
	s.manifest = m
	s.secrets = newSecrets(m)

	policyPath := filepath.Join(s.workDir, "policy.json")
	if err := os.WriteFile(policyPath, []byte(skopeoPolicy), 0o600); err != nil {
		return "", false, fmt.Errorf("writing %s: %w", policyPath, err)
	}

	layout := filepath.Join(s.workDir, "oci")
	skopeo := exec.CommandContext(ctx, s.tools.skopeo, "--policy", policyPath, "copy", "--quiet",
		"docker-archive:"+imagePath, "oci:"+layout+":"+ociTag)
	skopeo.Env = append(os.Environ(), "TMPDIR="+s.workDir)
	if output, err := skopeo.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		s.report.Fail(CheckUnpack, "%v; fix: make image.tar a docker save archive that skopeo can read", commandError("skopeo copy", err, output))
		return "", false, nil
	}

	bundle := filepath.Join(s.workDir, "bundle")
	umoci := exec.CommandContext(ctx, s.tools.umoci, "unpack", "--image", layout+":"+ociTag, bundle)
	if output, err := umoci.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return "", false, ctx.Err()
		}
		s.report.Fail(CheckUnpack, "%v; fix: check that every layer of image.tar is a valid tar archive", commandError("umoci unpack", err, output))
		return "", false, nil
	}

	s.report.Pass(CheckUnpack, "%s unpacked into a runc bundle with skopeo and umoci", m.ImageTag())
	return bundle, true, nil
}

// readZIP parses cumulocity.json from the ZIP and copies image.tar to imagePath.
func readZIP(zipPath, imagePath string) (*manifest.Manifest, error) {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", zipPath, err)
	}
	defer zr.Close()

	data, err := readEntry(&zr.Reader, verify.ManifestEntry)
	if err != nil {
		return nil, err
	}
	m, err := manifest.Parse(data)
	if err != nil {
		return nil, err
	}

	image, err := zr.Open(verify.ImageEntry)
	if err != nil {
		return nil, fmt.Errorf("opening %s in %s: %w", verify.ImageEntry, zipPath, err)
	}
	defer image.Close()

	out, err := os.Create(imagePath)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", imagePath, err)
	}
	if _, err := io.Copy(out, image); err != nil {
		out.Close()
		return nil, fmt.Errorf("copying %s out of %s: %w", verify.ImageEntry, zipPath, err)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", imagePath, err)
	}

	return m, nil
}

func readEntry(zr *zip.Reader, name string) ([]byte, error) {
	f, err := zr.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s in the ZIP: %w", name, err)
	}
	defer f.Close()

	data, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s from the ZIP: %w", name, err)
	}

	return data, nil
}

// writeRuntimeConfig edits the bundle's config.json that umoci wrote, keeping the image's
// program, user and working folder, into the container the platform would run.
func (s *session) writeRuntimeConfig(bundle string) error {
	path := filepath.Join(bundle, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}

	var config map[string]any
	if err := json.Unmarshal(data, &config); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	if err := s.editRuntimeConfig(config); err != nil {
		return fmt.Errorf("editing %s: %w", path, err)
	}

	edited, err := json.MarshalIndent(config, "", "  ")
	if err != nil {
		return err
	}

	return os.WriteFile(path, edited, 0o600)
}

// editRuntimeConfig applies the platform's settings to an OCI runtime config.
func (s *session) editRuntimeConfig(config map[string]any) error {
	process, ok := config["process"].(map[string]any)
	if !ok {
		return fmt.Errorf("no process object")
	}
	linux, ok := config["linux"].(map[string]any)
	if !ok {
		return fmt.Errorf("no linux object")
	}
	root, ok := config["root"].(map[string]any)
	if !ok {
		return fmt.Errorf("no root object")
	}

	// runc needs a console socket for a terminal, and the platform attaches none.
	process["terminal"] = false
	process["noNewPrivileges"] = true
	only := []string{keptCapability}
	process["capabilities"] = map[string]any{
		"bounding":    only,
		"effective":   only,
		"permitted":   only,
		"inheritable": []string{},
		"ambient":     []string{},
	}

	imageEnv, _ := process["env"].([]any)
	process["env"] = s.environment(imageEnv)

	root["readonly"] = true
	config["hostname"] = s.containerID

	namespaces, _ := linux["namespaces"].([]any)
	linux["namespaces"] = withNetworkPath(namespaces, s.netnsPath())

	resources, err := s.resources()
	if err != nil {
		return err
	}
	existing, _ := linux["resources"].(map[string]any)
	if existing == nil {
		existing = map[string]any{}
	}
	for key, value := range resources {
		existing[key] = value
	}
	linux["resources"] = existing

	return nil
}

// environment returns the image's variables without TERM, which umoci adds, followed by
// the platform's variables with placeholder credentials.
func (s *session) environment(imageEnv []any) []string {
	platform := s.platformEnvironment()
	var env []string
	for _, value := range imageEnv {
		variable, _ := value.(string)
		name, _, _ := strings.Cut(variable, "=")
		if name == "TERM" || platform[name] != "" {
			continue
		}
		env = append(env, variable)
	}

	for _, name := range slices.Sorted(maps.Keys(platform)) {
		env = append(env, name+"="+platform[name])
	}

	return env
}

// platformEnvironment returns the variables the platform sets, by name.
func (s *session) platformEnvironment() map[string]string {
	m := s.manifest
	env := map[string]string{
		"SERVER_PORT":                servicePort,
		"C8Y_BASEURL":                unreachableBaseURL,
		"C8Y_BOOTSTRAP_TENANT":       placeholderTenant,
		"C8Y_BOOTSTRAP_USER":         bootstrapUser(m),
		"C8Y_MICROSERVICE_ISOLATION": m.EffectiveIsolation(),
		"APPLICATION_NAME":           m.Name,
		"MEMORY_LIMIT":               memoryLimit(m),
		"TZ":                         timeZone,
	}
	if m.EffectiveIsolation() == manifest.IsolationPerTenant {
		env["C8Y_TENANT"] = placeholderTenant
		env["C8Y_USER"] = "service_" + m.Name
	}
	for _, secret := range s.secrets {
		if secret.variable != "" {
			env[secret.variable] = secret.value
		}
	}

	return env
}

func bootstrapUser(m *manifest.Manifest) string {
	return "servicebootstrap_" + m.Name
}

func memoryLimit(m *manifest.Manifest) string {
	if m.Resources != nil && m.Resources.Memory != "" {
		return m.Resources.Memory
	}

	return defaultMemoryLimit
}

func cpuLimit(m *manifest.Manifest) string {
	if m.Resources != nil && m.Resources.CPU != "" {
		return m.Resources.CPU
	}

	return defaultCPULimit
}

// resources returns the memory and CPU limits of the manifest as OCI runtime resources.
func (s *session) resources() (map[string]any, error) {
	memory, err := manifest.ParseMemory(memoryLimit(s.manifest))
	if err != nil {
		return nil, fmt.Errorf("memory limit: %w", err)
	}
	millicores, err := manifest.ParseCPU(cpuLimit(s.manifest))
	if err != nil {
		return nil, fmt.Errorf("CPU limit: %w", err)
	}

	return map[string]any{
		"memory": map[string]any{"limit": memory},
		"cpu":    map[string]any{"quota": millicores * cpuPeriod / 1000, "period": cpuPeriod},
	}, nil
}

// withNetworkPath returns the namespaces with the network namespace joined at path.
func withNetworkPath(namespaces []any, path string) []any {
	var out []any
	for _, namespace := range namespaces {
		if entry, ok := namespace.(map[string]any); ok && entry["type"] == "network" {
			continue
		}
		out = append(out, namespace)
	}

	return append(out, map[string]any{"type": "network", "path": path})
}
