package c8yfake

import (
	"context"
	"net/http"
	"path"
)

// Request is a request the platform received, as [Platform.Requests] returns it. It holds
// no credentials.
type Request struct {
	Method string
	Path   string
	Query  string // the raw query

	Accept         string
	ContentType    string
	ApplicationKey string // the X-Cumulocity-Application-Key header

	Tenant string // the authenticated caller, empty when authentication failed
	User   string
	Status int // the response status
}

// Requests returns the requests received so far, oldest first.
func (p *Platform) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Count returns the number of requests received so far with the method (empty for any)
// and a path that matches pattern, a path.Match pattern such as "/identity/externalIds/*/*".
func (p *Platform) Count(method, pattern string) int {
	count := 0
	for _, req := range p.Requests() {
		if matches(method, pattern, req.Method, req.Path) {
			count++
		}
	}
	return count
}

// matches reports whether a request's method and path match a method (empty for any) and
// a path.Match pattern.
func matches(method, pattern, reqMethod, reqPath string) bool {
	if method != "" && method != reqMethod {
		return false
	}
	ok, err := path.Match(pattern, reqPath)
	return err == nil && ok
}

// record appends r to the request log and returns its index.
func (p *Platform) record(r *http.Request) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, Request{
		Method:         r.Method,
		Path:           r.URL.Path,
		Query:          r.URL.RawQuery,
		Accept:         r.Header.Get("Accept"),
		ContentType:    r.Header.Get("Content-Type"),
		ApplicationKey: r.Header.Get("X-Cumulocity-Application-Key"),
	})
	return len(p.requests) - 1
}

func (p *Platform) setPrincipal(index int, who principal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[index].Tenant, p.requests[index].User = who.tenant, who.user
}

// finish records the response status of a request and logs the request.
func (p *Platform) finish(ctx context.Context, index, status int) {
	p.mu.Lock()
	p.requests[index].Status = status
	req := p.requests[index]
	p.mu.Unlock()

	if p.logger != nil {
		p.logger.InfoContext(ctx, "request", "method", req.Method, "path", req.Path, "query", req.Query,
			"status", req.Status, "tenant", req.Tenant, "user", req.User)
	}
}
