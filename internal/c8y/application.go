package c8y

import (
	"context"
	"fmt"
	"net/http"
)

// Subscriptions returns the service users of the tenants subscribed to the current
// application, one per tenant. Only the application's bootstrap user may call it; the
// platform answers 403 to anyone else. An empty list is normal before any subscription.
func (c *Client) Subscriptions(ctx context.Context) ([]Credentials, error) {
	var body struct {
		Users []Credentials `json:"users"`
	}
	req := &Request{
		Method: http.MethodGet,
		Path:   "/application/currentApplication/subscriptions",
		Accept: MediaTypeApplicationUserCollection,
	}
	if _, err := c.Do(ctx, req, &body); err != nil {
		return nil, fmt.Errorf("listing the subscribed tenants: %w", err)
	}
	return body.Users, nil
}
