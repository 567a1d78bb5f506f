// Package routes holds the service's HTTP handlers, its middleware and the router that
// serves them.
//
// Every error response has one JSON shape, written by Error:
//
//	{"error":"not_found","message":"no route for GET /x","status":404}
//
// "error" is a stable snake_case code for programs, "message" a sentence for people and
// "status" repeats the HTTP status code.
//
// NOTE: net/http itself rejects some requests before any handler runs, for example a
// malformed request line (400) or headers over http.DefaultMaxHeaderBytes (431). Those
// responses are net/http's plain text, not this shape.
package routes

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/config"
	"hello-microservice/internal/tenants"
)

// maxBodyBytes is the largest request body the service reads. The hello endpoints need
// far less. Raise it for a route that takes uploads, never globally.
const maxBodyBytes = 1 << 20

// Options configures the router.
type Options struct {
	Config  config.Config
	Version string       // the service version, shown by /environment
	Logger  *slog.Logger // request and error log; nil discards them

	// Tenants serves /subscription, /measurements and /device. It is nil in a local run
	// without the platform variables, where those routes respond with 503.
	Tenants *tenants.Registry

	// now is the clock of the request log's rate limits; nil means time.Now.
	now func() time.Time
}

// New returns the service's HTTP handler with every route and middleware registered.
// It never redirects: behind the platform's gateway, which strips /service/<name>, a
// redirect to a root-absolute path would leave the service. A single trailing slash is
// removed before routing instead, so /health/ serves the same as /health.
func New(opts Options) (http.Handler, error) {
	engine, err := newEngine(opts)
	if err != nil {
		return nil, err
	}

	engine.GET("/", hello)
	engine.HEAD("/", hello)
	engine.GET("/health", health)
	engine.HEAD("/health", health)
	environmentHandler, err := environment(opts.Config, opts.Version)
	if err != nil {
		return nil, err
	}
	engine.GET("/environment", environmentHandler)
	engine.POST("/echo", echo)
	RegisterPlatform(engine.Group("/", RequirePlatform(opts.Config)), Platform{
		Tenants:       opts.Tenants,
		Logger:        opts.Logger,
		VerifyCallers: opts.Config.VerifyCallers,
	})

	return trimTrailingSlash(engine), nil
}

// newEngine returns a gin engine with the service's settings and middleware but no routes.
// It never uses gin.Default, so no middleware or trusted proxy is added without being
// listed here.
func newEngine(opts Options) (*gin.Engine, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()
	engine.RedirectTrailingSlash = false
	engine.RedirectFixedPath = false
	engine.HandleMethodNotAllowed = true

	if err := trustProxies(engine, opts.Config); err != nil {
		return nil, err
	}

	engine.Use(logRequests(logger, opts.now), recoverPanics(logger), limitBody(maxBodyBytes))
	engine.NoRoute(notFound)
	engine.NoMethod(methodNotAllowed)
	return engine, nil
}

// trustProxies makes c.ClientIP return the gateway's X-Real-IP header, but only for
// requests from cfg.TrustedProxies. Without trusted proxies it returns the address of the
// connection and ignores X-Forwarded-For and X-Real-IP.
//
// TrustedPlatform stays empty: gin takes that header from every address, trusted or not.
func trustProxies(engine *gin.Engine, cfg config.Config) error {
	engine.TrustedPlatform = ""
	engine.RemoteIPHeaders = []string{"X-Real-IP"}
	engine.ForwardedByClientIP = len(cfg.TrustedProxies) > 0

	var trusted []string
	for _, prefix := range cfg.TrustedProxies {
		trusted = append(trusted, prefix.String())
	}
	if err := engine.SetTrustedProxies(trusted); err != nil {
		return fmt.Errorf("setting the trusted proxies %v: %w", trusted, err)
	}
	return nil
}

// trimTrailingSlash removes one trailing slash from the path before next routes the
// request, in the way http.StripPrefix rewrites it. The root path and paths ending in "//"
// stay as they are.
func trimTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if len(path) <= 1 || !strings.HasSuffix(path, "/") || strings.HasSuffix(path, "//") {
			next.ServeHTTP(w, r)
			return
		}

		trimmed := new(http.Request)
		*trimmed = *r
		trimmed.URL = new(url.URL)
		*trimmed.URL = *r.URL
		trimmed.URL.Path = strings.TrimSuffix(path, "/")
		trimmed.URL.RawPath = strings.TrimSuffix(r.URL.RawPath, "/")
		next.ServeHTTP(w, trimmed)
	})
}

// Bodies of / and /health.
const (
	helloBody  = "Hello world!"
	healthBody = `{"status":"UP"}`
)

func hello(c *gin.Context) {
	writeFixed(c, "text/plain; charset=utf-8", helloBody)
}

// health responds to the platform's liveness and readiness probes. It must not depend on
// anything, the platform least of all: a probe times out after one second by default,
// and a failing liveness probe restarts the container.
func health(c *gin.Context) {
	writeFixed(c, "application/json; charset=utf-8", healthBody)
}

// writeFixed responds with 200 and body, with its Content-Type and Content-Length, so that
// a HEAD request gets the headers of a GET without the body.
func writeFixed(c *gin.Context, contentType, body string) {
	c.Header("Content-Type", contentType)
	c.Header("Content-Length", strconv.Itoa(len(body)))
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		c.Writer.WriteHeaderNow()
		return
	}
	_, _ = c.Writer.WriteString(body)
}
