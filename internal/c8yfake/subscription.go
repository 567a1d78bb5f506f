package c8yfake

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
)

// subscribeApplication serves POST /tenant/tenants/{tenantId}/applications: the owner of
// an application subscribes a tenant to it, 409 when the tenant is subscribed already.
func (p *Platform) subscribeApplication(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeApplicationReference) {
		return
	}
	var body struct {
		Application *struct {
			Self string `json:"self"`
		} `json:"application"`
	}
	if readBody(w, r, &body, typeApplicationReference, typeJSON) == "" {
		return
	}
	if body.Application == nil || body.Application.Self == "" {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", "The application reference needs application.self")
		return
	}
	self, err := url.Parse(body.Application.Self)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", fmt.Sprintf("Invalid application.self %q", body.Application.Self))
		return
	}
	id, tenantID := path.Base(self.Path), r.PathValue("tenantId")

	// Decide under the lock and respond after it, since writing may block on the client.
	p.mu.Lock()
	app := p.findApplication(id)
	t, tenantFound := p.tenants[tenantID]
	var respond func()
	switch {
	case app == nil || !app.visible(who.tenant):
		respond = func() { writeApplicationNotFound(w, id) }
	case app.Owner != who.tenant:
		respond = func() {
			writeError(w, http.StatusForbidden, "security/Forbidden", "Access is denied: only the owner tenant may subscribe tenants to the application")
		}
	case !tenantFound:
		respond = func() { writeError(w, http.StatusNotFound, "tenants/Not Found", "Tenant "+tenantID+" not found") }
	case !p.subscribe(app, t):
		respond = func() {
			writeError(w, http.StatusConflict, "applications/Duplicate", fmt.Sprintf("The application %s is already assigned to the tenant %s", id, tenantID))
		}
	default:
		location := baseURL(r) + "/tenant/tenants/" + tenantID + "/applications/" + id
		reference := map[string]any{"self": location, "application": app.representation(r)}
		respond = func() { writeResource(w, r, http.StatusCreated, typeApplicationReference, location, reference) }
	}
	p.mu.Unlock()

	respond()
}
