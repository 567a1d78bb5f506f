package c8y

import (
	"context"
	"fmt"
	"net/http"
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
