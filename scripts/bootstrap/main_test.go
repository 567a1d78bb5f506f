package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
	"hello-microservice/internal/credentials"
)

// fixture is a fake platform with a deploying user of tenant t100 and the files of a
// checkout: a manifest and a .env with the user's credentials.
type fixture struct {
	fake     *c8yfake.Platform
	url      string
	password string
	manifest string
	dotenv   string
	options  []c8y.Option
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fake := c8yfake.New(c8yfake.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	admin := fake.AddUser("t100", "admin", append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")...)

	dir := t.TempDir()
	f := &fixture{
		fake:     fake,
		url:      srv.URL,
		password: admin.Password,
		manifest: filepath.Join(dir, "cumulocity.json"),
		dotenv:   filepath.Join(dir, ".env"),
		options:  []c8y.Option{c8y.WithTransport(oascheck.Load(t).Transport(t, srv.Client().Transport))},
	}
	manifest := `{"apiVersion":"2","name":"hello","version":"1.0.0","provider":{"name":"Tests"},"isolation":"MULTI_TENANT"}`
	if err := os.WriteFile(f.manifest, []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	err := credentials.WriteDotenv(f.dotenv, map[string]string{
		"C8Y_HOST": srv.URL, "C8Y_TENANT": "t100", "C8Y_USER": "admin", "C8Y_PASSWORD": admin.Password,
	}, []string{"C8Y_HOST", "C8Y_TENANT", "C8Y_USER", "C8Y_PASSWORD"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs the command with an empty environment, so that credentials come from .env.
func (f *fixture) run(t *testing.T) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(t.Context(), []string{"-manifest", f.manifest, "-env", f.dotenv}, environment{
		lookup:        func(string) (string, bool) { return "", false },
		stdout:        &out,
		stderr:        &errOut,
		clientOptions: f.options,
	})
	return code, out.String(), errOut.String()
}

func TestRunWritesBootstrapUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})

	code, stdout, stderr := f.run(t)
	if code != 0 {
		t.Fatalf("exit status %d, want 0\nstderr:\n%s", code, stderr)
	}
	values, err := credentials.ReadDotenv(f.dotenv)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"C8Y_BASEURL": f.url, "C8Y_BOOTSTRAP_TENANT": "t100", "C8Y_BOOTSTRAP_USER": "servicebootstrap_hello",
		"C8Y_MICROSERVICE_ISOLATION": "MULTI_TENANT", "APPLICATION_NAME": "hello", "APPLICATION_KEY": "hello-key",
		"C8Y_USER": "admin", "C8Y_PASSWORD": f.password,
	} {
		if values[key] != want {
			t.Errorf("%s = %q, want %q", key, values[key], want)
		}
	}
	secret := values["C8Y_BOOTSTRAP_PASSWORD"]
	if secret == "" {
		t.Error("C8Y_BOOTSTRAP_PASSWORD is empty")
	}
	for _, output := range []string{stdout, stderr} {
		if (secret != "" && strings.Contains(output, secret)) || strings.Contains(output, f.password) {
			t.Errorf("output shows a password:\n%s", output)
		}
	}
	info, err := os.Stat(f.dotenv)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf(".env has mode %o, want 600", mode)
	}
}

func TestRunNotDeployed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	code, _, stderr := f.run(t)
	if code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr, "owns no application called \"hello\"") {
		t.Errorf("stderr does not say the application is missing:\n%s", stderr)
	}
}

func TestRunMissingCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if err := os.Remove(f.dotenv); err != nil {
		t.Fatal(err)
	}

	code, _, stderr := f.run(t)
	if code != exitFailed {
		t.Errorf("exit status %d, want %d", code, exitFailed)
	}
	for _, name := range []string{"C8Y_HOST", "C8Y_USER", "C8Y_PASSWORD"} {
		if !strings.Contains(stderr, name) {
			t.Errorf("stderr does not name %s:\n%s", name, stderr)
		}
	}
}
