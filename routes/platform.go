package routes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/auth"
	"hello-microservice/internal/c8y"
	"hello-microservice/internal/tenants"
)

// callerKey is the gin context key of the auth.Caller that requireTenant stores.
const callerKey = "caller"

// Platform holds what the routes that call the platform need.
type Platform struct {
	// Tenants is the registry of the subscribed tenants' service users. Without it every
	// platform route responds with 503.
	Tenants *tenants.Registry

	// Logger receives the creation of hello devices and the removal of duplicates; nil
	// discards them. Failed platform calls are recorded with c.Error for the request log.
	Logger *slog.Logger

	// Now is the clock of measurement times; nil means time.Now, in the time zone of TZ.
	Now func() time.Time

	// Timeout bounds the platform calls of one request, retries included. Zero means
	// DefaultPlatformTimeout.
	Timeout time.Duration

	// VerifyCallers makes each route check the caller's credentials with GET
	// /user/currentUser, sent with those credentials, before serving the request, and
	// respond with 401 when the platform rejects them. Without it the routes trust the
	// platform's gateway to have authenticated the request.
	VerifyCallers bool
}

// DefaultPlatformTimeout bounds the platform calls of one request. It stays below the
// server's write timeout of 15 seconds, so that the error response can still be written.
const DefaultPlatformTimeout = 10 * time.Second

// platformRoutes serves the routes that call the platform on behalf of the caller's tenant.
type platformRoutes struct {
	tenants  *tenants.Registry
	logger   *slog.Logger
	now      func() time.Time
	timeout  time.Duration
	devices  *deviceStore
	verified *callerCache // credentials the platform accepted, with VerifyCallers
}

// RegisterPlatform registers GET /subscription, POST /measurements and GET /device on r.
// Each needs credentials that name the caller's tenant (401 without), which the platform
// accepts when p.VerifyCallers is set (401 otherwise), and serves only a tenant subscribed
// to the microservice (403 otherwise), with that tenant's service user.
func RegisterPlatform(r gin.IRouter, p Platform) {
	if p.Tenants == nil {
		unavailable := func(c *gin.Context) {
			c.Set(platformMissingKey, []string(nil))
			Error(c, http.StatusServiceUnavailable, "platform_not_configured", "the service has no platform connection; set the C8Y_* variables")
		}
		r.GET("/subscription", unavailable)
		r.POST("/measurements", unavailable)
		r.GET("/device", unavailable)
		return
	}

	h := &platformRoutes{tenants: p.Tenants, logger: p.Logger, now: p.Now, timeout: p.Timeout}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.timeout <= 0 {
		h.timeout = DefaultPlatformTimeout
	}
	h.devices = newDeviceStore(h.logger)

	guards := []gin.HandlerFunc{requireTenant}
	if p.VerifyCallers {
		h.verified = newCallerCache(verifiedCallerTTL, verifiedCallerMax, nil)
		guards = append(guards, h.verifyCaller)
	}
	guarded := func(handler gin.HandlerFunc) []gin.HandlerFunc {
		return append(slices.Clone(guards), handler)
	}

	r.GET("/subscription", guarded(h.subscription)...)
	r.POST("/measurements", guarded(h.createMeasurements)...)
	r.GET("/device", guarded(h.device)...)
}

// requireTenant stores the caller named by the request's credentials, or responds with
// 401 when they name no tenant.
func requireTenant(c *gin.Context) {
	caller, err := auth.Identify(c.Request)
	if err != nil {
		Error(c, http.StatusUnauthorized, "no_tenant", err.Error())
		return
	}
	c.Set(callerKey, caller)
	c.Next()
}

func callerOf(c *gin.Context) auth.Caller {
	return c.MustGet(callerKey).(auth.Caller)
}

// context returns the request's context bounded by the platform timeout.
func (h *platformRoutes) context(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), h.timeout)
}

// subscriptionResponse never holds a password: only the service user's name.
type subscriptionResponse struct {
	Tenant      string `json:"tenant"`
	Subscribed  bool   `json:"subscribed"`
	ServiceUser string `json:"serviceUser"`
}

// subscription serves GET /subscription: the caller's tenant and the name of its service
// user. An unsubscribed tenant gets 403, like on every platform route.
func (h *platformRoutes) subscription(c *gin.Context) {
	tenant := callerOf(c).Tenant
	ctx, cancel := h.context(c)
	defer cancel()

	user, err := h.tenants.Lookup(ctx, tenant)
	if err != nil {
		h.platformError(c, tenant, "looking up the subscription", err)
		return
	}
	c.JSON(http.StatusOK, subscriptionResponse{Tenant: tenant, Subscribed: true, ServiceUser: user.User})
}

// platformError records err for the request log and responds with the status that fits
// it. The platform's 4xx statuses pass through with its message. Its 5xx statuses and a
// rejected service user become 502, and timeouts 504. The message names the failed action
// and never the service user's credentials.
func (h *platformRoutes) platformError(c *gin.Context, tenant, action string, err error) {
	_ = c.Error(fmt.Errorf("%s: %w", action, err)) // the request log adds the tenant

	var platformErr *c8y.Error
	switch {
	case errors.Is(err, tenants.ErrNotSubscribed):
		Error(c, http.StatusForbidden, "not_subscribed", fmt.Sprintf("tenant %s is not subscribed to this microservice", tenant))
	case errors.Is(err, tenants.ErrUnavailable):
		Error(c, http.StatusServiceUnavailable, "tenants_unavailable", "the subscribed tenants could not be loaded from the platform yet; try again shortly")
	case errors.As(err, &platformErr) && platformErr.StatusCode == http.StatusUnauthorized:
		Error(c, http.StatusBadGateway, "service_user_rejected", fmt.Sprintf("%s failed: the platform rejected the service user of tenant %s", action, tenant))
	case errors.As(err, &platformErr):
		status := platformErr.StatusCode
		if status >= http.StatusInternalServerError {
			status = http.StatusBadGateway
		}
		Error(c, status, "platform_error", fmt.Sprintf("%s failed: the platform responded with %d: %s", action, platformErr.StatusCode, platformMessage(platformErr)))
	case errors.Is(err, context.DeadlineExceeded):
		Error(c, http.StatusGatewayTimeout, "platform_timeout", fmt.Sprintf("%s failed: the platform did not respond in time", action))
	default:
		Error(c, http.StatusBadGateway, "platform_unreachable", fmt.Sprintf("%s failed: the platform could not be reached", action))
	}
}

// platformMessage returns the platform's message, or its error code, or the status text.
func platformMessage(e *c8y.Error) string {
	switch {
	case e.Message != "":
		return e.Message
	case e.Code != "":
		return e.Code
	}
	return http.StatusText(e.StatusCode)
}
