package routes

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/auth"
	"hello-microservice/internal/config"
)

// logRequests writes one line per request once it is handled: method, path, status,
// duration, client IP, the tenant when the credentials name one, the query with secret
// values masked, and the errors that handlers recorded with c.Error. It never logs headers,
// which carry the caller's credentials.
//
// The path is the one that was routed, so /health/ is logged as /health.
func logRequests(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()

		status := c.Writer.Status()
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
			slog.String("clientIp", c.ClientIP()),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
		}
		if query := c.Request.URL.RawQuery; query != "" {
			attrs = append(attrs, slog.String("query", config.RedactQuery(query)))
		}
		if caller, err := auth.Identify(c.Request); err == nil {
			attrs = append(attrs, slog.String("tenant", caller.Tenant))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.Any("errors", c.Errors.Errors()))
		}

		level := slog.LevelInfo
		if status >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}

// recoverPanics turns a panic in a handler into a 500 with the JSON error, and logs the
// panic value and the stack in one line. The body never contains the stack. A panic with
// http.ErrAbortHandler is passed on, since net/http uses it to abort a response on purpose.
func recoverPanics(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			value := recover()
			if value == nil {
				return
			}
			if err, ok := value.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(value)
			}

			logger.LogAttrs(c.Request.Context(), slog.LevelError, "handler panicked",
				slog.String("method", c.Request.Method),
				slog.String("path", c.Request.URL.Path),
				slog.String("error", fmt.Sprint(value)),
				slog.String("stack", string(debug.Stack())),
			)
			InternalError(c, fmt.Errorf("panic: %v", value))
		}()
		c.Next()
	}
}

// limitBody rejects a request whose declared body exceeds limit bytes with 413, and caps
// the body of the others so that a handler reading too much gets an *http.MaxBytesError,
// which BodyError turns into 413 too.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			Error(c, http.StatusRequestEntityTooLarge, "request_too_large",
				fmt.Sprintf("the request body of %d bytes exceeds the limit of %d bytes", c.Request.ContentLength, limit))
			return
		}

		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// RequirePlatform returns middleware for routes that need the platform. When any of the
// variables names is unset, as in a local run, it responds with 503 and the JSON error
// listing them. Without names it checks the variables of config.Config.MissingPlatform. The
// configuration does not change while the service runs, so the check happens once, here,
// and an unknown name panics at start-up.
func RequirePlatform(cfg config.Config, names ...string) gin.HandlerFunc {
	missing := cfg.MissingPlatform()
	if len(names) > 0 {
		missing = cfg.Missing(names...)
	}
	if len(missing) == 0 {
		return func(c *gin.Context) { c.Next() }
	}

	message := "platform variables not set: " + strings.Join(missing, ", ") +
		". Deploy the service to Cumulocity, or set them for a local run."
	return func(c *gin.Context) {
		_ = c.Error(errors.New(message))
		Error(c, http.StatusServiceUnavailable, "platform_not_configured", message)
	}
}
