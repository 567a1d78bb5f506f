package c8y

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Tenant is the current tenant as the platform describes it.
type Tenant struct {
	Name       string `json:"name"` // the tenant ID, for example "t07007007"
	DomainName string `json:"domainName,omitempty"`
	Parent     string `json:"parent,omitempty"`
}

// CurrentTenant returns the tenant of the client's credentials.
func (c *Client) CurrentTenant(ctx context.Context) (*Tenant, error) {
	var tenant Tenant
	req := &Request{Method: http.MethodGet, Path: "/tenant/currentTenant", Accept: MediaTypeCurrentTenant}
	if _, err := c.Do(ctx, req, &tenant); err != nil {
		return nil, fmt.Errorf("reading the current tenant: %w", err)
	}
	return &tenant, nil
}

// SubscribeApplication subscribes the tenant to the application with the given ID; for a
// microservice the platform then starts it for that tenant, asynchronously. The platform
// responds with 409 when the tenant is subscribed already ([IsConflict]). A repeat of the request
// is harmless, since it can only meet that 409, so the call is retried like a PUT.
func (c *Client) SubscribeApplication(ctx context.Context, tenantID, applicationID string) error {
	var body struct {
		Application struct {
			Self string `json:"self"`
		} `json:"application"`
	}
	body.Application.Self = c.BaseURL() + "/application/applications/" + url.PathEscape(applicationID)

	req := &Request{
		Method:      http.MethodPost,
		Path:        "/tenant/tenants/" + url.PathEscape(tenantID) + "/applications",
		Accept:      MediaTypeApplicationReference,
		ContentType: MediaTypeApplicationReference,
		Body:        body,
		Idempotent:  true,
	}
	if _, err := c.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("subscribing tenant %s to application %s: %w", tenantID, applicationID, err)
	}
	return nil
}
