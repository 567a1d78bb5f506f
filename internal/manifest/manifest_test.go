package manifest_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/manifest"
)

const validPath = "testdata/valid.json"

// mutation changes one field of the decoded valid manifest.
type mutation func(document map[string]any)

// set stores value at a dotted path such as "livenessProbe.httpGet.port", creating missing objects.
func set(path string, value any) mutation {
	return func(document map[string]any) {
		parent, name := walk(document, path)
		parent[name] = value
	}
}

// remove deletes the field at a dotted path.
func remove(path string) mutation {
	return func(document map[string]any) {
		parent, name := walk(document, path)
		delete(parent, name)
	}
}

func walk(document map[string]any, path string) (map[string]any, string) {
	names := strings.Split(path, ".")
	parent := document
	for _, name := range names[:len(names)-1] {
		child, ok := parent[name].(map[string]any)
		if !ok {
			child = map[string]any{}
			parent[name] = child
		}
		parent = child
	}

	return parent, names[len(names)-1]
}

// validWith returns the valid manifest after the mutations, as JSON.
func validWith(t *testing.T, mutations ...mutation) []byte {
	t.Helper()

	data, err := os.ReadFile(validPath)
	if err != nil {
		t.Fatalf("read %s: %v", validPath, err)
	}

	var document map[string]any
	if err := json.Unmarshal(data, &document); err != nil {
		t.Fatalf("decode %s: %v", validPath, err)
	}

	for _, mutate := range mutations {
		mutate(document)
	}

	mutated, err := json.Marshal(document)
	if err != nil {
		t.Fatalf("encode mutated manifest: %v", err)
	}

	return mutated
}

func validationError(t *testing.T, err error) *manifest.ValidationError {
	t.Helper()

	var invalid *manifest.ValidationError
	if !errors.As(err, &invalid) {
		t.Fatalf("error = %v (%T), want *manifest.ValidationError", err, err)
	}

	return invalid
}

func fields(violations []manifest.Violation) []string {
	names := make([]string, len(violations))
	for i, violation := range violations {
		names[i] = violation.Field
	}

	return names
}

func TestParseValid(t *testing.T) {
	t.Parallel()

	data, err := os.ReadFile(validPath)
	if err != nil {
		t.Fatal(err)
	}

	m, err := manifest.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if m.Name != "hello-microservice" {
		t.Errorf("Name = %q, want hello-microservice", m.Name)
	}
	if got := len(m.RequiredRoles); got != 3 {
		t.Errorf("len(RequiredRoles) = %d, want 3", got)
	}
	if m.LivenessProbe == nil || m.LivenessProbe.HTTPGet == nil || m.LivenessProbe.HTTPGet.Port != 80 {
		t.Errorf("LivenessProbe = %+v, want httpGet on port 80", m.LivenessProbe)
	}
	if m.RequestedResources == nil || m.RequestedResources.Memory != "64Mi" {
		t.Errorf("RequestedResources = %+v, want memory 64Mi", m.RequestedResources)
	}
}

func TestParseBrokenRule(t *testing.T) {
	t.Parallel()

	noAction := remove("readinessProbe.httpGet")
	tests := []struct {
		name      string
		mutations []mutation
		field     string
		value     string // JSON text of the offending value, empty for a missing field
		fix       string // part of the fix, if the case checks it
	}{
		{"apiVersion missing", []mutation{remove("apiVersion")}, "apiVersion", "", `"2"`},
		{"apiVersion 1", []mutation{set("apiVersion", "1")}, "apiVersion", `"1"`, `use "2"`},
		{"apiVersion 3", []mutation{set("apiVersion", "3")}, "apiVersion", `"3"`, `use "2"`},
		{"apiVersion number", []mutation{set("apiVersion", 2)}, "apiVersion", `2`, `put the value in quotes: "2"`},
		{"name missing", []mutation{remove("name")}, "name", "", "add \"name\""},
		{"name uppercase", []mutation{set("name", "Hello_Service")}, "name", `"Hello_Service"`, `"hello-service"`},
		{"name too long", []mutation{set("name", "hello-microservice-backend")}, "name", `"hello-microservice-backend"`, `"hello-microservice-back"`},
		{"name leading hyphen", []mutation{set("name", "-hello")}, "name", `"-hello"`, `"hello"`},
		{"name trailing hyphen", []mutation{set("name", "hello-")}, "name", `"hello-"`, `"hello"`},
		{"name key case", []mutation{set("Name", "hello")}, "Name", "", `remove it, because "name" is set too`},
		{"version missing", []mutation{remove("version")}, "version", "", `"1.0.0"`},
		{"version two parts", []mutation{set("version", "1.0")}, "version", `"1.0"`, "MAJOR.MINOR.PATCH"},
		{"version build metadata", []mutation{set("version", "1.0.0+build.5")}, "version", `"1.0.0+build.5"`, `use "1.0.0"`},
		{"version leading v", []mutation{set("version", "v1.0.0")}, "version", `"v1.0.0"`, `"1.0.0"`},
		{"version leading zero", []mutation{set("version", "1.02.0")}, "version", `"1.02.0"`, ""},
		{"provider missing", []mutation{remove("provider")}, "provider.name", "", "provider"},
		{"provider name blank", []mutation{set("provider.name", "  ")}, "provider.name", `"  "`, ""},
		{"provider string", []mutation{set("provider", "Acme")}, "provider", `"Acme"`, "object"},
		{"isolation unknown", []mutation{set("isolation", "SHARED")}, "isolation", `"SHARED"`, `"PER_TENANT"`},
		{"isolation lowercase", []mutation{set("isolation", "per_tenant")}, "isolation", `"per_tenant"`, `use "PER_TENANT", in upper case`},
		{"scale unknown", []mutation{set("scale", "MANUAL")}, "scale", `"MANUAL"`, `"AUTO"`},
		{"replicas 6", []mutation{set("replicas", 6)}, "replicas", "6", "1 to 5"},
		{"replicas 0", []mutation{set("replicas", 0)}, "replicas", "0", "1 to 5"},
		{"replicas string", []mutation{set("replicas", "2")}, "replicas", `"2"`, "remove the quotes: 2"},
		{"cpu limit low", []mutation{set("resources.cpu", "50m"), remove("requestedResources")}, "resources.cpu", `"50m"`, `"100m"`},
		{"cpu limit invalid", []mutation{set("resources.cpu", "abc")}, "resources.cpu", `"abc"`, "millicores"},
		{"cpu limit too fine", []mutation{set("resources.cpu", "0.1234")}, "resources.cpu", `"0.1234"`, "three decimal"},
		{"memory limit low", []mutation{set("resources.memory", "9M"), remove("requestedResources")}, "resources.memory", `"9M"`, `"10M"`},
		{"memory limit decimal", []mutation{set("resources.memory", "0.5G")}, "resources.memory", `"0.5G"`, "smaller unit"},
		{"memory limit unit", []mutation{set("resources.memory", "256X")}, "resources.memory", `"256X"`, "Mi"},
		{"memory limit number", []mutation{set("resources.memory", 256)}, "resources.memory", "256", `"256"`},
		{"cpu request above limit", []mutation{set("requestedResources.cpu", "1")}, "requestedResources.cpu", `"1"`, "resources.cpu"},
		{"memory request above limit", []mutation{set("requestedResources.memory", "256Mi")}, "requestedResources.memory", `"256Mi"`, "resources.memory"},
		{"request above default", []mutation{remove("resources"), set("requestedResources.memory", "1G")}, "requestedResources.memory", `"1G"`, "raise resources.memory"},
		{"requestResources spelling", []mutation{set("requestResources", map[string]any{"cpu": "100m"})}, "requestResources", `{"cpu":"100m"}`, "rename to requestedResources"},
		{"required role lowercase", []mutation{set("requiredRoles", []any{"ROLE_INVENTORY_READ", "role_inventory_admin"})}, "requiredRoles[1]", `"role_inventory_admin"`, `"ROLE_INVENTORY_ADMIN"`},
		{"required role empty", []mutation{set("requiredRoles", []any{""})}, "requiredRoles[0]", `""`, "remove the empty entry"},
		{"required roles string", []mutation{set("requiredRoles", "ROLE_INVENTORY_READ")}, "requiredRoles", `"ROLE_INVENTORY_READ"`, `["ROLE_INVENTORY_READ"]`},
		{"required role number", []mutation{set("requiredRoles", []any{"ROLE_INVENTORY_READ", 5})}, "requiredRoles[1]", "5", `"5"`},
		{"role without permission", []mutation{set("roles", []any{"ROLE_HELLO"})}, "roles[0]", `"ROLE_HELLO"`, `"ROLE_HELLO_READ"`},
		{"role without prefix", []mutation{set("roles", []any{"HELLO_ADMIN"})}, "roles[0]", `"HELLO_ADMIN"`, `"ROLE_HELLO_ADMIN"`},
		{"probe path relative", []mutation{set("livenessProbe.httpGet.path", "health")}, "livenessProbe.httpGet.path", `"health"`, `"/health"`},
		{"probe path missing", []mutation{remove("livenessProbe.httpGet.path")}, "livenessProbe.httpGet.path", "", `"/health"`},
		{"probe port 8080", []mutation{set("livenessProbe.httpGet.port", 8080)}, "livenessProbe.httpGet.port", "8080", "use 80"},
		{"probe port range", []mutation{set("livenessProbe.httpGet.port", 70000)}, "livenessProbe.httpGet.port", "70000", "use 80"},
		{"probe port missing", []mutation{remove("livenessProbe.httpGet.port")}, "livenessProbe.httpGet.port", "", `"port": 80`},
		{"probe port string", []mutation{set("livenessProbe.httpGet.port", "80")}, "livenessProbe.httpGet.port", `"80"`, "remove the quotes: 80"},
		{"probe scheme", []mutation{set("livenessProbe.httpGet.scheme", "FTP")}, "livenessProbe.httpGet.scheme", `"FTP"`, `use "HTTP"`},
		{"probe scheme HTTPS", []mutation{set("livenessProbe.httpGet.scheme", "HTTPS")}, "livenessProbe.httpGet.scheme", `"HTTPS"`, `use "HTTP" or remove the field`},
		{"probe scheme https", []mutation{set("readinessProbe.httpGet.scheme", "https")}, "readinessProbe.httpGet.scheme", `"https"`, `use "HTTP" or remove the field`},
		{"probe scheme lowercase", []mutation{set("readinessProbe.httpGet.scheme", "http")}, "readinessProbe.httpGet.scheme", `"http"`, `use "HTTP", in upper case`},
		{"probe without action", []mutation{remove("livenessProbe.httpGet")}, "livenessProbe", "", "httpGet"},
		{"probe two actions", []mutation{set("livenessProbe.tcpSocket", map[string]any{"port": 80})}, "livenessProbe", "", "keep only one"},
		{"probe exec empty", []mutation{noAction, set("readinessProbe.exec", map[string]any{"command": []any{}})}, "readinessProbe.exec.command", "", "program"},
		{"probe exec blank program", []mutation{noAction, set("readinessProbe.exec", map[string]any{"command": []any{""}})}, "readinessProbe.exec.command[0]", `""`, "program"},
		{"probe tcp port 81", []mutation{noAction, set("readinessProbe.tcpSocket", map[string]any{"port": 81})}, "readinessProbe.tcpSocket.port", "81", "use 80"},
		{"probe timeout string", []mutation{set("livenessProbe.timeoutSeconds", "1")}, "livenessProbe.timeoutSeconds", `"1"`, "remove the quotes: 1"},
		{"probe timeout 0", []mutation{set("livenessProbe.timeoutSeconds", 0)}, "livenessProbe.timeoutSeconds", "0", "use 1 or more"},
		{"probe period fraction", []mutation{set("livenessProbe.periodSeconds", 1.5)}, "livenessProbe.periodSeconds", "1.5", "whole number"},
		{"probe delay negative", []mutation{set("readinessProbe.initialDelaySeconds", -1)}, "readinessProbe.initialDelaySeconds", "-1", "use 0 or more"},
		{"probe failures 0", []mutation{set("readinessProbe.failureThreshold", 0)}, "readinessProbe.failureThreshold", "0", "use 1 or more"},
		{"probe successes 0", []mutation{set("readinessProbe.successThreshold", 0)}, "readinessProbe.successThreshold", "0", "use 1 or more"},
		{"liveness successes 2", []mutation{set("livenessProbe.successThreshold", 2)}, "livenessProbe.successThreshold", "2", "use 1"},
		{"probe not object", []mutation{set("readinessProbe", true)}, "readinessProbe", "true", "object"},
		{"context path slash", []mutation{set("contextPath", "/hello")}, "contextPath", `"/hello"`, `"hello"`},
		{"setting key empty", []mutation{set("settings", []any{map[string]any{"key": "", "defaultValue": "1"}})}, "settings[0].key", "", `"key"`},
		{"setting default missing", []mutation{set("settings", []any{map[string]any{"key": "interval"}})}, "settings[0].defaultValue", "", "defaultValue"},
		{"setting editable string", []mutation{set("settings", []any{map[string]any{"key": "interval", "defaultValue": "1", "editable": "true"}})}, "settings[0].editable", `"true"`, "remove the quotes: true"},
		{"settings category hyphen", []mutation{set("settingsCategory", "hello-1")}, "settingsCategory", `"hello-1"`, `"hello"`},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			m, err := manifest.Parse(validWith(t, test.mutations...))
			invalid := validationError(t, err)

			if m == nil {
				t.Error("Parse returned a nil manifest with the validation error")
			}
			if len(invalid.Violations) != 1 {
				t.Fatalf("violations = %v, want exactly one on %s", fields(invalid.Violations), test.field)
			}

			violation := invalid.Violations[0]
			if violation.Field != test.field {
				t.Errorf("Field = %q, want %q", violation.Field, test.field)
			}
			if violation.Value != test.value {
				t.Errorf("Value = %q, want %q", violation.Value, test.value)
			}
			line := test.field + ": "
			if test.value != "" {
				line = test.field + " " + test.value + ": "
			}
			if !strings.Contains(err.Error(), "\n  "+line) {
				t.Errorf("message %q does not contain %q", err.Error(), line)
			}
			if !strings.Contains(violation.Fix, test.fix) {
				t.Errorf("Fix = %q, want it to contain %q", violation.Fix, test.fix)
			}
		})
	}
}

func TestParseAcceptedValues(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		mutations []mutation
	}{
		{"prerelease version", []mutation{set("version", "1.0.0-SNAPSHOT")}},
		{"dotted prerelease", []mutation{set("version", "2.10.3-rc.1")}},
		{"per tenant", []mutation{set("isolation", "PER_TENANT")}},
		{"isolation absent", []mutation{remove("isolation")}},
		{"scale and replicas", []mutation{set("scale", "AUTO"), set("replicas", 5)}},
		{"decimal cpu", []mutation{set("resources.cpu", "1.5"), set("requestedResources.cpu", "0.1")}},
		{"equal request", []mutation{set("requestedResources", map[string]any{"cpu": "500m", "memory": "128Mi"})}},
		{"resources absent", []mutation{remove("resources"), remove("requestedResources")}},
		{"memory bytes", []mutation{set("resources.memory", "10000000"), set("requestedResources.memory", "10M")}},
		{"roles", []mutation{set("roles", []any{"ROLE_HELLO_READ", "ROLE_HELLO_ADMIN", "ROLE_HELLO_2_CREATE"})}},
		{"http probe", []mutation{set("livenessProbe.httpGet.scheme", "HTTP")}},
		{"tcp probe", []mutation{remove("readinessProbe.httpGet"), set("readinessProbe.tcpSocket", map[string]any{"port": 80})}},
		{"exec probe", []mutation{remove("readinessProbe.httpGet"), set("readinessProbe.exec", map[string]any{"command": []any{"/bin/true", ""}})}},
		{"readiness successes 3", []mutation{set("readinessProbe.successThreshold", 3)}},
		{"liveness successes 1", []mutation{set("livenessProbe.successThreshold", 1)}},
		{"context path", []mutation{set("contextPath", "hello.v2~x_y-z")}},
		{"settings", []mutation{set("settingsCategory", "hello"), set("settings", []any{map[string]any{"key": "interval", "defaultValue": "10", "editable": true}})}},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			if _, err := manifest.Parse(validWith(t, test.mutations...)); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()

	data := validWith(t,
		set("name", "Hello_Service"),
		set("version", "1.0.0+1"),
		set("replicas", "2"),
		set("requestResources", map[string]any{"cpu": "100m"}),
		set("livenessProbe.httpGet.port", 8080),
		set("livenessProbe.timeoutSeconds", "1"),
		set("settingsCategory", "a b"),
	)

	m, err := manifest.Parse(data)
	invalid := validationError(t, err)

	want := []string{
		"name",
		"version",
		"replicas",
		"requestResources",
		"livenessProbe.httpGet.port",
		"livenessProbe.timeoutSeconds",
		"settingsCategory",
	}
	if got := fields(invalid.Violations); !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if !strings.HasPrefix(err.Error(), "cumulocity.json is invalid (7 problems):\n") {
		t.Errorf("message header = %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if m == nil || m.Name != "Hello_Service" {
		t.Errorf("manifest = %+v, want it returned with the name Hello_Service", m)
	}
}

func TestParseSortsArrayIndices(t *testing.T) {
	t.Parallel()

	roles := make([]any, 12)
	for i := range roles {
		roles[i] = "ROLE_HELLO_READ"
	}
	roles[2] = "ROLE_HELLO"
	roles[10] = "ROLE_HELLO_WRITE"
	roles[11] = nil

	_, err := manifest.Parse(validWith(t, set("roles", roles)))
	invalid := validationError(t, err)

	want := []string{"roles[2]", "roles[10]", "roles[11]"}
	if got := fields(invalid.Violations); !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

func TestParseErrorFormat(t *testing.T) {
	t.Parallel()

	_, err := manifest.Parse(validWith(t, set("name", "Hello_Service")))

	want := "cumulocity.json is invalid (1 problem):\n" +
		`  name "Hello_Service": must match [a-z0-9-], at most 23 characters; fix: use lowercase letters, digits and hyphens, e.g. "hello-service"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant  %s", err, want)
	}
}

func TestParseUnknownFields(t *testing.T) {
	t.Parallel()

	data := validWith(t,
		set("extensions", []any{}),
		set("billingMode", map[string]any{"type": "RESOURCES"}),
		set("keepOriginalImage", true),
		set("description", "far from every field name"),
		set("type", "MICROSERVICE"),
		set("livenessProbe.httpGet.host", "localhost"),
		set("livenessProbe.httpGet.httpHeaders", []any{}),
		set("livenessProbe.terminationGracePeriodSeconds", 30),
		set("provider.url", "https://example.com"),
		set("settings", []any{map[string]any{"key": "interval", "defaultValue": "10", "valueSchema": map[string]any{"type": "number"}}}),
	)

	if _, err := manifest.Parse(data); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestParseMisspelledField(t *testing.T) {
	t.Parallel()

	probe := map[string]any{"httpGet": map[string]any{"path": "/health", "port": 80}}
	tests := []struct {
		name      string
		mutations []mutation
		field     string
		fix       string
	}{
		{"one letter missing", []mutation{remove("readinessProbe"), set("readinesProbe", probe)}, "readinesProbe", `rename it to "readinessProbe"`},
		{"case", []mutation{remove("readinessProbe"), set("ReadinessProbe", probe)}, "ReadinessProbe", `rename it to "readinessProbe"`},
		{"upper case", []mutation{remove("contextPath"), set("CONTEXTPATH", "hello")}, "CONTEXTPATH", `rename it to "contextPath"`},
		{"swapped letters", []mutation{set("verison", "1.0.0")}, "verison", `remove it, because "version" is set too`},
		{"unchecked field", []mutation{set("extension", []any{})}, "extension", `rename it to "extensions"`},
		{"plural", []mutation{set("requiredRole", []any{"ROLE_INVENTORY_READ"})}, "requiredRole", `"requiredRoles"`},
		{"probe action case", []mutation{set("livenessProbe.httpget", map[string]any{"path": "/health", "port": 80})}, "livenessProbe.httpget", `"httpGet" is set too`},
		{"probe action abbreviated", []mutation{remove("livenessProbe.httpGet"), set("livenessProbe.tcp", map[string]any{"port": 80})}, "livenessProbe.tcp", `rename it to "tcpSocket"`},
		{"probe timing abbreviated", []mutation{remove("livenessProbe.initialDelaySeconds"), set("livenessProbe.initialDelay", 10)}, "livenessProbe.initialDelay", `rename it to "initialDelaySeconds"`},
		{"probe timing singular", []mutation{remove("readinessProbe.timeoutSeconds"), set("readinessProbe.timeoutSecond", 2)}, "readinessProbe.timeoutSecond", `rename it to "timeoutSeconds"`},
		{"probe path", []mutation{remove("livenessProbe.httpGet.path"), set("livenessProbe.httpGet.paht", "/health")}, "livenessProbe.httpGet.paht", `rename it to "path"`},
		{"provider", []mutation{set("provider.Domain", "example.com")}, "provider.Domain", `rename it to "domain"`},
		{"resources", []mutation{remove("resources.memory"), set("resources.memroy", "128Mi")}, "resources.memroy", `rename it to "memory"`},
		{"requested resources", []mutation{set("requestedResources.CPU", "100m")}, "requestedResources.CPU", `remove it, because "cpu" is set too`},
		{"setting", []mutation{set("settings", []any{map[string]any{"key": "interval", "defaultValue": "10", "editabel": true}})}, "settings[0].editabel", `rename it to "editable"`},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			_, err := manifest.Parse(validWith(t, test.mutations...))
			invalid := validationError(t, err)

			index := slices.IndexFunc(invalid.Violations, func(v manifest.Violation) bool { return v.Field == test.field })
			if index < 0 {
				t.Fatalf("violations = %v, want one on %s", fields(invalid.Violations), test.field)
			}
			violation := invalid.Violations[index]
			if !strings.Contains(violation.Problem, "so the platform ignores it") {
				t.Errorf("Problem = %q, want it to say that the platform ignores the field", violation.Problem)
			}
			if !strings.Contains(violation.Fix, test.fix) {
				t.Errorf("Fix = %q, want it to contain %q", violation.Fix, test.fix)
			}
		})
	}
}

func TestParseMisspelledMessage(t *testing.T) {
	t.Parallel()

	readiness := map[string]any{"httpGet": map[string]any{"path": "/health", "port": 80}}
	_, err := manifest.Parse(validWith(t, remove("readinessProbe"), set("readinesProbe", readiness)))

	want := "cumulocity.json is invalid (1 problem):\n" +
		`  readinesProbe: is not a manifest field, so the platform ignores it; fix: rename it to "readinessProbe"`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v\nwant  %s", err, want)
	}
}

func TestParseNullField(t *testing.T) {
	t.Parallel()

	m, err := manifest.Parse(validWith(t, set("replicas", nil), set("roles", nil)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if m.Replicas != nil {
		t.Errorf("Replicas = %d, want nil", *m.Replicas)
	}
}

func TestParseNotObject(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		data string
		want string
	}{
		{"syntax", `{"name": }`, "not valid JSON at line 1, column 10"},
		{"syntax line 2", "{\n  \"name\": x\n}", "line 2, column 11"},
		{"truncated", `{"name": "x"`, "ends inside a value"},
		{"empty", ``, "is empty"},
		{"array", `[{"name": "x"}]`, "must be a JSON object, found an array"},
		{"string", `"manifest"`, "must be a JSON object, found a string"},
		{"null", `null`, "must be a JSON object, found null"},
		{"trailing object", `{} {}`, "unexpected data after the JSON object"},
		{"trailing text", `{} x`, "unexpected data after the JSON object"},
	}

	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()

			m, err := manifest.Parse([]byte(test.data))
			if err == nil {
				t.Fatal("Parse returned no error")
			}

			if m != nil {
				t.Errorf("manifest = %+v, want nil", m)
			}
			var invalid *manifest.ValidationError
			if errors.As(err, &invalid) {
				t.Errorf("error is a *ValidationError, want a decoding error: %v", err)
			}
			if !strings.Contains(err.Error(), test.want) {
				t.Errorf("error = %q, want it to contain %q", err.Error(), test.want)
			}
			if !strings.HasPrefix(err.Error(), "cumulocity.json ") {
				t.Errorf("error = %q, want it to name cumulocity.json", err.Error())
			}
		})
	}
}

func TestLoadValid(t *testing.T) {
	t.Parallel()

	m, err := manifest.Load(validPath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	if got := m.ImageTag(); got != "hello-microservice:1.0.0" {
		t.Errorf("ImageTag() = %q, want hello-microservice:1.0.0", got)
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "cumulocity.json")

	_, err := manifest.Load(path)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want os.ErrNotExist", err)
	}
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error = %v, want it to name %s", err, path)
	}
}

func TestLoadInvalidNamesPath(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "cumulocity.json")
	if err := os.WriteFile(path, validWith(t, set("apiVersion", "1")), 0o600); err != nil {
		t.Fatal(err)
	}

	m, err := manifest.Load(path)
	invalid := validationError(t, err)

	if invalid.Path != path {
		t.Errorf("Path = %q, want %q", invalid.Path, path)
	}
	if !strings.HasPrefix(err.Error(), path+" is invalid (1 problem):") {
		t.Errorf("error = %q, want it to start with the path", err.Error())
	}
	if m == nil {
		t.Error("Load returned a nil manifest with the validation error")
	}
}

func TestLoadSyntaxNamesPath(t *testing.T) {
	t.Parallel()

	path := filepath.Join(t.TempDir(), "cumulocity.json")
	if err := os.WriteFile(path, []byte(`{"name": }`), 0o600); err != nil {
		t.Fatal(err)
	}

	_, err := manifest.Load(path)
	if err == nil || !strings.HasPrefix(err.Error(), path+" is not valid JSON") {
		t.Errorf("error = %v, want it to start with %s", err, path)
	}
}

func TestValidateStruct(t *testing.T) {
	t.Parallel()

	m, err := manifest.Load(validPath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate on the valid manifest: %v", err)
	}

	replicas := 9
	m.Replicas = &replicas
	m.Roles = []string{"ROLE_HELLO_WRITE"}

	invalid := validationError(t, m.Validate())
	if got, want := fields(invalid.Violations), []string{"replicas", "roles[0]"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if !strings.HasPrefix(invalid.Error(), "cumulocity.json is invalid (2 problems):") {
		t.Errorf("error = %q", invalid.Error())
	}
}

func TestEffectiveDefaults(t *testing.T) {
	t.Parallel()

	m := &manifest.Manifest{Name: "hello", Version: "1.2.3-rc.1"}

	if got := m.EffectiveIsolation(); got != manifest.IsolationMultiTenant {
		t.Errorf("EffectiveIsolation() = %q, want MULTI_TENANT", got)
	}
	if got := m.EffectiveContextPath(); got != "hello" {
		t.Errorf("EffectiveContextPath() = %q, want hello", got)
	}
	if got := m.ImageTag(); got != "hello:1.2.3-rc.1" {
		t.Errorf("ImageTag() = %q, want hello:1.2.3-rc.1", got)
	}

	m.Isolation = manifest.IsolationPerTenant
	m.ContextPath = "greetings"
	if got := m.EffectiveIsolation(); got != manifest.IsolationPerTenant {
		t.Errorf("EffectiveIsolation() = %q, want PER_TENANT", got)
	}
	if got := m.EffectiveContextPath(); got != "greetings" {
		t.Errorf("EffectiveContextPath() = %q, want greetings", got)
	}
}

func TestProbeDefaults(t *testing.T) {
	t.Parallel()

	for _, probe := range []*manifest.Probe{nil, {}} {
		if got := probe.InitialDelay(); got != 0 {
			t.Errorf("InitialDelay() = %v, want 0", got)
		}
		if got := probe.Period(); got != 10*time.Second {
			t.Errorf("Period() = %v, want 10s", got)
		}
		if got := probe.Timeout(); got != time.Second {
			t.Errorf("Timeout() = %v, want 1s", got)
		}
		if got := probe.Failures(); got != 3 {
			t.Errorf("Failures() = %d, want 3", got)
		}
	}
}

func TestProbeValues(t *testing.T) {
	t.Parallel()

	delay, period, timeout, failures := 7, 20, 4, 5
	probe := &manifest.Probe{
		InitialDelaySeconds: &delay,
		PeriodSeconds:       &period,
		TimeoutSeconds:      &timeout,
		FailureThreshold:    &failures,
	}

	if got := probe.InitialDelay(); got != 7*time.Second {
		t.Errorf("InitialDelay() = %v, want 7s", got)
	}
	if got := probe.Period(); got != 20*time.Second {
		t.Errorf("Period() = %v, want 20s", got)
	}
	if got := probe.Timeout(); got != 4*time.Second {
		t.Errorf("Timeout() = %v, want 4s", got)
	}
	if got := probe.Failures(); got != 5 {
		t.Errorf("Failures() = %d, want 5", got)
	}
}

func TestParseMemory(t *testing.T) {
	t.Parallel()

	valid := []struct {
		text  string
		bytes int64
	}{
		{"0", 0},
		{"1024", 1024},
		{"1K", 1_000},
		{"256M", 256_000_000},
		{"10M", 10_000_000},
		{"2G", 2_000_000_000},
		{"1k", 1000},
		{"1T", 1_000_000_000_000},
		{"1Ki", 1024},
		{"128Mi", 134_217_728},
		{"1Gi", 1 << 30},
		{"1Ti", 1 << 40},
	}
	for _, test := range valid {
		got, err := manifest.ParseMemory(test.text)
		if err != nil || got != test.bytes {
			t.Errorf("ParseMemory(%q) = %d, %v, want %d", test.text, got, err, test.bytes)
		}
	}

	invalid := []string{"", "M", "0.5G", "1.0M", "256m", "1E", "1Pi", "-1M", "+1M", " 1M", "1M ", "1 M", "99999999999999999999", "9999999999T"}
	for _, text := range invalid {
		got, err := manifest.ParseMemory(text)
		if err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", text, got)
			continue
		}
		if !strings.Contains(err.Error(), text) {
			t.Errorf("ParseMemory(%q) error %q does not name the value", text, err)
		}
	}
}

func TestParseCPU(t *testing.T) {
	t.Parallel()

	valid := []struct {
		text  string
		milli int64
	}{
		{"0", 0},
		{"1", 1000},
		{"0.5", 500},
		{"0.1", 100},
		{"0.100", 100},
		{"0.1000", 100},
		{"2.25", 2250},
		{"0.001", 1},
		{"500m", 500},
		{"100m", 100},
		{"1500m", 1500},
	}
	for _, test := range valid {
		got, err := manifest.ParseCPU(test.text)
		if err != nil || got != test.milli {
			t.Errorf("ParseCPU(%q) = %d, %v, want %d", test.text, got, err, test.milli)
		}
	}

	invalid := []string{"", "m", "1.", ".5", "0.0001", "-1", "+1", "1e3", "1.5m", "abc", "1 ", "500M", "99999999999999999999", "9999999999999999999m", "9223372036854775807"}
	for _, text := range invalid {
		got, err := manifest.ParseCPU(text)
		if err == nil {
			t.Errorf("ParseCPU(%q) = %d, want an error", text, got)
			continue
		}
		if !strings.Contains(err.Error(), text) {
			t.Errorf("ParseCPU(%q) error %q does not name the value", text, err)
		}
	}
}
