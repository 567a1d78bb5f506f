// Package credentials reads the platform URL and credentials for the command-line tools
// from the environment and a git-ignored .env file, with go-c8y-cli's variable names.
package credentials

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"hello-microservice/internal/config"
)

// Credentials is a platform URL with either a user and password or a bearer token.
type Credentials struct {
	BaseURL  string // from C8Y_HOST or C8Y_BASEURL; https:// is added when no scheme is given
	Tenant   string // C8Y_TENANT; optional, the tenant id to prefix the user with
	User     string // C8Y_USER
	Password config.Secret
	Token    config.Secret // C8Y_TOKEN; used instead of user and password when set
}

// Username returns the user as Basic authentication sends it: tenant/user when the tenant
// is known.
func (c Credentials) Username() string {
	if c.Tenant == "" {
		return c.User
	}
	return c.Tenant + "/" + c.User
}

// Load reads the credentials. Variables in the environment, read through lookup (which has
// the signature of os.LookupEnv), win over those in the .env file at dotenvPath. A missing
// file is not an error.
func Load(lookup func(string) (string, bool), dotenvPath string) (Credentials, error) {
	file, err := ReadDotenv(dotenvPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Credentials{}, err
	}
	get := func(keys ...string) string {
		for _, key := range keys {
			if value, ok := lookup(key); ok && value != "" {
				return value
			}
		}
		for _, key := range keys {
			if value := file[key]; value != "" {
				return value
			}
		}
		return ""
	}

	creds := Credentials{
		BaseURL:  get("C8Y_HOST", "C8Y_BASEURL"),
		Tenant:   get("C8Y_TENANT"),
		User:     get("C8Y_USER"),
		Password: config.Secret(get("C8Y_PASSWORD")),
		Token:    config.Secret(get("C8Y_TOKEN")),
	}

	var missing []string
	if creds.BaseURL == "" {
		missing = append(missing, "C8Y_HOST (or C8Y_BASEURL)")
	}
	if creds.Token == "" {
		if creds.User == "" {
			missing = append(missing, "C8Y_USER")
		}
		if creds.Password == "" {
			missing = append(missing, "C8Y_PASSWORD")
		}
	}
	if len(missing) > 1 {
		return Credentials{}, fmt.Errorf("missing %s: set them in the environment or in %s (C8Y_TOKEN may replace C8Y_USER and C8Y_PASSWORD)", strings.Join(missing, ", "), dotenvPath)
	}
	if len(missing) == 1 {
		return Credentials{}, fmt.Errorf("missing %s: set it in the environment or in %s (C8Y_TOKEN may replace C8Y_USER and C8Y_PASSWORD)", strings.Join(missing, ", "), dotenvPath)
	}

	base, err := normalizeURL(creds.BaseURL)
	if err != nil {
		return Credentials{}, err
	}
	creds.BaseURL = base
	return creds, nil
}

// normalizeURL adds https:// to a bare host name and rejects credentials inside the URL,
// which would otherwise end up in logs.
func normalizeURL(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("invalid C8Y_HOST %q: expected a URL such as https://example.cumulocity.com", config.RedactURL(raw))
	}
	if u.User != nil {
		return "", fmt.Errorf("invalid C8Y_HOST %q: remove the credentials from the URL and set C8Y_USER and C8Y_PASSWORD instead", config.RedactURL(raw))
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", fmt.Errorf("invalid C8Y_HOST %q: the scheme must be https or http", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}
