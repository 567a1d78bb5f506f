// Package config reads the platform's environment variables into one typed configuration.
package config

import (
	"log/slog"
	"net/url"
	"strings"
)

// Secret is a string that never shows its value in logs, JSON or formatted output.
type Secret string

// String returns a fixed mask so that fmt verbs never print the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// GoString masks the value for the %#v verb too.
func (s Secret) GoString() string { return s.String() }

// LogValue masks the value in log/slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON masks the value when a Secret is encoded as JSON.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return []byte(`"[REDACTED]"`), nil
}

// Reveal returns the value itself, for the one place that sends it: an Authorization header.
func (s Secret) Reveal() string { return string(s) }

// Config holds every platform variable the service reads. An empty field means the variable
// was not set, as in a local run outside the platform.
type Config struct {
	Port string // SERVER_PORT, "80" when unset

	BaseURL       string // C8Y_BASEURL
	BaseURLMQTT   string // C8Y_BASEURL_MQTT
	BaseURLPulsar string // C8Y_BASEURL_PULSAR

	BootstrapTenant   string // C8Y_BOOTSTRAP_TENANT
	BootstrapUser     string // C8Y_BOOTSTRAP_USER
	BootstrapPassword Secret // C8Y_BOOTSTRAP_PASSWORD

	Tenant   string // C8Y_TENANT, set only with PER_TENANT isolation
	User     string // C8Y_USER
	Password Secret // C8Y_PASSWORD

	Isolation   string // C8Y_MICROSERVICE_ISOLATION
	AppName     string // APPLICATION_NAME
	AppKey      Secret // APPLICATION_KEY
	MemoryLimit string // MEMORY_LIMIT
	TimeZone    string // TZ
}

// Load reads the configuration through lookup, which has the signature of os.LookupEnv.
func Load(lookup func(string) (string, bool)) Config {
	get := func(key string) string {
		value, _ := lookup(key)
		return value
	}

	cfg := Config{
		Port:              get("SERVER_PORT"),
		BaseURL:           get("C8Y_BASEURL"),
		BaseURLMQTT:       get("C8Y_BASEURL_MQTT"),
		BaseURLPulsar:     get("C8Y_BASEURL_PULSAR"),
		BootstrapTenant:   get("C8Y_BOOTSTRAP_TENANT"),
		BootstrapUser:     get("C8Y_BOOTSTRAP_USER"),
		BootstrapPassword: Secret(get("C8Y_BOOTSTRAP_PASSWORD")),
		Tenant:            get("C8Y_TENANT"),
		User:              get("C8Y_USER"),
		Password:          Secret(get("C8Y_PASSWORD")),
		Isolation:         get("C8Y_MICROSERVICE_ISOLATION"),
		AppName:           get("APPLICATION_NAME"),
		AppKey:            Secret(get("APPLICATION_KEY")),
		MemoryLimit:       get("MEMORY_LIMIT"),
		TimeZone:          get("TZ"),
	}
	if cfg.Port == "" {
		cfg.Port = "80"
	}
	return cfg
}

// RedactURL returns rawURL with any user information replaced by a mask, so that a URL can
// be shown or logged. A value that does not parse as a URL is masked whole when it contains
// an "@", the sign of embedded credentials.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			return "[REDACTED]"
		}
		return rawURL
	}
	if u.User == nil {
		return rawURL
	}
	u.User = url.User("REDACTED")
	return u.String()
}
