package c8y

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ManagedObject is an inventory object: a device, group or asset. Only the fields this
// package's callers use are decoded.
type ManagedObject struct {
	ID           string    `json:"id,omitempty"` // assigned by the platform
	Self         string    `json:"self,omitempty"`
	Name         string    `json:"name,omitempty"`
	Type         string    `json:"type,omitempty"`
	Owner        string    `json:"owner,omitempty"`
	CreationTime string    `json:"creationTime,omitempty"`
	LastUpdated  string    `json:"lastUpdated,omitempty"`
	IsDevice     *struct{} `json:"c8y_IsDevice,omitempty"` // non-nil for a device
}

// ManagedObjectQuery filters and pages GET /inventory/managedObjects. Zero fields are not
// sent, so the platform's defaults apply (page size 5, first page).
type ManagedObjectQuery struct {
	Type           string
	FragmentType   string
	PageSize       int // 1 to 2000
	CurrentPage    int // from 1
	WithTotalPages bool
}

// ManagedObjectCollection is one page of managed objects.
type ManagedObjectCollection struct {
	ManagedObjects []ManagedObject `json:"managedObjects"`
	Statistics     PageStatistics  `json:"statistics"`
	Self           string          `json:"self,omitempty"`
	Next           string          `json:"next,omitempty"` // the next page's URL, empty on the last page
	Prev           string          `json:"prev,omitempty"`
}

// PageStatistics describes the page of a collection.
type PageStatistics struct {
	CurrentPage int `json:"currentPage"`
	PageSize    int `json:"pageSize"`
	TotalPages  int `json:"totalPages,omitempty"` // set only when requested
}

// ManagedObjects returns one page of the managed objects that match q.
func (c *Client) ManagedObjects(ctx context.Context, q ManagedObjectQuery) (*ManagedObjectCollection, error) {
	query := url.Values{}
	if q.Type != "" {
		query.Set("type", q.Type)
	}
	if q.FragmentType != "" {
		query.Set("fragmentType", q.FragmentType)
	}
	if q.PageSize > 0 {
		query.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	if q.CurrentPage > 0 {
		query.Set("currentPage", strconv.Itoa(q.CurrentPage))
	}
	if q.WithTotalPages {
		query.Set("withTotalPages", "true")
	}

	var page ManagedObjectCollection
	req := &Request{
		Method: http.MethodGet,
		Path:   "/inventory/managedObjects",
		Query:  query,
		Accept: MediaTypeManagedObjectCollection,
	}
	if _, err := c.Do(ctx, req, &page); err != nil {
		return nil, fmt.Errorf("listing managed objects: %w", err)
	}
	return &page, nil
}

// ManagedObject returns the managed object with the given ID.
func (c *Client) ManagedObject(ctx context.Context, id string) (*ManagedObject, error) {
	var mo ManagedObject
	req := &Request{
		Method: http.MethodGet,
		Path:   "/inventory/managedObjects/" + url.PathEscape(id),
		Accept: MediaTypeManagedObject,
	}
	if _, err := c.Do(ctx, req, &mo); err != nil {
		return nil, fmt.Errorf("reading managed object %s: %w", id, err)
	}
	return &mo, nil
}

// CreateManagedObject creates mo and returns it as the platform stored it, with its ID.
// It is never retried, because a repeat could create a second object.
func (c *Client) CreateManagedObject(ctx context.Context, mo ManagedObject) (*ManagedObject, error) {
	var created ManagedObject
	req := &Request{
		Method:      http.MethodPost,
		Path:        "/inventory/managedObjects",
		Accept:      MediaTypeManagedObject,
		ContentType: MediaTypeManagedObject,
		Body:        mo,
	}
	if _, err := c.Do(ctx, req, &created); err != nil {
		return nil, fmt.Errorf("creating managed object %q: %w", mo.Name, err)
	}
	return &created, nil
}

// DeleteManagedObject deletes the managed object with the given ID.
func (c *Client) DeleteManagedObject(ctx context.Context, id string) error {
	req := &Request{Method: http.MethodDelete, Path: "/inventory/managedObjects/" + url.PathEscape(id)}
	if _, err := c.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("deleting managed object %s: %w", id, err)
	}
	return nil
}
