package c8y

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// ExternalID links an identifier of another system, such as a serial number, to a managed
// object. The platform keeps each (type, external ID) pair unique within a tenant.
type ExternalID struct {
	Type          string     `json:"type"`
	ExternalID    string     `json:"externalId"`
	ManagedObject *ObjectRef `json:"managedObject,omitempty"` // set by the platform
}

// ObjectRef refers to a managed object by its ID.
type ObjectRef struct {
	ID   string `json:"id"`
	Self string `json:"self,omitempty"`
}

// ExternalID returns the external ID with the given type and value. The platform responds
// with 404 ([IsNotFound]) when none exists.
func (c *Client) ExternalID(ctx context.Context, idType, value string) (*ExternalID, error) {
	var ext ExternalID
	req := &Request{
		Method: http.MethodGet,
		Path:   "/identity/externalIds/" + url.PathEscape(idType) + "/" + url.PathEscape(value),
		Accept: MediaTypeExternalID,
	}
	if _, err := c.Do(ctx, req, &ext); err != nil {
		return nil, fmt.Errorf("looking up external ID %s/%s: %w", idType, value, err)
	}
	return &ext, nil
}

// CreateExternalID links the external ID to the managed object with ID globalID. The
// platform responds with 409 ([IsConflict]) when the external ID already belongs to an object,
// which makes it a guard that only one of several racing callers passes. It is never
// retried: a repeat of a request that did reach the platform would get that 409.
func (c *Client) CreateExternalID(ctx context.Context, globalID string, ext ExternalID) (*ExternalID, error) {
	var created ExternalID
	req := &Request{
		Method:      http.MethodPost,
		Path:        "/identity/globalIds/" + url.PathEscape(globalID) + "/externalIds",
		Accept:      MediaTypeExternalID,
		ContentType: MediaTypeExternalID,
		Body:        ExternalID{Type: ext.Type, ExternalID: ext.ExternalID},
	}
	if _, err := c.Do(ctx, req, &created); err != nil {
		return nil, fmt.Errorf("creating external ID %s/%s for managed object %s: %w", ext.Type, ext.ExternalID, globalID, err)
	}
	return &created, nil
}
