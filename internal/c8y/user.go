package c8y

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// User is the user of the client's credentials, as GET /user/currentUser returns it.
type User struct {
	ID             string `json:"id"`
	UserName       string `json:"userName"`
	EffectiveRoles []Role `json:"effectiveRoles"`
}

// Role is a permission such as ROLE_INVENTORY_READ.
type Role struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// HasRole reports whether the user's effective roles include the role with the given ID.
func (u *User) HasRole(id string) bool {
	return slices.ContainsFunc(u.EffectiveRoles, func(r Role) bool { return r.ID == id })
}

// CurrentUser returns the user of the client's credentials with its effective roles, for
// example to check a caller's roles with the caller's own credentials.
func (c *Client) CurrentUser(ctx context.Context) (*User, error) {
	var user User
	req := &Request{Method: http.MethodGet, Path: "/user/currentUser", Accept: MediaTypeCurrentUser}
	if _, err := c.Do(ctx, req, &user); err != nil {
		return nil, fmt.Errorf("reading the current user: %w", err)
	}
	return &user, nil
}
