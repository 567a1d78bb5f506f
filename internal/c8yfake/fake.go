// Package c8yfake is an in-memory Cumulocity IoT platform for tests and local runs. It
// serves the REST calls a microservice makes, with the platform's rules: tenant-prefixed
// credentials, the bootstrap user's subscription list, media types, error bodies, paging,
// string ids, unique external ids and data kept apart per tenant.
//
// Tests drive it from the outside: tenants subscribe and leave at run time ([Platform.Subscribe],
// [Platform.Unsubscribe]), faults are scripted with [Platform.Inject], and every request
// is recorded ([Platform.Requests]).
//
// Each API area has its own file, so that another area is added as one more file and one
// more line in [New].
package c8yfake

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Platform is a fake Cumulocity platform. It is an http.Handler: serve it with
// httptest.NewServer or http.Server. It is safe for concurrent use.
type Platform struct {
	mux    *http.ServeMux
	now    func() time.Time
	logger *slog.Logger

	startupDelay time.Duration
	uploadRate   int64

	mu       sync.Mutex
	nextID   int
	tenants  map[string]*tenant
	app      *application   // the application of Options.Application
	apps     []*application // every application, the oldest first
	uploads  []Upload
	tokens   map[string]principal
	faults   []*Fault
	requests []Request
}

// Options configures a Platform. Zero fields get the defaults given.
type Options struct {
	// Application is the name of the microservice whose bootstrap user the platform has.
	// Default "hello-microservice".
	Application string

	// OwnerTenant is the tenant that owns the application and holds its bootstrap user.
	// Default "t0owner".
	OwnerTenant string

	// Roles are the roles of every service user, as the manifest's requiredRoles grant
	// them. Default: DefaultRoles.
	Roles []string

	// Now returns the platform's clock for creation times. Default time.Now.
	Now func() time.Time

	// Logger receives one line per request with the method, path, status, tenant and
	// user. Default: no logging.
	Logger *slog.Logger

	// StartupDelay is how long a microservice takes to come up after a subscription or an
	// upload, before its status object reports it "Up". Default 0: up at once.
	StartupDelay time.Duration

	// UploadRate limits how fast the fake reads an uploaded file, in bytes per second, as
	// a slow network does. Default 0: no limit.
	UploadRate int64
}

// DefaultRoles returns the roles service users and new users get unless Options or
// AddUser name others: read and admin of inventory, identity and measurements.
func DefaultRoles() []string {
	return []string{
		"ROLE_INVENTORY_READ", "ROLE_INVENTORY_ADMIN",
		"ROLE_IDENTITY_READ", "ROLE_IDENTITY_ADMIN",
		"ROLE_MEASUREMENT_READ", "ROLE_MEASUREMENT_ADMIN",
	}
}

// New returns a platform with the owner tenant and the application's bootstrap user, and
// no subscribed tenant.
func New(opts Options) *Platform {
	if opts.Application == "" {
		opts.Application = "hello-microservice"
	}
	if opts.OwnerTenant == "" {
		opts.OwnerTenant = "t0owner"
	}
	if opts.Roles == nil {
		opts.Roles = DefaultRoles()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}

	p := &Platform{
		mux:          http.NewServeMux(),
		now:          opts.Now,
		logger:       opts.Logger,
		startupDelay: opts.StartupDelay,
		uploadRate:   opts.UploadRate,
		nextID:       10000,
		tenants:      make(map[string]*tenant),
		tokens:       make(map[string]principal),
	}
	p.app = p.newApplication(Application{Name: opts.Application, Owner: opts.OwnerTenant, RequiredRoles: opts.Roles})

	p.registerApplication()
	p.registerApplications()
	p.registerBinaries()
	p.registerTenant()
	p.registerUser()
	p.registerInventory()
	p.registerIdentity()
	p.registerMeasurement()
	return p
}

// ServeHTTP records the request, applies the first matching fault, authenticates the
// caller and routes the request to its API area.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	recorder := &statusRecorder{ResponseWriter: w}
	index := p.record(r)
	defer func() { p.finish(r.Context(), index, recorder.status) }()

	if p.applyFault(recorder, r) {
		return
	}

	who, ok := p.authenticate(r)
	if !ok {
		writeError(recorder, http.StatusUnauthorized, "security/Unauthorized", "Invalid credentials! : Bad credentials")
		return
	}
	p.setPrincipal(index, who)

	if _, pattern := p.mux.Handler(r); pattern == "" {
		writeError(recorder, http.StatusNotFound, "general/notFound", fmt.Sprintf("Resource not found: %s %s", r.Method, r.URL.Path))
		return
	}
	p.mux.ServeHTTP(recorder, r.WithContext(context.WithValue(r.Context(), principalKey{}, who)))
}

// handler is an API area's handler; who is the authenticated caller.
type handler func(w http.ResponseWriter, r *http.Request, who principal)

// route registers h for a ServeMux pattern. A non-empty role is required of the caller,
// or the platform responds with 403 as it does for a missing permission.
func (p *Platform) route(pattern, role string, h handler) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		who := r.Context().Value(principalKey{}).(principal)
		if role != "" && !p.hasRole(who, role) {
			writeError(w, http.StatusForbidden, "security/Forbidden", "Access is denied")
			return
		}
		h(w, r, who)
	})
}

// newID returns the next object id. Ids are decimal strings, unique across tenants, as
// on the platform. The caller holds p.mu.
func (p *Platform) newID() string {
	p.nextID++
	return strconv.Itoa(p.nextID)
}

// baseURL returns the URL of the platform as the request reached it, for self links.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type principalKey struct{}

// statusRecorder keeps the status a handler writes, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
