// Package auth reads the caller's tenant and user from the credentials that the platform's
// gateway passes through to the service.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Caller is the tenant and user named by a request's credentials. Either may be empty.
type Caller struct {
	Tenant string
	User   string
}

// tenantPattern is a plausible tenant id, such as "t12345" or "management". Anything else
// is dropped, so that a malformed credential never ends up in a log line.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// maxTokenLength bounds the work spent on a bearer token. The platform's tokens are a few
// kilobytes long.
const maxTokenLength = 16 << 10

// Identify returns the caller named by the request's credentials WITHOUT verifying them:
// use it for logs and routing, never for access decisions. The platform's gateway has
// already authenticated the request. It reads, in this order:
//
//   - Authorization: Basic base64(tenant/user:password), the tenant before the first "/"
//   - Authorization: Bearer JWT, the tenant from the "ten" claim and the user from "sub"
//   - the cookie authorization=JWT that browsers send
//
// It returns a zero Caller when the request carries none of these. The password and the
// token are never returned.
func Identify(r *http.Request) Caller {
	header := r.Header.Get("Authorization")
	scheme, credentials, _ := strings.Cut(header, " ")
	credentials = strings.TrimSpace(credentials)

	switch {
	case strings.EqualFold(scheme, "Basic"):
		return fromBasic(credentials)
	case strings.EqualFold(scheme, "Bearer"):
		return fromToken(credentials)
	}

	if cookie, err := r.Cookie("authorization"); err == nil {
		return fromToken(cookie.Value)
	}
	return Caller{}
}

func fromBasic(credentials string) Caller {
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return Caller{}
	}

	username, _, _ := strings.Cut(string(decoded), ":")
	tenant, user, ok := strings.Cut(username, "/")
	if !ok {
		return Caller{User: username}
	}
	return checked(tenant, user)
}

// fromToken decodes the claims of a JWT without checking its signature.
func fromToken(token string) Caller {
	if len(token) > maxTokenLength {
		return Caller{}
	}

	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Caller{}
	}

	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return Caller{}
	}

	var claims struct {
		Tenant string `json:"ten"`
		User   string `json:"sub"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return Caller{}
	}
	return checked(claims.Tenant, claims.User)
}

func checked(tenant, user string) Caller {
	if !tenantPattern.MatchString(tenant) {
		tenant = ""
	}
	return Caller{Tenant: tenant, User: user}
}
