package routes

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/auth"
	"hello-microservice/internal/config"
)

// platformMissingKey is the gin context key of the unset platform variables ([]string)
// of a request that RequirePlatform rejected with 503.
const platformMissingKey = "platformMissing"

// notConfiguredInterval is the least time between two warnings about a platform route
// called without the platform variables, per route.
const notConfiguredInterval = time.Minute

// logRequests writes one line per request once it is handled: method, path, status,
// duration, client IP, the tenant when the credentials name one, the query with secret
// values masked, and the errors that handlers recorded with c.Error. It never logs headers,
// which carry the caller's credentials.
//
// The path is the one that was routed, so /health/ is logged as /health.
//
// A 503 from RequirePlatform is expected in a local run, so it is not logged as an error.
// At most once a minute per route, the line of such a request has level Warn, lists the
// missing variables and counts the requests of that kind since the previous warning in
// notConfiguredSinceLastWarning. Its other lines have level Info. now is the clock of that
// limit, and nil means time.Now.
func logRequests(logger *slog.Logger, now func() time.Time) gin.HandlerFunc {
	notConfigured := newWarningLimiter(notConfiguredInterval, now)

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
		if missing, ok := c.Get(platformMissingKey); ok {
			level = slog.LevelInfo
			if since, warn := notConfigured.allow(c.Request.Method + " " + c.FullPath()); warn {
				level = slog.LevelWarn
				attrs = append(attrs, slog.Int("notConfiguredSinceLastWarning", since))
				if names, _ := missing.([]string); len(names) > 0 {
					attrs = append(attrs, slog.Any("missing", names))
				}
			}
		}
		logger.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}
}

// warningLimiter lets one warning per key through per interval and counts the ones it
// holds back. It is safe for concurrent use.
type warningLimiter struct {
	interval time.Duration
	now      func() time.Time

	mu   sync.Mutex
	keys map[string]*warningState
}

type warningState struct {
	last       time.Time // when the last warning was let through
	suppressed int       // warnings held back since then
}

func newWarningLimiter(interval time.Duration, now func() time.Time) *warningLimiter {
	if now == nil {
		now = time.Now
	}
	return &warningLimiter{interval: interval, now: now, keys: make(map[string]*warningState)}
}

// allow reports whether a warning for key may be logged now and, if so, how many were held
// back since the previous one. The keys must come from a small fixed set, such as routes,
// since each stays in memory.
func (l *warningLimiter) allow(key string) (suppressed int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()

	now := l.now()
	state, known := l.keys[key]
	if known && now.Sub(state.last) < l.interval {
		state.suppressed++
		return 0, false
	}
	if !known {
		state = &warningState{}
		l.keys[key] = state
	}

	suppressed = state.suppressed
	*state = warningState{last: now}
	return suppressed, true
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
// listing them, which the request log reports as a rate-limited warning. Without names it checks the variables of config.Config.MissingPlatform. The
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
		c.Set(platformMissingKey, missing)
		Error(c, http.StatusServiceUnavailable, "platform_not_configured", message)
	}
}
