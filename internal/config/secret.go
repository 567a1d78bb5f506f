package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
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

// secretNameParts mark a name as a secret's wherever they appear in it, as in
// "access_token" or "JSESSIONID". They seldom occur inside harmless words.
var secretNameParts = []string{
	"password", "passwd", "passphrase", "passcode", "pwd", "secret", "token", "jwt", "bearer",
	"apikey", "credential", "session", "cookie", "signature",
}

// secretNameWords mark a name as a secret's only as a whole word of it, because they are
// also parts of harmless words: "pass" of "passenger", "sig" of "signal", "sid" of
// "inside", "pin" of "spinner", "otp" of "footprint".
var secretNameWords = []string{"pass", "sig", "sid", "pin", "otp"}

// IsSecretName reports whether a query parameter or field called name probably holds a
// secret, such as "password", "access_token", "apiKey", "jwt" or "authorization". The
// check is case-insensitive. A word that ends in "key" counts as a secret's, as in
// "X-Api-Key" or "accessKey". "auth" counts as a secret's everywhere except in "author"
// and "authority", so "oauth_token" and "authToken" are masked but "author" is not.
func IsSecretName(name string) bool {
	lower := strings.ToLower(name)
	for _, part := range secretNameParts {
		if strings.Contains(lower, part) {
			return true
		}
	}
	if containsAuth(lower) {
		return true
	}

	for _, word := range nameWords(name) {
		if strings.HasSuffix(word, "key") || slices.Contains(secretNameWords, word) {
			return true
		}
	}
	return false
}

// containsAuth reports whether the lowercase name contains "auth" other than as the start
// of "author" or "authority". "authorization" and "authorisation" count.
func containsAuth(lower string) bool {
	for rest := lower; ; {
		i := strings.Index(rest, "auth")
		if i < 0 {
			return false
		}
		rest = rest[i+len("auth"):]

		authorWord := strings.HasPrefix(rest, "or") && !strings.HasPrefix(rest, "oriz") && !strings.HasPrefix(rest, "oris")
		if !authorWord {
			return true
		}
	}
}

// nameWords splits a name into lowercase words at every character that is neither a letter
// nor a digit and at camel-case boundaries: "X-Api-Key", "apiKey" and "APIKey" all end in
// the word "key".
func nameWords(name string) []string {
	var words []string
	runes := []rune(name)
	start := 0
	flush := func(end int) {
		if end > start {
			words = append(words, strings.ToLower(string(runes[start:end])))
		}
	}

	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush(i)
			start = i + 1
			continue
		}
		if i > start && unicode.IsUpper(r) && startsCamelWord(runes, i) {
			flush(i)
			start = i
		}
	}
	flush(len(runes))
	return words
}

// startsCamelWord reports whether the upper-case letter at i starts a new word: after a
// lower-case letter or digit ("apiKey"), or as the last capital of an acronym followed by a
// lower-case letter ("APIKey").
func startsCamelWord(runes []rune, i int) bool {
	previous := runes[i-1]
	if unicode.IsLower(previous) || unicode.IsDigit(previous) {
		return true
	}
	return unicode.IsUpper(previous) && i+1 < len(runes) && unicode.IsLower(runes[i+1])
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
