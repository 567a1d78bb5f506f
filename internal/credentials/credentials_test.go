package credentials_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hello-microservice/internal/credentials"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		value, ok := env[key]
		return value, ok
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFromEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{"C8Y_HOST": "example.cumulocity.com", "C8Y_TENANT": "t100", "C8Y_USER": "alice", "C8Y_PASSWORD": "s3cret"}
	creds, err := credentials.Load(lookupFrom(env), filepath.Join(t.TempDir(), "absent.env"))
	if err != nil {
		t.Fatal(err)
	}
	if creds.BaseURL != "https://example.cumulocity.com" {
		t.Errorf("base URL = %q", creds.BaseURL)
	}
	if creds.Username() != "t100/alice" {
		t.Errorf("username = %q", creds.Username())
	}
	if creds.Password.Reveal() != "s3cret" {
		t.Error("password not read")
	}
}

func TestLoadEnvironmentWinsOverFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "C8Y_BASEURL=http://127.0.0.1:8111\nC8Y_USER=from-file\nC8Y_PASSWORD='file pass'\n")
	creds, err := credentials.Load(lookupFrom(map[string]string{"C8Y_USER": "from-env"}), path)
	if err != nil {
		t.Fatal(err)
	}
	if creds.User != "from-env" {
		t.Errorf("user = %q, want the environment's", creds.User)
	}
	if creds.Password.Reveal() != "file pass" {
		t.Errorf("password = %q, want the file's", creds.Password.Reveal())
	}
	if creds.BaseURL != "http://127.0.0.1:8111" {
		t.Errorf("base URL = %q", creds.BaseURL)
	}
}

func TestLoadMissingNamesVariables(t *testing.T) {
	t.Parallel()
	_, err := credentials.Load(lookupFrom(map[string]string{"C8Y_USER": "alice"}), filepath.Join(t.TempDir(), ".env"))
	if err == nil {
		t.Fatal("load succeeded without a host and password")
	}
	for _, want := range []string{"C8Y_HOST", "C8Y_PASSWORD", ".env"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "C8Y_USER,") {
		t.Errorf("error %q names C8Y_USER, which is set", err)
	}
}

func TestLoadTokenReplacesPassword(t *testing.T) {
	t.Parallel()
	creds, err := credentials.Load(lookupFrom(map[string]string{"C8Y_HOST": "https://x.example", "C8Y_TOKEN": "eyJ"}), filepath.Join(t.TempDir(), ".env"))
	if err != nil {
		t.Fatal(err)
	}
	if creds.Token.Reveal() != "eyJ" {
		t.Error("token not read")
	}
}

func TestLoadRejectsCredentialsInURL(t *testing.T) {
	t.Parallel()
	env := map[string]string{"C8Y_HOST": "https://alice:hunter2@x.example", "C8Y_USER": "a", "C8Y_PASSWORD": "b"}
	_, err := credentials.Load(lookupFrom(env), filepath.Join(t.TempDir(), ".env"))
	if err == nil {
		t.Fatal("load accepted a URL with credentials")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q shows the password", err)
	}
}

func TestReadDotenvForms(t *testing.T) {
	t.Parallel()
	path := writeFile(t, strings.Join([]string{
		"# comment",
		"",
		"PLAIN=value # trailing comment",
		"export EXPORTED=yes",
		`DOUBLE="line\nbreak"`,
		`SINGLE='$literal \n'`,
		"EMPTY=",
		"HASH=a#b",
	}, "\n"))
	got, err := credentials.ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"PLAIN": "value", "EXPORTED": "yes", "DOUBLE": "line\nbreak", "SINGLE": `$literal \n`, "EMPTY": "", "HASH": "a#b"}
	for key, value := range want {
		if got[key] != value {
			t.Errorf("%s = %q, want %q", key, got[key], value)
		}
	}
	if len(got) != len(want) {
		t.Errorf("read %d keys, want %d", len(got), len(want))
	}
}

func TestReadDotenvRejectsBadLine(t *testing.T) {
	t.Parallel()
	for _, content := range []string{"NOEQUALS", "BAD KEY=1", `OPEN="unterminated`} {
		if _, err := credentials.ReadDotenv(writeFile(t, content)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: error = %v, want one naming line 1", content, err)
		}
	}
}

func TestWriteDotenvKeepsOtherLinesAndMode(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "# mine\nKEEP=1\nC8Y_BOOTSTRAP_PASSWORD=old\n")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	err := credentials.WriteDotenv(path, map[string]string{"C8Y_BOOTSTRAP_PASSWORD": "new \"pw\"", "C8Y_BOOTSTRAP_USER": "servicebootstrap_x"},
		[]string{"C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD"})
	if err != nil {
		t.Fatal(err)
	}

	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", info.Mode().Perm())
	}
	got, err := credentials.ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	if got["KEEP"] != "1" || got["C8Y_BOOTSTRAP_PASSWORD"] != `new "pw"` || got["C8Y_BOOTSTRAP_USER"] != "servicebootstrap_x" {
		t.Errorf("file holds %v", got)
	}
	data, _ := os.ReadFile(path)
	if strings.Count(string(data), "C8Y_BOOTSTRAP_PASSWORD") != 1 {
		t.Errorf("password line repeated:\n%s", data)
	}
}
