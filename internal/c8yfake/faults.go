package c8yfake

import (
	"net/http"
	"time"
)

// Fault scripts a failure for the next requests that match it. Faults apply before
// authentication, as a gateway's would, and the oldest matching fault with requests left
// wins.
type Fault struct {
	Method string // the request method; empty matches every method
	Path   string // a path.Match pattern, for example "/identity/externalIds/*/*"
	Times  int    // how many matching requests the fault affects; values below 1 mean 1

	// Delay holds the request this long, or until the client gives up, before the fault
	// takes effect. With Status 0 and Drop false, the request is then served as usual.
	// The fake does not read the body meanwhile, as a stalled upload needs, but then it
	// cannot notice that the client gave up: Go's server detects that only after the body.
	Delay time.Duration

	// Status answers with this status and a platform error body in place of serving the
	// request, for example 503, or 401 as for credentials that are no longer valid.
	Status int

	// RetryAfter is sent as the Retry-After header with Status, for example "2" or an HTTP
	// date.
	RetryAfter string

	// Code and Message replace the "error" and "message" fields of the error body sent
	// with Status, for example to mimic a rejected upload. By default they name the fault.
	Code    string
	Message string

	// Drop closes the connection without a response, as a crashed proxy does.
	Drop bool
}

// Inject adds a fault for the next requests that match it.
func (p *Platform) Inject(f Fault) {
	if f.Times < 1 {
		f.Times = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// applyFault applies the first fault that matches r, if any, and reports whether it
// responded to the request.
func (p *Platform) applyFault(w http.ResponseWriter, r *http.Request) bool {
	fault, ok := p.takeFault(r)
	if !ok {
		return false
	}

	if fault.Delay > 0 {
		timer := time.NewTimer(fault.Delay)
		select {
		case <-timer.C:
		case <-r.Context().Done():
			timer.Stop()
			return true
		}
	}

	switch {
	case fault.Drop:
		panic(http.ErrAbortHandler)
	case fault.Status != 0:
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		code, message := fault.Code, fault.Message
		if code == "" {
			code = faultErrorCode(fault.Status)
		}
		if message == "" {
			message = "Injected fault: " + http.StatusText(fault.Status)
		}
		writeError(w, fault.Status, code, message)
		return true
	}
	return false
}

// takeFault returns a copy of the oldest fault that matches r and counts r against it.
func (p *Platform) takeFault(r *http.Request) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, fault := range p.faults {
		if !matches(fault.Method, fault.Path, r.Method, r.URL.Path) {
			continue
		}
		fault.Times--
		if fault.Times == 0 {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
		}
		return *fault, true
	}
	return Fault{}, false
}

// faultErrorCode returns an "error" field like the platform's for a status.
func faultErrorCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "security/Unauthorized"
	case http.StatusForbidden:
		return "security/Forbidden"
	case http.StatusTooManyRequests:
		return "general/tooManyRequests"
	}
	return "general/internalError"
}
