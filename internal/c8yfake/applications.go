package c8yfake

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Roles that the application API requires.
const (
	roleApplicationRead  = "ROLE_APPLICATION_MANAGEMENT_READ"
	roleApplicationAdmin = "ROLE_APPLICATION_MANAGEMENT_ADMIN"
)

func (p *Platform) registerApplications() {
	p.route("GET /application/applicationsByName/{name}", roleApplicationRead, p.applicationsByName)
	p.route("POST /application/applications", roleApplicationAdmin, p.createApplication)
	p.route("GET /application/applications/{id}", roleApplicationRead, p.getApplication)
	p.route("GET /application/applications/{id}/bootstrapUser", roleApplicationAdmin, p.bootstrapUser)
}

// representation returns the application as the platform's JSON shows it. The caller
// holds p.mu.
func (a *application) representation(r *http.Request) map[string]any {
	base := baseURL(r)
	body := map[string]any{
		"id":           a.ID,
		"self":         base + "/application/applications/" + a.ID,
		"name":         a.Name,
		"key":          a.Key,
		"type":         a.Type,
		"availability": a.Availability,
		"owner": map[string]any{
			"self":   base + "/tenant/tenants/" + a.Owner,
			"tenant": map[string]any{"id": a.Owner},
		},
	}
	if a.ContextPath != "" {
		body["contextPath"] = a.ContextPath
	}
	if a.RequiredRoles != nil {
		body["requiredRoles"] = slices.Clone(a.RequiredRoles)
	}
	if a.Roles != nil {
		body["roles"] = slices.Clone(a.Roles)
	}
	return body
}

// applicationsByName serves GET /application/applicationsByName/{name}: the applications
// the caller's tenant can see, the oldest first, in pages.
//
// NOTE: the platform's documentation does not say whether the name must match exactly.
// The fake also returns applications whose name only starts with the requested one, so
// that clients are tested to compare the name themselves.
func (p *Platform) applicationsByName(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplicationCollection) {
		return
	}
	pg, ok := readPage(w, r)
	if !ok {
		return
	}
	name := r.PathValue("name")

	p.mu.Lock()
	var found []map[string]any
	for _, app := range p.apps {
		if strings.HasPrefix(app.Name, name) && app.visible(who.tenant) {
			found = append(found, app.representation(r))
		}
	}
	p.mu.Unlock()

	from, to := pg.bounds(len(found))
	body := pg.links(r, len(found))
	body["applications"] = append([]map[string]any{}, found[from:to]...)
	writeJSON(w, http.StatusOK, typeApplicationCollection, body)
}

// getApplication serves GET /application/applications/{id}.
func (p *Platform) getApplication(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplication) {
		return
	}

	p.mu.Lock()
	app := p.findApplication(r.PathValue("id"))
	var body map[string]any
	if app != nil && app.visible(who.tenant) {
		body = app.representation(r)
	}
	p.mu.Unlock()

	if body == nil {
		writeApplicationNotFound(w, r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, typeApplication, body)
}

// createApplication serves POST /application/applications: it creates an application
// owned by the caller's tenant.
func (p *Platform) createApplication(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplication) {
		return
	}
	var body struct {
		Name          string   `json:"name"`
		Key           string   `json:"key"`
		Type          string   `json:"type"`
		ContextPath   string   `json:"contextPath"`
		Availability  string   `json:"availability"`
		RequiredRoles []string `json:"requiredRoles"`
		Roles         []string `json:"roles"`
	}
	if readBody(w, r, &body, typeApplication, typeJSON) == "" {
		return
	}
	if message := invalidApplicationMessage(body.Name, body.Key, body.Type, body.Availability); message != "" {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", message)
		return
	}

	p.mu.Lock()
	if message := p.duplicateMessage(who.tenant, body.Name, body.Key); message != "" {
		p.mu.Unlock()
		writeError(w, http.StatusConflict, "applications/Duplicate", message)
		return
	}
	roles := body.RequiredRoles
	if roles == nil {
		roles = []string{}
	}
	app := p.newApplication(Application{
		Name:          body.Name,
		Key:           body.Key,
		Type:          body.Type,
		ContextPath:   body.ContextPath,
		Owner:         who.tenant,
		Availability:  body.Availability,
		RequiredRoles: roles,
		Roles:         body.Roles,
	})
	created := app.representation(r)
	p.mu.Unlock()

	writeResource(w, r, http.StatusCreated, typeApplication, created["self"].(string), created)
}

// invalidApplicationMessage returns the platform's message for a missing or invalid field
// of a new application, or "" when the fields are valid.
func invalidApplicationMessage(name, key, appType, availability string) string {
	switch {
	case name == "":
		return "The application's name is missing"
	case key == "":
		return "The application's key is missing"
	case !slices.Contains([]string{TypeMicroservice, TypeHosted, TypeExternal}, appType):
		return fmt.Sprintf("Invalid application type %q: use MICROSERVICE, HOSTED or EXTERNAL", appType)
	case availability != "" && availability != AvailabilityPrivate && availability != AvailabilityMarket:
		return fmt.Sprintf("Invalid availability %q: use PRIVATE or MARKET", availability)
	}
	return ""
}

// bootstrapUser serves GET /application/applications/{id}/bootstrapUser for the owner of a
// microservice.
func (p *Platform) bootstrapUser(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeUser) {
		return
	}
	id := r.PathValue("id")

	p.mu.Lock()
	app := p.findApplication(id)
	var status int
	var credentials Credentials
	switch {
	case app == nil || !app.visible(who.tenant):
		status = http.StatusNotFound
	case app.Owner != who.tenant:
		status = http.StatusForbidden
	case app.Type != TypeMicroservice:
		status = http.StatusBadRequest
	default:
		credentials = p.bootstrapCredentials(app)
	}
	p.mu.Unlock()

	switch status {
	case http.StatusNotFound:
		writeApplicationNotFound(w, id)
	case http.StatusForbidden:
		writeError(w, status, "security/Forbidden", "Access is denied: only the owner tenant may read the bootstrap user")
	case http.StatusBadRequest:
		writeError(w, status, "applications/Bad Request", "Can not get bootstrap user. Application is not a microservice")
	default:
		writeJSON(w, http.StatusOK, typeUser, map[string]string{
			"tenant":   credentials.Tenant,
			"name":     credentials.User,
			"password": credentials.Password,
		})
	}
}

func writeApplicationNotFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "applications/Not Found", "Could not find application by ID "+id)
}
