//go:build linux

package runtimecheck

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

func TestFindTools(t *testing.T) {
	t.Parallel()

	installed := func(names ...string) func(string) (string, error) {
		return func(name string) (string, error) {
			if slices.Contains(names, name) {
				return "/usr/bin/" + name, nil
			}
			return "", errors.New("not found")
		}
	}

	tests := []struct {
		name     string
		lookPath func(string) (string, error)
		uid      int
		missing  []string // parts of the description, none when empty
	}{
		{"all there", installed("runc", "skopeo", "umoci", "ip"), 0, nil},
		{"not root", installed("runc", "skopeo", "umoci", "ip"), 1000, []string{"not running as root (uid 1000)"}},
		{"no runc", installed("skopeo", "umoci", "ip"), 0, []string{"runc is not installed"}},
		{"nothing", installed(), 1000, []string{"root", "runc", "skopeo", "umoci", "ip is not installed"}},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			found, missing := findTools(test.lookPath, test.uid)
			if len(test.missing) == 0 {
				if missing != "" {
					t.Errorf("missing = %q, want none", missing)
				}
				if found.runc != "/usr/bin/runc" || found.ip != "/usr/bin/ip" {
					t.Errorf("tools = %+v, want the looked-up paths", found)
				}
			}
			for _, part := range test.missing {
				if !strings.Contains(missing, part) {
					t.Errorf("missing = %q, want it to contain %q", missing, part)
				}
			}
		})
	}
}

func TestReportMissing(t *testing.T) {
	t.Parallel()

	tests := []struct {
		require bool
		status  verify.Status
	}{
		{false, verify.StatusSkip},
		{true, verify.StatusFail},
	}

	for _, test := range tests {
		report := &verify.Report{}
		reportMissing(report, "runc is not installed", test.require)

		check, _ := report.Find(CheckRuntime)
		if check.Status != test.status {
			t.Errorf("require=%v: %s, want %s", test.require, check, test.status)
		}
		if !strings.Contains(check.Message, "runc is not installed") {
			t.Errorf("require=%v: message %q does not name what is missing", test.require, check.Message)
		}
	}
}

// umociConfig is the shape of the config.json that umoci unpack writes.
const umociConfig = `{
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["/ko-app/hello-microservice"],
    "env": ["PATH=/usr/bin:/ko-app", "TERM=xterm", "SERVER_PORT=8080", "HOME=/root"],
    "capabilities": {"bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE"], "ambient": ["CAP_KILL"]}
  },
  "root": {"path": "rootfs"},
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "mount"}]
  }
}`

func TestEditRuntimeConfig(t *testing.T) {
	t.Parallel()

	m, err := manifest.Parse([]byte(`{"apiVersion":"2","name":"hello","version":"1.0.0","provider":{"name":"p"},
		"isolation":"PER_TENANT","resources":{"cpu":"250m","memory":"128Mi"}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := &session{manifest: m, secrets: newSecrets(m), containerID: "verify-1", netnsName: "verify-1"}

	var config map[string]any
	if err := json.Unmarshal([]byte(umociConfig), &config); err != nil {
		t.Fatal(err)
	}
	if err := s.editRuntimeConfig(config); err != nil {
		t.Fatalf("editRuntimeConfig: %v", err)
	}

	// Compare through JSON, as runc reads it.
	data, err := json.Marshal(config)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Process struct {
			Terminal        bool
			NoNewPrivileges bool
			Args            []string
			Env             []string
			Capabilities    map[string][]string
		}
		Root  struct{ Readonly bool }
		Linux struct {
			Namespaces []struct{ Type, Path string }
			Resources  struct {
				Memory  struct{ Limit int64 }
				CPU     struct{ Quota, Period int64 }
				Devices []any
			}
		}
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}

	if got.Process.Terminal {
		t.Error("terminal = true, want false")
	}
	if !got.Process.NoNewPrivileges {
		t.Error("noNewPrivileges = false, want true")
	}
	if !got.Root.Readonly {
		t.Error("root.readonly = false, want true")
	}
	if !slices.Equal(got.Process.Args, []string{"/ko-app/hello-microservice"}) {
		t.Errorf("args = %q, want the image's entrypoint", got.Process.Args)
	}

	for _, set := range []string{"bounding", "effective", "permitted"} {
		if caps := got.Process.Capabilities[set]; !slices.Equal(caps, []string{"CAP_NET_BIND_SERVICE"}) {
			t.Errorf("capabilities.%s = %q, want only CAP_NET_BIND_SERVICE", set, caps)
		}
	}
	for _, set := range []string{"inheritable", "ambient"} {
		if caps, ok := got.Process.Capabilities[set]; !ok || len(caps) != 0 {
			t.Errorf("capabilities.%s = %q, want an empty list", set, caps)
		}
	}

	wantEnv := []string{
		"PATH=/usr/bin:/ko-app",
		"HOME=/root",
		"SERVER_PORT=80",
		"C8Y_BASEURL=http://127.0.0.1:1",
		"C8Y_BOOTSTRAP_TENANT=t-verify",
		"C8Y_BOOTSTRAP_USER=servicebootstrap_hello",
		"C8Y_MICROSERVICE_ISOLATION=PER_TENANT",
		"C8Y_TENANT=t-verify",
		"C8Y_USER=service_hello",
		"APPLICATION_NAME=hello",
		"MEMORY_LIMIT=128Mi",
		"TZ=Europe/Berlin",
	}
	for _, variable := range wantEnv {
		if !slices.Contains(got.Process.Env, variable) {
			t.Errorf("env %q lacks %s", got.Process.Env, variable)
		}
	}
	for _, name := range []string{"TERM=", "SERVER_PORT=8080"} {
		if slices.ContainsFunc(got.Process.Env, func(v string) bool { return strings.HasPrefix(v, name) }) {
			t.Errorf("env %q still has %s", got.Process.Env, name)
		}
	}
	for _, secret := range s.secrets {
		if secret.variable != "" && !slices.Contains(got.Process.Env, secret.variable+"="+secret.value) {
			t.Errorf("env lacks the placeholder for %s", secret.variable)
		}
	}

	network := 0
	for _, namespace := range got.Linux.Namespaces {
		if namespace.Type == "network" {
			network++
			if namespace.Path != "/var/run/netns/verify-1" {
				t.Errorf("network namespace path = %q, want /var/run/netns/verify-1", namespace.Path)
			}
		}
	}
	if network != 1 || len(got.Linux.Namespaces) != 3 {
		t.Errorf("namespaces = %+v, want pid, mount and one network namespace", got.Linux.Namespaces)
	}

	if got.Linux.Resources.Memory.Limit != 128<<20 {
		t.Errorf("memory limit = %d, want %d", got.Linux.Resources.Memory.Limit, 128<<20)
	}
	if got.Linux.Resources.CPU.Quota != 25_000 || got.Linux.Resources.CPU.Period != 100_000 {
		t.Errorf("cpu = %+v, want quota 25000 per period 100000", got.Linux.Resources.CPU)
	}
	if len(got.Linux.Resources.Devices) != 1 {
		t.Errorf("devices = %v, want umoci's rule kept", got.Linux.Resources.Devices)
	}
}

func TestLeakedSecrets(t *testing.T) {
	t.Parallel()

	m := &manifest.Manifest{Name: "hello"}
	secrets := newSecrets(m)
	password := secrets[0].value

	tests := []struct {
		name string
		text string
		want []string
	}{
		{"clean", `{"password":"[REDACTED]"}`, nil},
		{"password", "login with " + password, []string{"C8Y_BOOTSTRAP_PASSWORD"}},
		{"basic header", "Authorization: Basic " + basicCredentials("t-verify", "servicebootstrap_hello", password), []string{"the bootstrap user's Basic credentials"}},
		{"application key", "key=" + secrets[1].value, []string{"APPLICATION_KEY"}},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			if got := leakedSecrets(secrets, []byte(test.text)); !slices.Equal(got, test.want) {
				t.Errorf("leakedSecrets = %q, want %q", got, test.want)
			}
			if redacted := redact(secrets, test.text); strings.Contains(redacted, "placeholder-") {
				t.Errorf("redact left a placeholder in %q", redacted)
			}
		})
	}
}
