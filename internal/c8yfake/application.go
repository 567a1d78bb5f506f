package c8yfake

import (
	"crypto/rand"
	"net/http"
	"slices"
)

// application is a microservice on the platform with its bootstrap user and subscribers.
type application struct {
	id          string
	name        string
	owner       string   // the tenant that owns it and holds its bootstrap user
	roles       []string // the roles of its service users
	subscribers map[string]struct{}
}

func (a *application) serviceUserName() string   { return "service_" + a.name }
func (a *application) bootstrapUserName() string { return "servicebootstrap_" + a.name }

// newApplication creates the application and its bootstrap user. The caller holds p.mu
// or has not shared p yet.
func (p *Platform) newApplication(name, owner string, roles []string) *application {
	app := &application{
		id:          p.newID(),
		name:        name,
		owner:       owner,
		roles:       slices.Clone(roles),
		subscribers: make(map[string]struct{}),
	}
	p.ensureTenant(owner).users[app.bootstrapUserName()] = &user{name: app.bootstrapUserName(), password: rand.Text()}
	return app
}

// Bootstrap returns the credentials of the application's bootstrap user, which the
// platform passes to the service as C8Y_BOOTSTRAP_TENANT, _USER and _PASSWORD.
func (p *Platform) Bootstrap() Credentials {
	p.mu.Lock()
	defer p.mu.Unlock()
	name := p.app.bootstrapUserName()
	return Credentials{Tenant: p.app.owner, User: name, Password: p.tenants[p.app.owner].users[name].password}
}

func (p *Platform) registerApplication() {
	p.route("GET /application/currentApplication/subscriptions", "", p.subscriptions)
}

// subscriptions serves GET /application/currentApplication/subscriptions: the service
// users of the subscribed tenants, for the bootstrap user only.
func (p *Platform) subscriptions(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplicationUserCollection) {
		return
	}

	p.mu.Lock()
	if who.tenant != p.app.owner || who.user != p.app.bootstrapUserName() {
		p.mu.Unlock()
		writeError(w, http.StatusForbidden, "security/Forbidden", "Access is denied: only the application's bootstrap user may list its subscriptions")
		return
	}
	users := make([]map[string]string, 0, len(p.app.subscribers))
	for _, tenantID := range sortedKeys(p.app.subscribers) {
		u := p.tenants[tenantID].users[p.app.serviceUserName()]
		users = append(users, map[string]string{"tenant": tenantID, "name": u.name, "password": u.password})
	}
	p.mu.Unlock()

	writeJSON(w, http.StatusOK, typeApplicationUserCollection, map[string]any{"users": users})
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}
