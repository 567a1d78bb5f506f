package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretFormats(t *testing.T) {
	t.Parallel()

	secret := Secret("hunter2")
	holder := struct{ Password Secret }{secret}

	outputs := map[string]string{
		"%s":     fmt.Sprintf("%s", secret),
		"%v":     fmt.Sprintf("%v", secret),
		"%q":     fmt.Sprintf("%q", secret),
		"%x":     fmt.Sprintf("%x", secret),
		"%d":     fmt.Sprintf("%d", secret),
		"%#v":    fmt.Sprintf("%#v", secret),
		"%+v":    fmt.Sprintf("%+v", holder),
		"Sprint": fmt.Sprint(secret),
	}
	for verb, output := range outputs {
		if strings.Contains(output, "hunter2") || strings.Contains(output, fmt.Sprintf("%x", "hunter2")) {
			t.Errorf("%s shows the secret: %q", verb, output)
		}
		if !strings.Contains(output, "REDACTED") {
			t.Errorf("%s = %q, want the mask", verb, output)
		}
	}
}

func TestSecretJSON(t *testing.T) {
	t.Parallel()

	body, err := json.Marshal(map[string]Secret{"set": "hunter2", "unset": ""})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"set":"[REDACTED]","unset":null}`; string(body) != want {
		t.Errorf("json.Marshal = %s, want %s", body, want)
	}
}

func TestSecretLog(t *testing.T) {
	t.Parallel()

	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, nil))
	logger.Info("connecting", "password", Secret("hunter2"), "config", Config{Password: "hunter2", AppKey: "key-value"})

	if strings.Contains(out.String(), "hunter2") || strings.Contains(out.String(), "key-value") {
		t.Errorf("log shows a secret: %s", out.String())
	}
	if !strings.Contains(out.String(), `"password":"[REDACTED]"`) {
		t.Errorf("log has no masked password: %s", out.String())
	}
}

func TestSecretReveal(t *testing.T) {
	t.Parallel()

	if got := Secret("hunter2").Reveal(); got != "hunter2" {
		t.Errorf("Reveal = %q, want hunter2", got)
	}
}

func TestRedactURL(t *testing.T) {
	t.Parallel()

	tests := []struct{ in, want string }{
		{"", ""},
		{"http://cumulocity:8111", "http://cumulocity:8111"},
		{"http://admin:secret@cumulocity:8111/path", "http://REDACTED@cumulocity:8111/path"},
		{"http://admin@cumulocity", "http://REDACTED@cumulocity"},
		{"http://c8y/x?type=a&password=secret&access_token=t0k", "http://c8y/x?type=a&password=REDACTED&access_token=REDACTED"},
		{"http://admin:sec ret@c8y%zz", "[REDACTED]"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactQuery(t *testing.T) {
	t.Parallel()

	tests := []struct{ in, want string }{
		{"", ""},
		{"pageSize=5&type=c8y_Device", "pageSize=5&type=c8y_Device"},
		{"Password=x&user=bob", "Password=REDACTED&user=bob"},
		{"pass%77ord=x", "pass%77ord=REDACTED"},
		{"apiKey=1&sessionId=2&jwt_token=3", "apiKey=REDACTED&sessionId=REDACTED&jwt_token=REDACTED"},
		{"jwt=eyJ&author=ann&authorization=x&sig=s", "jwt=REDACTED&author=ann&authorization=REDACTED&sig=REDACTED"},
		{"token", "token=REDACTED"},
		{"%zz=secret&a=b", "REDACTED&a=b"},
	}
	for _, tt := range tests {
		if got := RedactQuery(tt.in); got != tt.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsSecretName(t *testing.T) {
	t.Parallel()

	secret := []string{
		"password", "Password", "user_password", "passwd", "pwd", "pass", "passphrase", "passcode",
		"secret", "client_secret", "token", "access_token", "refreshToken", "tfatoken", "XSRF-TOKEN",
		"jwt", "JWT", "id_jwt", "bearer",
		"key", "apiKey", "api_key", "apikey", "X-Api-Key", "APIKey", "accessKey", "subscription-key",
		"auth", "Authorization", "authorisation", "auth_token", "authToken", "x-auth", "oauth", "basicAuth", "authn",
		"session", "sessionId", "JSESSIONID", "sid", "credential", "credentials", "cookie",
		"signature", "X-Amz-Signature", "sig", "otp", "pin",
	}
	harmless := []string{
		"author", "Author", "authors", "coauthor", "authority", "authored",
		"keyboard", "keyword", "keys",
		"signal", "design", "assignment", "passenger", "bypass", "compass",
		"inside", "side", "spinner", "footprint",
		"type", "pageSize", "currentPage", "count", "name", "userName", "deviceId", "tenant", "q", "",
	}
	for _, name := range secret {
		if !IsSecretName(name) {
			t.Errorf("IsSecretName(%q) = false, want true", name)
		}
	}
	for _, name := range harmless {
		if IsSecretName(name) {
			t.Errorf("IsSecretName(%q) = true, want false", name)
		}
	}
}
