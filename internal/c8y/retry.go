package c8y

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy bounds the retries of requests that are safe to repeat. The zero value of a
// field means its default.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too; 1 turns retries off. Default 4.
	MaxAttempts int

	// BaseDelay is the wait before the first retry. Each further retry doubles it up to
	// MaxDelay, and a random jitter takes up to half of it off. Defaults 250 ms and 4 s.
	BaseDelay time.Duration
	MaxDelay  time.Duration

	// MaxRetryAfter caps the wait that a Retry-After header requests. Default 10 s.
	MaxRetryAfter time.Duration
}

// Defaults of RetryPolicy.
const (
	DefaultMaxAttempts   = 4
	DefaultBaseDelay     = 250 * time.Millisecond
	DefaultMaxDelay      = 4 * time.Second
	DefaultMaxRetryAfter = 10 * time.Second
)

// withDefaults fills the zero fields.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = DefaultMaxRetryAfter
	}
	return p
}

// backoff returns the wait before retry number n (1 for the first retry): the doubled base
// delay, capped, minus a random jitter of up to half, so that instances that failed
// together do not retry together.
func (p RetryPolicy) backoff(n int) time.Duration {
	delay := p.BaseDelay
	for i := 1; i < n && delay < p.MaxDelay; i++ {
		delay *= 2
	}
	delay = min(delay, p.MaxDelay)
	half := delay / 2
	return delay - rand.N(half+1)
}

// wait returns the wait before retry number n after a failed attempt: the Retry-After the
// platform asked for, capped at MaxRetryAfter, or else the backoff.
func (p RetryPolicy) wait(n int, err error) time.Duration {
	var platformErr *Error
	if errors.As(err, &platformErr) && platformErr.RetryAfter > 0 {
		return min(platformErr.RetryAfter, p.MaxRetryAfter)
	}
	return p.backoff(n)
}

// retryableStatus reports whether a response status means that a repeat of the request
// may succeed: too many requests, or a gateway or service that is unavailable for now.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
		http.StatusGatewayTimeout:
		return true
	}
	return false
}

// repeatable reports whether a request may be sent again after a failure that may have
// reached the platform: GET, HEAD, PUT and DELETE are idempotent in HTTP's sense, and a
// POST only when the caller marked it so.
func repeatable(req *Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return req.Idempotent
}

// parseRetryAfter reads a Retry-After value: a number of seconds or an HTTP date. The
// second result is false for an empty or invalid value. A date in the past means no wait.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(seconds) * time.Second, true
	}
	date, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(date.Sub(now), 0), true
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
