package c8y

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewError(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name        string
		status      int
		body        string
		wantCode    string
		wantMessage string
		wantInfo    string
	}{
		{
			name:        "platform body",
			status:      404,
			body:        `{"error":"identity/Not Found","message":"External id not found; external id = ID [type=c8y_Serial, value=x]","info":"https://cumulocity.com/guides/reference/rest-implementation"}`,
			wantCode:    "identity/Not Found",
			wantMessage: "External id not found; external id = ID [type=c8y_Serial, value=x]",
			wantInfo:    "https://cumulocity.com/guides/reference/rest-implementation",
		},
		{
			name:        "html page",
			status:      502,
			body:        "<html>\n<head><title>502 Bad Gateway</title></head>\n</html>",
			wantMessage: "<html> <head><title>502 Bad Gateway</title></head> </html>",
		},
		{
			name:   "empty body",
			status: 503,
		},
		{
			name:        "json without error fields",
			status:      500,
			body:        `{"status":500}`,
			wantMessage: `{"status":500}`,
		},
		{
			name:        "long text",
			status:      500,
			body:        strings.Repeat("x", 5000),
			wantMessage: strings.Repeat("x", maxErrorText) + "...",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tt.body))}

			got := newError(resp, http.MethodGet, "http://c8y.local/x", time.Now())

			if got.StatusCode != tt.status {
				t.Errorf("StatusCode = %d, want %d", got.StatusCode, tt.status)
			}
			if got.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", got.Code, tt.wantCode)
			}
			if got.Message != tt.wantMessage {
				t.Errorf("Message = %q, want %q", got.Message, tt.wantMessage)
			}
			if got.Info != tt.wantInfo {
				t.Errorf("Info = %q, want %q", got.Info, tt.wantInfo)
			}
		})
	}
}

func TestNewErrorReadsAtMostLimit(t *testing.T) {
	t.Parallel()
	body := &countingReader{r: strings.NewReader(strings.Repeat("y", 10*maxErrorBody))}
	resp := &http.Response{StatusCode: 500, Header: http.Header{}, Body: io.NopCloser(body)}

	newError(resp, http.MethodGet, "http://c8y.local/x", time.Now())

	if body.n > maxErrorBody {
		t.Errorf("read %d bytes of the error body, want at most %d", body.n, maxErrorBody)
	}
}

func TestNewErrorRetryAfter(t *testing.T) {
	t.Parallel()
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7"}}, Body: http.NoBody}

	got := newError(resp, http.MethodGet, "http://c8y.local/x", time.Now())

	if got.RetryAfter != 7*time.Second {
		t.Errorf("RetryAfter = %s, want 7s", got.RetryAfter)
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	err := &Error{StatusCode: 422, Method: "POST", URL: "http://c8y.local/measurement/measurements", Code: "measurement/Unprocessable", Message: "time is missing"}

	want := "POST http://c8y.local/measurement/measurements: 422 Unprocessable Entity: measurement/Unprocessable: time is missing"
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestStatusHelpers(t *testing.T) {
	t.Parallel()
	wrapped := fmt.Errorf("looking up: %w", &Error{StatusCode: 404})

	if got := StatusCode(wrapped); got != 404 {
		t.Errorf("StatusCode(wrapped 404) = %d, want 404", got)
	}
	if !IsNotFound(wrapped) {
		t.Error("IsNotFound(wrapped 404) = false, want true")
	}
	if IsConflict(wrapped) {
		t.Error("IsConflict(wrapped 404) = true, want false")
	}
	if got := StatusCode(errors.New("connection refused")); got != 0 {
		t.Errorf("StatusCode(plain error) = %d, want 0", got)
	}
	if !IsUnauthorized(&Error{StatusCode: 401}) {
		t.Error("IsUnauthorized(401) = false, want true")
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
