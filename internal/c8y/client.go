package c8y

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hello-microservice/internal/config"
)

// DefaultTimeout bounds one attempt of a request, from sending it to reading the whole
// response, unless [WithTimeout] or [Request.Timeout] sets another bound.
const DefaultTimeout = 30 * time.Second

// Client sends requests to one platform URL. It is safe for concurrent use; [Client.WithAuth]
// returns copies that share the connection pool.
type Client struct {
	baseURL   *url.URL
	http      *http.Client
	auth      Auth
	appKey    config.Secret
	userAgent string
	timeout   time.Duration
	retry     RetryPolicy
	logger    *slog.Logger
}

// Option configures a Client in [New].
type Option func(*Client) error

// WithTransport sends requests through rt, for example a transport with the platform's
// proxy settings. The default is http.DefaultTransport.
func WithTransport(rt http.RoundTripper) Option {
	return func(c *Client) error {
		if rt == nil {
			return errors.New("transport is nil")
		}
		c.http.Transport = rt
		return nil
	}
}

// WithTimeout bounds each attempt of a request; retries get a new bound each. The default
// is DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithRetry sets the retry policy. The default is the zero RetryPolicy, which means its
// documented defaults.
func WithRetry(p RetryPolicy) Option {
	return func(c *Client) error {
		c.retry = p.withDefaults()
		return nil
	}
}

// WithApplicationKey sends key in the X-Cumulocity-Application-Key header of every
// request. An empty key sends no header.
func WithApplicationKey(key config.Secret) Option {
	return func(c *Client) error {
		c.appKey = key
		return nil
	}
}

// WithUserAgent sets the User-Agent header. The default is "hello-microservice".
func WithUserAgent(agent string) Option {
	return func(c *Client) error {
		c.userAgent = agent
		return nil
	}
}

// WithLogger logs retries at level Warn. By default the client logs nothing.
func WithLogger(logger *slog.Logger) Option {
	return func(c *Client) error {
		if logger == nil {
			return errors.New("logger is nil")
		}
		c.logger = logger
		return nil
	}
}

// New returns a client for the platform at baseURL, for example C8Y_BASEURL. The URL may
// carry a path prefix but no credentials: those come from [Client.WithAuth].
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSuffix(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("parsing platform URL %q: %w", config.RedactURL(baseURL), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("platform URL %q: want an absolute http or https URL", config.RedactURL(baseURL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("platform URL %q contains credentials: pass them with WithAuth", config.RedactURL(baseURL))
	}

	c := &Client{
		baseURL:   u,
		http:      &http.Client{Transport: http.DefaultTransport},
		userAgent: "hello-microservice",
		timeout:   DefaultTimeout,
		retry:     RetryPolicy{}.withDefaults(),
		logger:    slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, fmt.Errorf("configuring the platform client: %w", err)
		}
	}
	return c, nil
}

// WithAuth returns a copy of c that authenticates every request with auth. A nil auth
// returns a copy that sends no credentials.
func (c *Client) WithAuth(auth Auth) *Client {
	copied := *c
	copied.auth = auth
	return &copied
}

// BaseURL returns the platform URL the client sends requests to.
func (c *Client) BaseURL() string { return c.baseURL.String() }
