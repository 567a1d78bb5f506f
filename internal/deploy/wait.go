package deploy

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"hello-microservice/internal/c8y"
)

// Defaults of the wait for the service.
const (
	DefaultWaitTimeout  = 5 * time.Minute
	DefaultPollInterval = 5 * time.Second
)

// WaitError reports that the service did not come up in time, or that its status could
// not be read. The upload and the subscription before it succeeded.
type WaitError struct {
	Timeout time.Duration // the wait that expired; zero when reading the status failed
	Last    string        // the last status seen, as describeStatus writes it
	Err     error         // the last error reading the status, if any
}

func (e *WaitError) Error() string {
	if e.Timeout == 0 {
		return fmt.Sprintf("reading the service's status failed: %v", e.Err)
	}
	message := fmt.Sprintf("the service did not report Up within %s (last status: %s)", e.Timeout, e.Last)
	if e.Err != nil {
		message += fmt.Sprintf("; last error: %v", e.Err)
	}
	return message
}

func (e *WaitError) Unwrap() error { return e.Err }

// WaitUntilUp polls the status object of the application every interval until it reports
// the service Up for the tenant, and returns a [*WaitError] when that does not happen
// within timeout. The last poll comes at the timeout, so the wait can overrun it by the
// time that read takes. It calls report with each new status. A 401, 403 or 404 reading
// the status ends the wait at once. Other errors, such as a gateway's 503, are retried
// until the timeout.
func WaitUntilUp(ctx context.Context, client *c8y.Client, applicationID, tenant string, timeout, interval time.Duration, report func(status string)) error {
	deadline := time.Now().Add(timeout)
	last, reported := "no status object yet", ""
	var lastErr error
	for {
		status, err := client.ApplicationStatus(ctx, applicationID)
		switch {
		case err == nil:
			lastErr = nil
			last = describeStatus(status, tenant)
			if last != reported {
				report(last)
				reported = last
			}
			if isUp(status, tenant) {
				return nil
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case final(err):
			return &WaitError{Last: last, Err: err}
		default:
			lastErr = err
		}

		left := time.Until(deadline)
		if left <= 0 {
			return &WaitError{Timeout: timeout, Last: last, Err: lastErr}
		}
		timer := time.NewTimer(min(interval, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// final reports whether an error reading the status will not go away by waiting.
func final(err error) bool {
	switch c8y.StatusCode(err) {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// isUp reports whether the status object shows the service up for the tenant: the
// tenant's own entry for a PER_TENANT service, else the deployment as a whole.
func isUp(status *c8y.ApplicationStatus, tenant string) bool {
	if status == nil {
		return false
	}
	if own, ok := status.Subscriptions[tenant]; ok {
		return own.Status == c8y.StatusUp
	}
	return status.Status.Status == c8y.StatusUp
}

// describeStatus returns a short description such as "Down, 0 of 1 instances active".
func describeStatus(status *c8y.ApplicationStatus, tenant string) string {
	if status == nil {
		return "no status object yet"
	}
	service := status.Status
	if own, ok := status.Subscriptions[tenant]; ok {
		service = own
	}
	if service.Status == "" {
		return "no status reported yet"
	}
	description := fmt.Sprintf("%s, %d of %d instances active", service.Status, service.Details.Active, service.Details.Desired)
	if service.Details.Restarts > 0 {
		description += fmt.Sprintf(", %d restarts", service.Details.Restarts)
	}
	return description
}
