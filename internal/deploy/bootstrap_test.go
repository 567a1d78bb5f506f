package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/config"
	"hello-microservice/internal/credentials"
	"hello-microservice/internal/deploy"
	"hello-microservice/internal/manifest"
)

// parseManifest parses a test manifest.
func parseManifest(t *testing.T, fields map[string]any) *manifest.Manifest {
	t.Helper()
	m, err := deploy.ReadManifest(writeZIP(t, fields, []byte("image")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBootstrapWritesDotenv(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t200", Availability: c8yfake.AvailabilityMarket})
	fields := testManifest("hello")
	fields["isolation"] = "PER_TENANT"

	path := filepath.Join(t.TempDir(), ".env")
	existing := "# my settings\nC8Y_USER=admin\nPORT=8080\nC8Y_BOOTSTRAP_USER=stale\n"
	if err := os.WriteFile(path, []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer

	err := deploy.Bootstrap(t.Context(), p.client, deploy.BootstrapOptions{
		Manifest: parseManifest(t, fields), BaseURL: p.url, DotenvPath: path, Out: &out,
	})
	if err != nil {
		t.Fatalf("Bootstrap: %v", err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf(".env has mode %o, want 600", mode)
	}
	values, err := credentials.ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	expected := map[string]string{
		"C8Y_BASEURL":                p.url,
		"C8Y_BOOTSTRAP_TENANT":       "t100",
		"C8Y_BOOTSTRAP_USER":         "servicebootstrap_hello",
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"APPLICATION_NAME":           "hello",
		"APPLICATION_KEY":            "hello-key",
		"C8Y_USER":                   "admin",
		"PORT":                       "8080",
	}
	for key, value := range expected {
		if values[key] != value {
			t.Errorf("%s = %q, want %q", key, values[key], value)
		}
	}
	password := values["C8Y_BOOTSTRAP_PASSWORD"]
	if password == "" {
		t.Fatal("C8Y_BOOTSTRAP_PASSWORD is empty")
	}
	bootstrap := p.base.WithAuth(c8y.Credentials{Tenant: "t100", User: "servicebootstrap_hello", Password: config.Secret(password)})
	if _, err := bootstrap.CurrentTenant(t.Context()); err != nil {
		t.Errorf("the written bootstrap credentials do not authenticate: %v", err)
	}
	if strings.Contains(out.String(), password) {
		t.Errorf("output shows the bootstrap password:\n%s", out.String())
	}
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), "# my settings\n") || strings.Contains(string(data), "stale") {
		t.Errorf(".env =\n%s\nwant the comment kept and the stale bootstrap user replaced", data)
	}
}

func TestBootstrapNotDeployed(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t200", Availability: c8yfake.AvailabilityMarket})
	path := filepath.Join(t.TempDir(), ".env")

	err := deploy.Bootstrap(t.Context(), p.client, deploy.BootstrapOptions{
		Manifest: parseManifest(t, testManifest("hello")), BaseURL: p.url, DotenvPath: path,
	})
	if err == nil || !strings.Contains(err.Error(), "deploy it first") {
		t.Errorf("error = %v, want one saying to deploy first", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf(".env exists after a failed bootstrap: %v", err)
	}
}
