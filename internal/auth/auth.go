// Package auth reads the caller's tenant and user from the credentials that the platform's
// gateway passes through to the service.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"hello-microservice/internal/config"
)

// ErrNoTenant means a request's credentials name no tenant.
var ErrNoTenant = errors.New("the request's credentials name no tenant: send Basic credentials as <tenant>/<user>, a bearer token with a \"ten\" claim, or the authorization cookie with an X-XSRF-TOKEN header")

// tenantPattern matches tenant ids such as "t07007007" or "management". Other values are
// rejected, so that a crafted credential never reaches a log line or a lookup.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// maxTokenLength bounds the work spent on a bearer token; the platform's tokens are a few
// kilobytes long.
const maxTokenLength = 16 << 10

// Caller is the tenant and user named by a request's credentials.
type Caller struct {
	Tenant string
	User   string // empty when a token has no "sub" claim
}

// Identify returns the caller named by the request's credentials, or an error that wraps
// ErrNoTenant. It reads, in this order:
//
//   - Authorization: Basic base64(<tenant>/<user>:<password>)
//   - Authorization: Bearer <JWT>, the tenant from the "ten" claim and the user from "sub"
//   - the cookie authorization=<JWT> that browsers send, but only with an X-XSRF-TOKEN
//     header, which a cross-site form cannot set
//
// The password and the token are never returned.
//
// The credentials are NOT verified here. The service trusts the platform's gateway, which
// authenticates every request before it passes it on. Anything that reaches the pod
// directly, bypassing the gateway, such as another pod in the cluster or a port-forward,
// can claim any tenant with made-up credentials. Callers that must not trust the network
// check the credentials with the platform: see [CredentialOf], which the platform routes
// use with VERIFY_CALLERS=true.
func Identify(r *http.Request) (Caller, error) {
	scheme, credentials, found := strings.Cut(r.Header.Get("Authorization"), " ")
	credentials = strings.TrimSpace(credentials)

	var caller Caller
	switch {
	case found && strings.EqualFold(scheme, "Basic"):
		caller = fromBasic(credentials)
	case found && strings.EqualFold(scheme, "Bearer"):
		caller = fromToken(credentials)
	case r.Header.Get("Authorization") == "" && r.Header.Get("X-XSRF-TOKEN") != "":
		if cookie, err := r.Cookie("authorization"); err == nil {
			caller = fromToken(cookie.Value)
		}
	}

	if !tenantPattern.MatchString(caller.Tenant) {
		return Caller{}, ErrNoTenant
	}
	return caller, nil
}

// Credential is a request's credential in the form the platform accepts for calls made as
// the caller.
type Credential struct {
	Authorization config.Secret // an Authorization header value: "Basic ..." or "Bearer ..."
	XSRFToken     config.Secret // the X-XSRF-TOKEN header that came with a browser's cookie
}

// CredentialOf returns the credential of the request from the same source as Identify, so
// that the caller can be verified with the platform, for example with GET
// /user/currentUser. The browser's authorization cookie becomes "Bearer <cookie value>"
// with the X-XSRF-TOKEN header, as Cumulocity's JavaScript client @c8y/client
// (MicroserviceClientRequestAuth) forwards it. It returns false when Identify would find
// no credentials.
func CredentialOf(r *http.Request) (Credential, bool) {
	header := r.Header.Get("Authorization")
	scheme, _, found := strings.Cut(header, " ")
	switch {
	case found && (strings.EqualFold(scheme, "Basic") || strings.EqualFold(scheme, "Bearer")):
		return Credential{Authorization: config.Secret(header)}, true
	case header == "" && r.Header.Get("X-XSRF-TOKEN") != "":
		cookie, err := r.Cookie("authorization")
		if err != nil || cookie.Value == "" {
			return Credential{}, false
		}
		return Credential{
			Authorization: config.Secret("Bearer " + cookie.Value),
			XSRFToken:     config.Secret(r.Header.Get("X-XSRF-TOKEN")),
		}, true
	}
	return Credential{}, false
}

// fromBasic reads "<tenant>/<user>:<password>", base64-encoded.
func fromBasic(credentials string) Caller {
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return Caller{}
	}
	username, _, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return Caller{}
	}
	tenant, user, ok := strings.Cut(username, "/")
	if !ok || user == "" {
		return Caller{}
	}
	return Caller{Tenant: tenant, User: user}
}

// fromToken reads the "ten" and "sub" claims of a JWT without verifying its signature.
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
	if json.Unmarshal(payload, &claims) != nil {
		return Caller{}
	}
	return Caller{Tenant: claims.Tenant, User: claims.User}
}
