package c8y

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// maxErrorBody is the most of an error response that is read. Platform error bodies are a
// few hundred bytes, and a proxy's HTML page is cut rather than held in memory.
const maxErrorBody = 64 << 10

// maxErrorText is the most of a body that is not a platform error which an Error keeps as
// its message.
const maxErrorText = 200

// Error is a platform response with a status of 400 or more. Its fields come from the
// platform's error body, {"error":"<area>/<kind>","message":...,"info":...}, when the body
// has that form. Test for it with errors.As, or use [StatusCode].
type Error struct {
	StatusCode int
	Method     string
	URL        string // the request URL, without credentials

	Code    string // the body's "error" field, for example "identity/Not Found"
	Message string // the body's "message" field, or the start of a body that is not JSON
	Info    string // the body's "info" field, a link to the documentation

	// RetryAfter is the wait the platform asked for with a Retry-After header, or zero.
	RetryAfter time.Duration
}

// Error returns one line with the method, URL, status and the platform's message.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// StatusCode returns the status of the platform response behind err, or 0 when err holds
// no [*Error], as for a connection failure.
func StatusCode(err error) int {
	var platformErr *Error
	if errors.As(err, &platformErr) {
		return platformErr.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a platform response with status 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is a platform response with status 409.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsUnauthorized reports whether err is a platform response with status 401: the
// credentials are wrong or no longer valid.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// newError reads an error response's body, up to maxErrorBody bytes, into an *Error.
func newError(resp *http.Response, method, redactedURL string, now time.Time) *Error {
	e := &Error{StatusCode: resp.StatusCode, Method: method, URL: redactedURL}
	e.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), now)

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil && len(body) == 0 {
		e.Message = "reading the error body failed: " + err.Error()
		return e
	}

	var platformBody struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Info    string `json:"info"`
	}
	if json.Unmarshal(body, &platformBody) == nil && (platformBody.Error != "" || platformBody.Message != "") {
		e.Code, e.Message, e.Info = platformBody.Error, platformBody.Message, platformBody.Info
		return e
	}
	e.Message = excerpt(body)
	return e
}

// excerpt returns the start of a body that is not a platform error, as one printable line.
func excerpt(body []byte) string {
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) <= maxErrorText {
		return strings.Map(printable, text)
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return strings.Map(printable, text[:cut]) + "..."
}

func printable(r rune) rune {
	if unicode.IsPrint(r) {
		return r
	}
	return -1
}
