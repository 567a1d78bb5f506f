package c8yfake

import (
	"crypto/rand"
	"net/http"
	"slices"
)

// tenant holds one tenant's users and data; no request of another tenant reaches them.
type tenant struct {
	id           string
	users        map[string]*user
	objects      map[string]map[string]any // managed objects by id
	externalIDs  map[externalKey]string    // managed object id by external id
	measurements []map[string]any
}

type user struct {
	name     string
	password string
	roles    []string
}

// ensureTenant returns the tenant with the id, creating it when needed. The caller holds
// p.mu.
func (p *Platform) ensureTenant(id string) *tenant {
	if t, ok := p.tenants[id]; ok {
		return t
	}
	t := &tenant{
		id:          id,
		users:       make(map[string]*user),
		objects:     make(map[string]map[string]any),
		externalIDs: make(map[externalKey]string),
	}
	p.tenants[id] = t
	return t
}

// AddUser creates a user with a random password in the tenant, creating the tenant when
// needed, and returns the credentials. Without roles the user gets DefaultRoles. Adding an
// existing user replaces its password and roles.
func (p *Platform) AddUser(tenantID, name string, roles ...string) Credentials {
	if len(roles) == 0 {
		roles = DefaultRoles()
	}
	password := rand.Text()

	p.mu.Lock()
	defer p.mu.Unlock()
	p.ensureTenant(tenantID).users[name] = &user{name: name, password: password, roles: slices.Clone(roles)}
	return Credentials{Tenant: tenantID, User: name, Password: password}
}

// Subscribe subscribes the tenant to the application of Options.Application, creating the
// tenant when needed, and returns its service user. A tenant that is subscribed already
// keeps its service user; one that subscribes again after leaving gets a new password.
func (p *Platform) Subscribe(tenantID string) Credentials {
	p.mu.Lock()
	defer p.mu.Unlock()

	p.subscribe(p.app, p.ensureTenant(tenantID))
	name := p.app.serviceUserName()
	return Credentials{Tenant: tenantID, User: name, Password: p.tenants[tenantID].users[name].password}
}

// subscribe subscribes the tenant to the application, unless it is subscribed already,
// with a new service user, and starts the deployment that the status object reports on.
// It reports whether the tenant was not subscribed before. The caller holds p.mu.
func (p *Platform) subscribe(app *application, t *tenant) bool {
	if _, ok := app.subscribers[t.id]; ok {
		return false
	}
	name := app.serviceUserName()
	t.users[name] = &user{name: name, password: rand.Text(), roles: slices.Clone(app.RequiredRoles)}
	app.subscribers[t.id] = struct{}{}
	p.startDeployment(app)
	return true
}

// Unsubscribe removes the tenant's subscription and its service user, whose credentials
// are rejected from then on. The tenant's data stays.
func (p *Platform) Unsubscribe(tenantID string) {
	p.mu.Lock()
	defer p.mu.Unlock()

	delete(p.app.subscribers, tenantID)
	if t, ok := p.tenants[tenantID]; ok {
		delete(t.users, p.app.serviceUserName())
	}
	p.updateStatus(p.app)
}

// ServiceUser returns the tenant's service user, if the tenant is subscribed.
func (p *Platform) ServiceUser(tenantID string) (Credentials, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()

	if _, ok := p.app.subscribers[tenantID]; !ok {
		return Credentials{}, false
	}
	u := p.tenants[tenantID].users[p.app.serviceUserName()]
	return Credentials{Tenant: tenantID, User: u.name, Password: u.password}, true
}

func (p *Platform) registerTenant() {
	p.route("GET /tenant/currentTenant", "", p.currentTenant)
	p.route("POST /tenant/tenants/{tenantId}/applications", roleApplicationAdmin, p.subscribeApplication)
}

// currentTenant serves GET /tenant/currentTenant.
func (p *Platform) currentTenant(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeCurrentTenant) {
		return
	}
	writeJSON(w, http.StatusOK, typeCurrentTenant, map[string]any{
		"name":               who.tenant,
		"domainName":         who.tenant + ".cumulocity.local",
		"allowCreateTenants": false,
		"customProperties":   map[string]any{},
		"self":               baseURL(r) + "/tenant/currentTenant",
	})
}
