package routes

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestEnvironment(t *testing.T) {
	t.Parallel()

	cfg := loadConfig(t, map[string]string{
		"C8Y_BASEURL":                "http://urluser:url-secret@cumulocity:8111",
		"C8Y_BASEURL_MQTT":           "mqtt://cumulocity:1883",
		"C8Y_BASEURL_PULSAR":         "pulsar://pulsar:6650?token=pulsar-secret",
		"C8Y_BOOTSTRAP_TENANT":       "management",
		"C8Y_BOOTSTRAP_USER":         "servicebootstrap_hello",
		"C8Y_BOOTSTRAP_PASSWORD":     "bootstrap-secret",
		"C8Y_TENANT":                 "t100",
		"C8Y_USER":                   "service_hello",
		"C8Y_PASSWORD":               "service-secret",
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"APPLICATION_NAME":           "hello",
		"APPLICATION_KEY":            "key-secret",
		"MEMORY_LIMIT":               "512M",
		"TZ":                         "UTC",
		"PROXY_HTTP_HOST":            "proxy.internal",
		"PROXY_HTTP_PORT":            "3128",
		"PROXY_HTTP_NON_PROXY_HOSTS": "localhost|*.internal",
	})
	handler, _ := newHandler(t, cfg)

	response := serve(t, handler, http.MethodGet, "/environment", nil)
	if response.Code != http.StatusOK {
		t.Fatalf("GET /environment = %d %q", response.Code, response.Body)
	}
	for _, secret := range []string{"url-secret", "urluser", "pulsar-secret", "bootstrap-secret", "service-secret", "key-secret"} {
		if strings.Contains(response.Body.String(), secret) {
			t.Errorf("/environment shows %q: %s", secret, response.Body)
		}
	}

	var got map[string]any
	if err := json.Unmarshal(response.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"platformUrl":           "http://REDACTED@cumulocity:8111",
		"mqttPlatformUrl":       "mqtt://cumulocity:1883",
		"pulsarPlatformUrl":     "pulsar://pulsar:6650?token=REDACTED",
		"tenant":                "management",
		"user":                  "servicebootstrap_hello",
		"password":              "[REDACTED]",
		"microserviceIsolation": "PER_TENANT",
		"serviceTenant":         "t100",
		"serviceUser":           "service_hello",
		"applicationName":       "hello",
		"timeZone":              "UTC",
		"memoryLimit":           "512M",
		"version":               "1.2.3",
		"proxy": map[string]any{
			"http": "proxy.internal:3128", "https": nil, "socks": nil,
			"nonProxyHosts": []any{"localhost", "*.internal"},
		},
	}
	for key, value := range want {
		gotJSON, _ := json.Marshal(got[key])
		wantJSON, _ := json.Marshal(value)
		if !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("/environment %s = %s, want %s", key, gotJSON, wantJSON)
		}
	}
	if len(got) != len(want) {
		t.Errorf("/environment has %d keys, want %d: %s", len(got), len(want), response.Body)
	}
}
