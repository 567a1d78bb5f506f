package c8y

import (
	"encoding/base64"
	"log/slog"
	"net/http"

	"hello-microservice/internal/config"
)

// Auth is a way of authenticating requests: [Credentials] for Basic authentication, a
// [BearerToken], or a caller's own credentials as [CallerAuth].
type Auth interface {
	authorize(h http.Header)
}

// Credentials identify a platform user for Basic authentication. Inside the platform's
// cluster the user name always carries the tenant prefix, so Tenant is required there.
// The JSON field names are those of the subscriptions resource.
type Credentials struct {
	Tenant   string        `json:"tenant"`
	User     string        `json:"name"`
	Password config.Secret `json:"password"`
}

// Username returns the user name as Basic authentication sends it: "<tenant>/<user>", or
// the bare user when Tenant is empty.
func (c Credentials) Username() string {
	if c.Tenant == "" {
		return c.User
	}
	return c.Tenant + "/" + c.User
}

// LogValue shows the tenant and user, never the password.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("tenant", c.Tenant), slog.String("user", c.User))
}

func (c Credentials) authorize(h http.Header) {
	raw := c.Username() + ":" + c.Password.Reveal()
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(raw)))
}

// BearerToken is an OAuth access token (a JWT issued by the platform), sent as
// "Authorization: Bearer <token>".
type BearerToken config.Secret

// LogValue masks the token.
func (t BearerToken) LogValue() slog.Value { return config.Secret(t).LogValue() }

// String masks the token.
func (t BearerToken) String() string { return config.Secret(t).String() }

func (t BearerToken) authorize(h http.Header) {
	h.Set("Authorization", "Bearer "+config.Secret(t).Reveal())
}

// CallerAuth authenticates as the caller of the service by forwarding the caller's own
// credential: an Authorization header value and, for a browser session, the X-XSRF-TOKEN
// header that goes with it.
type CallerAuth struct {
	Authorization config.Secret
	XSRFToken     config.Secret
}

func (a CallerAuth) authorize(h http.Header) {
	h.Set("Authorization", a.Authorization.Reveal())
	if a.XSRFToken != "" {
		h.Set("X-XSRF-TOKEN", a.XSRFToken.Reveal())
	}
}
