package c8y

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Application types of the platform.
const (
	ApplicationTypeMicroservice = "MICROSERVICE"
	ApplicationTypeHosted       = "HOSTED"
	ApplicationTypeExternal     = "EXTERNAL"
)

// Application is an application as the platform describes it. Only the fields this
// package's callers use are decoded.
type Application struct {
	ID          string `json:"id,omitempty"` // assigned by the platform
	Self        string `json:"self,omitempty"`
	Name        string `json:"name"`
	Key         string `json:"key,omitempty"`
	Type        string `json:"type,omitempty"`
	ContextPath string `json:"contextPath,omitempty"`

	// Availability is PRIVATE (the default) or MARKET, which lets other tenants subscribe.
	Availability string `json:"availability,omitempty"`

	// Owner is set by the platform to the tenant that created the application.
	Owner *ApplicationOwner `json:"owner,omitempty"`

	RequiredRoles []string `json:"requiredRoles,omitempty"` // the permissions of the service users
	Roles         []string `json:"roles,omitempty"`         // the permissions the application adds
}

// ApplicationOwner is the owner reference of an application.
type ApplicationOwner struct {
	Self   string `json:"self,omitempty"`
	Tenant struct {
		ID string `json:"id"`
	} `json:"tenant"`
}

// OwnerTenant returns the ID of the tenant that owns the application, or "" when the
// platform sent no owner.
func (a *Application) OwnerTenant() string {
	if a.Owner == nil {
		return ""
	}
	return a.Owner.Tenant.ID
}

// ApplicationCollection is one page of applications.
type ApplicationCollection struct {
	Applications []Application  `json:"applications"`
	Statistics   PageStatistics `json:"statistics"`
	Self         string         `json:"self,omitempty"`
	Next         string         `json:"next,omitempty"`
	Prev         string         `json:"prev,omitempty"`
}

// PageQuery selects a page of a collection. Zero fields are not sent, so the platform's
// defaults apply (page size 5, first page).
type PageQuery struct {
	PageSize    int // 1 to 2000
	CurrentPage int // from 1
}

func (q PageQuery) values() url.Values {
	query := url.Values{}
	if q.PageSize > 0 {
		query.Set("pageSize", strconv.Itoa(q.PageSize))
	}
	if q.CurrentPage > 0 {
		query.Set("currentPage", strconv.Itoa(q.CurrentPage))
	}
	return query
}

// ApplicationsByName returns one page of the applications called name that the client's
// tenant can see. The page may hold same-named applications of other tenants, for example
// those offered on the marketplace, so callers must check [Application.OwnerTenant].
func (c *Client) ApplicationsByName(ctx context.Context, name string, page PageQuery) (*ApplicationCollection, error) {
	var collection ApplicationCollection
	req := &Request{
		Method: http.MethodGet,
		Path:   "/application/applicationsByName/" + url.PathEscape(name),
		Query:  page.values(),
		Accept: MediaTypeApplicationCollection,
	}
	if _, err := c.Do(ctx, req, &collection); err != nil {
		return nil, fmt.Errorf("listing the applications called %q: %w", name, err)
	}
	return &collection, nil
}

// Application returns the application with the given ID.
func (c *Client) Application(ctx context.Context, id string) (*Application, error) {
	var app Application
	req := &Request{
		Method: http.MethodGet,
		Path:   "/application/applications/" + url.PathEscape(id),
		Accept: MediaTypeApplication,
	}
	if _, err := c.Do(ctx, req, &app); err != nil {
		return nil, fmt.Errorf("reading application %s: %w", id, err)
	}
	return &app, nil
}

// CreateApplication creates app in the client's tenant and returns it with its ID. The
// platform responds with 409 when the tenant already owns an application with the name or key
// ([IsConflict]). It is never retried, because a repeat after a lost response would
// report that conflict for the application the first attempt created.
func (c *Client) CreateApplication(ctx context.Context, app Application) (*Application, error) {
	var created Application
	req := &Request{
		Method:      http.MethodPost,
		Path:        "/application/applications",
		Accept:      MediaTypeApplication,
		ContentType: MediaTypeApplication,
		Body:        app,
	}
	if _, err := c.Do(ctx, req, &created); err != nil {
		return nil, fmt.Errorf("creating application %q: %w", app.Name, err)
	}
	return &created, nil
}

// BootstrapUser returns the credentials of a microservice's bootstrap user, which the
// platform passes to the service as C8Y_BOOTSTRAP_TENANT, _USER and _PASSWORD. It needs
// ROLE_APPLICATION_MANAGEMENT_ADMIN.
func (c *Client) BootstrapUser(ctx context.Context, applicationID string) (*Credentials, error) {
	var user Credentials
	req := &Request{
		Method: http.MethodGet,
		Path:   "/application/applications/" + url.PathEscape(applicationID) + "/bootstrapUser",
		Accept: MediaTypeUser,
	}
	if _, err := c.Do(ctx, req, &user); err != nil {
		return nil, fmt.Errorf("reading the bootstrap user of application %s: %w", applicationID, err)
	}
	return &user, nil
}

// Subscriptions returns the service users of the tenants subscribed to the current
// application, one per tenant. Only the application's bootstrap user may call it, and the
// platform responds with 403 to anyone else. An empty list is normal before any subscription.
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
