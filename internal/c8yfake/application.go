package c8yfake

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// Application types and availabilities of the platform.
const (
	TypeMicroservice = "MICROSERVICE"
	TypeHosted       = "HOSTED"
	TypeExternal     = "EXTERNAL"

	AvailabilityPrivate = "PRIVATE"
	AvailabilityMarket  = "MARKET"
)

// Application describes an application for [Platform.AddApplication], and as
// [Platform.Applications] returns it.
type Application struct {
	ID           string // assigned by the platform
	Name         string
	Key          string // default "<name>-key"
	Type         string // default TypeMicroservice
	ContextPath  string // default the name
	Owner        string // the tenant that owns the application; default "t0owner"
	Availability string // AvailabilityPrivate (the default) or AvailabilityMarket

	RequiredRoles []string // the roles of its service users; default DefaultRoles
	Roles         []string // the roles it adds

	Subscribers []string // the subscribed tenants, sorted
}

// application is an application on the platform with its bootstrap user, subscribers and
// deployment state.
type application struct {
	Application
	subscribers map[string]struct{}

	// started is when the current deployment started: the last subscription or upload
	// while subscribed. The status object reports "Up" StartupDelay after it.
	started time.Time

	// statusID is the id of the status object in the owner's inventory, once subscribed.
	statusID string
}

func (a *application) serviceUserName() string   { return "service_" + a.Name }
func (a *application) bootstrapUserName() string { return "servicebootstrap_" + a.Name }

// newApplication fills the defaults of spec, creates the application and, for a
// microservice, its bootstrap user. The caller holds p.mu or has not shared p yet.
func (p *Platform) newApplication(spec Application) *application {
	if spec.Key == "" {
		spec.Key = spec.Name + "-key"
	}
	if spec.Type == "" {
		spec.Type = TypeMicroservice
	}
	if spec.ContextPath == "" && spec.Type == TypeMicroservice {
		spec.ContextPath = spec.Name
	}
	if spec.Owner == "" {
		spec.Owner = "t0owner"
	}
	if spec.Availability == "" {
		spec.Availability = AvailabilityPrivate
	}
	if spec.RequiredRoles == nil {
		spec.RequiredRoles = DefaultRoles()
	}
	spec.ID = p.newID()
	spec.RequiredRoles = slices.Clone(spec.RequiredRoles)
	spec.Roles = slices.Clone(spec.Roles)
	spec.Subscribers = nil

	app := &application{Application: spec, subscribers: make(map[string]struct{})}
	if app.Type == TypeMicroservice {
		p.ensureTenant(app.Owner).users[app.bootstrapUserName()] = &user{name: app.bootstrapUserName(), password: rand.Text()}
	}
	p.apps = append(p.apps, app)
	return app
}

// AddApplication creates an application as its owner tenant would, creating the tenant
// when needed, and returns its id. It panics when the owner already has an application
// with the name or key, which the platform rejects with 409.
func (p *Platform) AddApplication(spec Application) string {
	p.mu.Lock()
	defer p.mu.Unlock()

	if spec.Owner == "" {
		spec.Owner = "t0owner"
	}
	if spec.Key == "" {
		spec.Key = spec.Name + "-key"
	}
	if message := p.duplicateMessage(spec.Owner, spec.Name, spec.Key); message != "" {
		panic("c8yfake: " + message)
	}
	return p.newApplication(spec).ID
}

// Applications returns copies of every application, the oldest first.
func (p *Platform) Applications() []Application {
	p.mu.Lock()
	defer p.mu.Unlock()
	apps := make([]Application, len(p.apps))
	for i, app := range p.apps {
		apps[i] = app.snapshot()
	}
	return apps
}

// snapshot returns a copy of the application's description with its subscribers. The
// caller holds p.mu.
func (a *application) snapshot() Application {
	copied := a.Application
	copied.RequiredRoles = slices.Clone(a.RequiredRoles)
	copied.Roles = slices.Clone(a.Roles)
	copied.Subscribers = sortedKeys(a.subscribers)
	return copied
}

// duplicateMessage returns the platform's message when the owner already has an
// application with the name or key, or "". The caller holds p.mu.
func (p *Platform) duplicateMessage(owner, name, key string) string {
	for _, app := range p.apps {
		if app.Owner != owner {
			continue
		}
		if app.Name == name {
			return fmt.Sprintf("Application for tenant %s with properties ( name:%s ) already exists", owner, name)
		}
		if app.Key == key {
			return fmt.Sprintf("Application for tenant %s with properties ( key:%s ) already exists", owner, key)
		}
	}
	return ""
}

// findApplication returns the application with the id, or nil. The caller holds p.mu.
func (p *Platform) findApplication(id string) *application {
	for _, app := range p.apps {
		if app.ID == id {
			return app
		}
	}
	return nil
}

// visible reports whether the tenant can see the application: it owns it, is subscribed
// to it, or the application is offered on the marketplace. The caller holds p.mu.
func (a *application) visible(tenantID string) bool {
	_, subscribed := a.subscribers[tenantID]
	return a.Owner == tenantID || subscribed || a.Availability == AvailabilityMarket
}

// Bootstrap returns the credentials of the bootstrap user of Options.Application, which
// the platform passes to the service as C8Y_BOOTSTRAP_TENANT, _USER and _PASSWORD.
func (p *Platform) Bootstrap() Credentials {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bootstrapCredentials(p.app)
}

// bootstrapCredentials returns the bootstrap user of a microservice. The caller holds
// p.mu.
func (p *Platform) bootstrapCredentials(app *application) Credentials {
	name := app.bootstrapUserName()
	return Credentials{Tenant: app.Owner, User: name, Password: p.tenants[app.Owner].users[name].password}
}

func (p *Platform) registerApplication() {
	p.route("GET /application/currentApplication/subscriptions", "", p.subscriptions)
}

// subscriptions serves GET /application/currentApplication/subscriptions: the service
// users of the subscribed tenants, for a microservice's bootstrap user only.
func (p *Platform) subscriptions(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplicationUserCollection) {
		return
	}

	p.mu.Lock()
	var current *application
	for _, app := range p.apps {
		if app.Type == TypeMicroservice && who.tenant == app.Owner && who.user == app.bootstrapUserName() {
			current = app
		}
	}
	if current == nil {
		p.mu.Unlock()
		writeError(w, http.StatusForbidden, "security/Forbidden", "Access is denied: only the application's bootstrap user may list its subscriptions")
		return
	}
	users := make([]map[string]string, 0, len(current.subscribers))
	for _, tenantID := range sortedKeys(current.subscribers) {
		u := p.tenants[tenantID].users[current.serviceUserName()]
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
