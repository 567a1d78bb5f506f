package c8y

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBody is the most of a successful response that is read.
const maxResponseBody = 32 << 20

// Request describes one platform call for [Client.Do].
type Request struct {
	Method string
	Path   string // the escaped path below the base URL, starting with "/"
	Query  url.Values

	// Accept is the media type of the expected response. The platform responds to a POST or
	// PUT without an Accept header with an empty body.
	Accept string

	// ContentType is the media type of the body; it defaults to application/json when a
	// body is set.
	ContentType string

	// Body is encoded as JSON once and sent with every attempt.
	Body any

	// GetBody opens a raw body for each attempt, for uploads too large to hold twice. It
	// takes the place of Body.
	GetBody func() (io.ReadCloser, error)

	// ContentLength is the exact length of the body GetBody opens, sent as the
	// Content-Length header. Zero sends the body with chunked transfer encoding.
	ContentLength int64

	// Header holds extra headers, for example X-Cumulocity-Processing-Mode.
	Header http.Header

	// Idempotent marks a POST as safe to repeat, so that it is retried like a PUT.
	Idempotent bool

	// Timeout bounds each attempt in place of the client's timeout, for example for an
	// upload that takes minutes. NoTimeout leaves the attempt bounded by ctx alone.
	Timeout time.Duration
}

// NoTimeout as [Request.Timeout] sends a request without a per-attempt bound, for a caller
// that bounds it through its context, such as an upload with an idle timeout.
const NoTimeout time.Duration = -1

// Response holds the status and headers of a successful call; its body has been decoded.
type Response struct {
	StatusCode int
	Header     http.Header
}

// Do sends req, retrying it under the client's policy when it is safe to repeat, and
// decodes a JSON response body into out unless out is nil. A response with a status of 400
// or more returns an [*Error].
func (c *Client) Do(ctx context.Context, req *Request, out any) (*Response, error) {
	if !strings.HasPrefix(req.Path, "/") {
		return nil, fmt.Errorf("request path %q does not start with a slash", req.Path)
	}
	target := c.baseURL.String() + req.Path
	if len(req.Query) > 0 {
		target += "?" + req.Query.Encode()
	}

	// Encode the body once, so that every attempt sends the same bytes.
	var body []byte
	if req.Body != nil && req.GetBody == nil {
		encoded, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("encoding the body of %s %s: %w", req.Method, target, err)
		}
		body = encoded
	}

	data, resp, err := c.send(ctx, req, target, body)
	if err != nil {
		return nil, err
	}

	if out != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, fmt.Errorf("%s %s: empty response body where one was expected (Accept %q)", req.Method, target, req.Accept)
		}
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("decoding the response of %s %s: %w", req.Method, target, err)
		}
	}
	return resp, nil
}

// send runs the attempts of one call and returns the body of the first success, or the
// error of the last attempt.
func (c *Client) send(ctx context.Context, req *Request, target string, body []byte) ([]byte, *Response, error) {
	for attempt := 1; ; attempt++ {
		data, resp, retryable, err := c.attempt(ctx, req, target, body)
		if err == nil {
			return data, resp, nil
		}
		if !retryable || attempt >= c.retry.MaxAttempts || ctx.Err() != nil {
			return nil, nil, err
		}

		// Give up now when the caller's deadline comes before the next attempt could start.
		wait := c.retry.wait(attempt, err)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return nil, nil, err
		}

		c.logger.WarnContext(ctx, "retrying platform request", "method", req.Method, "url", target,
			"attempt", attempt, "wait", wait.String(), "error", err.Error())
		if stopped := sleep(ctx, wait); stopped != nil {
			return nil, nil, fmt.Errorf("%w; retries stopped: %w", err, stopped)
		}
	}
}

// attempt sends the request once, within the per-attempt timeout, and reads the whole
// response. retryable reports whether the failure allows another attempt.
func (c *Client) attempt(ctx context.Context, req *Request, target string, body []byte) (data []byte, resp *Response, retryable bool, err error) {
	timeout := c.timeout
	if req.Timeout != 0 {
		timeout = req.Timeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	httpReq, err := c.newRequest(ctx, req, target, body)
	if err != nil {
		return nil, nil, false, err
	}

	// A failure before any response may or may not have reached the platform, so only a
	// request that is safe to repeat is retried. A canceled caller stops the retries in send.
	httpResp, err := c.http.Do(httpReq)
	if err != nil {
		return nil, nil, repeatable(req), fmt.Errorf("sending %s %s: %w", req.Method, target, err)
	}
	defer httpResp.Body.Close()

	if httpResp.StatusCode >= http.StatusBadRequest {
		platformErr := newError(httpResp, req.Method, target, time.Now())
		return nil, nil, retryableStatus(platformErr.StatusCode) && repeatable(req), platformErr
	}

	data, err = io.ReadAll(io.LimitReader(httpResp.Body, maxResponseBody+1))
	if err != nil {
		return nil, nil, repeatable(req), fmt.Errorf("reading the response of %s %s: %w", req.Method, target, err)
	}
	if len(data) > maxResponseBody {
		return nil, nil, false, fmt.Errorf("response of %s %s exceeds %d bytes", req.Method, target, maxResponseBody)
	}
	return data, &Response{StatusCode: httpResp.StatusCode, Header: httpResp.Header}, false, nil
}

// newRequest builds the HTTP request of one attempt with the platform's headers.
func (c *Client) newRequest(ctx context.Context, req *Request, target string, body []byte) (*http.Request, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	if req.GetBody != nil {
		opened, err := req.GetBody()
		if err != nil {
			return nil, fmt.Errorf("opening the body of %s %s: %w", req.Method, target, err)
		}
		reader = opened
	}

	httpReq, err := http.NewRequestWithContext(ctx, req.Method, target, reader)
	if err != nil {
		if closer, ok := reader.(io.Closer); ok {
			closer.Close()
		}
		return nil, fmt.Errorf("building %s %s: %w", req.Method, target, err)
	}
	if req.GetBody != nil && req.ContentLength > 0 {
		httpReq.ContentLength = req.ContentLength
	}

	for name, values := range req.Header {
		httpReq.Header[name] = values
	}
	if req.Accept != "" {
		httpReq.Header.Set("Accept", req.Accept)
	}
	if reader != nil {
		contentType := req.ContentType
		if contentType == "" {
			contentType = "application/json"
		}
		httpReq.Header.Set("Content-Type", contentType)
	}
	if c.appKey != "" {
		httpReq.Header.Set("X-Cumulocity-Application-Key", c.appKey.Reveal())
	}
	httpReq.Header.Set("User-Agent", c.userAgent)
	if c.auth != nil {
		c.auth.authorize(httpReq.Header)
	}
	return httpReq, nil
}
