package c8yfake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// Credentials are a user's tenant, name and password on the fake platform. The passwords
// are random placeholders that the fake makes up.
type Credentials struct {
	Tenant   string
	User     string
	Password string
}

// Authorization returns the value of a Basic Authorization header with the tenant prefix.
func (c Credentials) Authorization() string {
	raw := c.Tenant + "/" + c.User + ":" + c.Password
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// principal is an authenticated caller.
type principal struct {
	tenant string
	user   string
}

// authenticate checks the request's credentials: Basic with the tenant prefix, or a
// bearer token the fake issued. Like the platform inside its cluster, it rejects Basic
// credentials without the tenant prefix.
func (p *Platform) authenticate(r *http.Request) (principal, bool) {
	scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		return p.authenticateBasic(value)
	case strings.EqualFold(scheme, "Bearer"):
		p.mu.Lock()
		defer p.mu.Unlock()
		who, ok := p.tokens[value]
		if !ok || p.findUser(who) == nil {
			return principal{}, false
		}
		return who, true
	}
	return principal{}, false
}

func (p *Platform) authenticateBasic(value string) (principal, bool) {
	decoded, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return principal{}, false
	}
	username, password, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return principal{}, false
	}
	tenantID, userName, ok := strings.Cut(username, "/")
	if !ok {
		return principal{}, false
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	who := principal{tenant: tenantID, user: userName}
	u := p.findUser(who)
	if u == nil || subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) != 1 {
		return principal{}, false
	}
	return who, true
}

// findUser returns the user of who, or nil. The caller holds p.mu.
func (p *Platform) findUser(who principal) *user {
	t, ok := p.tenants[who.tenant]
	if !ok {
		return nil
	}
	return t.users[who.user]
}

// hasRole reports whether who has the role.
func (p *Platform) hasRole(who principal, role string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	u := p.findUser(who)
	return u != nil && slices.Contains(u.roles, role)
}

// Token issues a bearer token for a user, an unsigned JWT with the "ten" and "sub" claims
// that the platform's tokens carry. The fake accepts it until the user is removed.
func (p *Platform) Token(c Credentials) string {
	encode := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]string{"ten": c.Tenant, "sub": c.User, "jti": rand.Text()})
	token := encode([]byte(`{"alg":"none"}`)) + "." + encode(claims) + "."

	p.mu.Lock()
	defer p.mu.Unlock()
	p.tokens[token] = principal{tenant: c.Tenant, user: c.User}
	return token
}
