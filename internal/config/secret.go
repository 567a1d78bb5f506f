package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
)

// mask replaces every secret value that is shown or logged.
const mask = "[REDACTED]"

// Secret is a string that never shows its value in logs, JSON or formatted output.
// Only Reveal returns the value.
type Secret string

// String returns a fixed mask, or "" for an unset secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return mask
}

// GoString masks the value for the %#v verb too.
func (s Secret) GoString() string { return s.String() }

// Format writes the mask for every fmt verb and flag, so that none of them can reach the
// underlying string.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprint(f, strconv.Quote(s.String()))
		return
	}
	fmt.Fprint(f, s.String())
}

// LogValue masks the value in log/slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON encodes a set secret as the mask and an unset one as null.
func (s Secret) MarshalJSON() ([]byte, error) {
	if s == "" {
		return []byte("null"), nil
	}
	return []byte(strconv.Quote(mask)), nil
}

// MarshalText masks the value for text encoders such as YAML and XML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value itself, for the one place that sends it: an Authorization header.
func (s Secret) Reveal() string { return string(s) }

// secretNameParts are the parts of a parameter or header name that mark its value as a secret.
var secretNameParts = []string{"password", "passwd", "pwd", "secret", "token", "key", "auth", "credential", "session", "cookie", "signature"}

// IsSecretName reports whether a query parameter or field called name probably holds a
// secret, such as "password", "access_token" or "apiKey". The check is case-insensitive.
func IsSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, part := range secretNameParts {
		if strings.Contains(lower, part) {
			return true
		}
	}
	return false
}

// RedactURL returns rawURL with its user information and the values of secret-like query
// parameters (see IsSecretName) replaced by a mask, so that the URL can be shown or logged.
// A value that does not parse as a URL is masked whole when it contains an "@", the sign
// of embedded credentials.
func RedactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		if strings.Contains(rawURL, "@") {
			return mask
		}
		return rawURL
	}

	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	u.RawQuery = RedactQuery(u.RawQuery)
	return u.String()
}

// RedactQuery returns the raw query string with the value of each secret-like parameter
// (see IsSecretName) replaced by REDACTED. It keeps the order and encoding of the other
// parameters, and masks a parameter whose name cannot be decoded.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}

	params := strings.Split(rawQuery, "&")
	for i, param := range params {
		rawName, _, _ := strings.Cut(param, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			params[i] = "REDACTED"
			continue
		}
		if IsSecretName(name) {
			params[i] = rawName + "=REDACTED"
		}
	}
	return strings.Join(params, "&")
}
