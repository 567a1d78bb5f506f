package routes

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/auth"
	"hello-microservice/internal/c8y"
)

// Limits of the cache of verified callers. A credential that the platform accepted is not
// checked again for verifiedCallerTTL while it stays in the cache.
//
// NOTE: rejected credentials are not cached, so every request with a wrong credential
// costs one platform call, and concurrent first requests with one credential each check it.
const (
	verifiedCallerTTL = 60 * time.Second
	verifiedCallerMax = 1024
)

// credentialHash identifies a credential in the cache without keeping the credential.
type credentialHash [sha256.Size]byte

// verifyCaller checks the caller's credential with GET /user/currentUser, sent with that
// credential, unless the platform accepted the same credential within verifiedCallerTTL.
// A credential the platform rejects gets 401 with the JSON error. The check and the route
// share one platform timeout.
func (h *platformRoutes) verifyCaller(c *gin.Context) {
	credential, ok := auth.CredentialOf(c.Request)
	if !ok {
		Error(c, http.StatusUnauthorized, "no_tenant", auth.ErrNoTenant.Error())
		return
	}

	ctx, cancel := h.context(c)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)

	key := credentialHash(sha256.Sum256([]byte(credential.Authorization.Reveal())))
	if h.verified.contains(key) {
		c.Next()
		return
	}

	client := h.tenants.CallerClient(c8y.CallerAuth{Authorization: credential.Authorization, XSRFToken: credential.XSRFToken})
	_, err := client.CurrentUser(ctx)
	if c8y.IsUnauthorized(err) {
		_ = c.Error(fmt.Errorf("verifying the caller: %w", err))
		Error(c, http.StatusUnauthorized, "invalid_credentials",
			fmt.Sprintf("the platform rejected the credentials for tenant %s: send the credentials of a user of that tenant", callerOf(c).Tenant))
		return
	}
	if err != nil {
		h.platformError(c, callerOf(c).Tenant, "verifying the caller's credentials", err)
		return
	}

	h.verified.add(key)
	c.Next()
}

// callerCache holds the hashes of the credentials that the platform accepted, each until
// it expires. It is safe for concurrent use.
type callerCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	expires map[credentialHash]time.Time
}

func newCallerCache(ttl time.Duration, max int, now func() time.Time) *callerCache {
	if now == nil {
		now = time.Now
	}
	return &callerCache{ttl: ttl, max: max, now: now, expires: make(map[credentialHash]time.Time)}
}

// contains reports whether key was added less than the TTL ago.
func (c *callerCache) contains(key credentialHash) bool {
	c.mu.Lock()
	defer c.mu.Unlock()

	expires, ok := c.expires[key]
	if ok && !c.now().Before(expires) {
		delete(c.expires, key)
		return false
	}
	return ok
}

// add keeps key for the TTL. When the cache is full it first drops the expired keys, or
// else the key that expires first.
func (c *callerCache) add(key credentialHash) {
	c.mu.Lock()
	defer c.mu.Unlock()

	now := c.now()
	if _, ok := c.expires[key]; !ok && len(c.expires) >= c.max {
		c.evict(now)
	}
	c.expires[key] = now.Add(c.ttl)
}

// evict drops the expired keys, or the key that expires first when none has expired. The
// caller holds c.mu.
func (c *callerCache) evict(now time.Time) {
	var first credentialHash
	var firstExpires time.Time
	for key, expires := range c.expires {
		if !now.Before(expires) {
			delete(c.expires, key)
			continue
		}
		if firstExpires.IsZero() || expires.Before(firstExpires) {
			first, firstExpires = key, expires
		}
	}

	if len(c.expires) >= c.max {
		delete(c.expires, first)
	}
}
