package c8yfake

import (
	"fmt"
	"net/http"
	"net/url"
)

// externalKey is an external id's type and value, unique within a tenant.
type externalKey struct {
	idType string
	value  string
}

func (p *Platform) registerIdentity() {
	p.route("GET /identity/externalIds/{type}/{externalId}", "ROLE_IDENTITY_READ", p.getExternalID)
	p.route("GET /identity/globalIds/{id}/externalIds", "ROLE_IDENTITY_READ", p.listExternalIDs)
	p.route("POST /identity/globalIds/{id}/externalIds", "ROLE_IDENTITY_ADMIN", p.createExternalID)
}

// getExternalID serves GET /identity/externalIds/{type}/{externalId}.
func (p *Platform) getExternalID(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeExternalID) {
		return
	}
	key := externalKey{idType: r.PathValue("type"), value: r.PathValue("externalId")}

	p.mu.Lock()
	objectID, ok := p.ensureTenant(who.tenant).externalIDs[key]
	p.mu.Unlock()

	if !ok {
		writeError(w, http.StatusNotFound, "identity/Not Found",
			fmt.Sprintf("External id not found; external id = ID [type=%s, value=%s]", key.idType, key.value))
		return
	}
	writeJSON(w, http.StatusOK, typeExternalID, externalIDBody(r, key, objectID))
}

// listExternalIDs serves GET /identity/globalIds/{id}/externalIds.
func (p *Platform) listExternalIDs(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeExternalIDCollection) {
		return
	}
	objectID := r.PathValue("id")

	p.mu.Lock()
	t := p.ensureTenant(who.tenant)
	ids := []map[string]any{}
	for key, id := range t.externalIDs {
		if id == objectID {
			ids = append(ids, externalIDBody(r, key, id))
		}
	}
	p.mu.Unlock()

	writeJSON(w, http.StatusOK, typeExternalIDCollection, map[string]any{
		"externalIds": ids,
		"self":        baseURL(r) + r.URL.Path,
	})
}

// createExternalID serves POST /identity/globalIds/{id}/externalIds. An external id that
// already belongs to an object gets 409, which makes it a guard against duplicates.
func (p *Platform) createExternalID(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeExternalID) {
		return
	}
	var body struct {
		Type       string `json:"type"`
		ExternalID string `json:"externalId"`
	}
	if readBody(w, r, &body, typeExternalID, typeJSON) == "" {
		return
	}
	if body.Type == "" || body.ExternalID == "" {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", "Following mandatory fields should be included: type, externalId")
		return
	}
	key := externalKey{idType: body.Type, value: body.ExternalID}
	objectID := r.PathValue("id")

	p.mu.Lock()
	t := p.ensureTenant(who.tenant)
	_, objectExists := t.objects[objectID]
	_, taken := t.externalIDs[key]
	if objectExists && !taken {
		t.externalIDs[key] = objectID
	}
	p.mu.Unlock()

	switch {
	case !objectExists:
		writeObjectNotFound(w, objectID)
	case taken:
		writeError(w, http.StatusConflict, "identity/Conflict",
			fmt.Sprintf("External id already exists; external id = ID [type=%s, value=%s]", key.idType, key.value))
	default:
		created := externalIDBody(r, key, objectID)
		writeResource(w, r, http.StatusCreated, typeExternalID, created["self"].(string), created)
	}
}

func externalIDBody(r *http.Request, key externalKey, objectID string) map[string]any {
	base := baseURL(r)
	return map[string]any{
		"type":       key.idType,
		"externalId": key.value,
		"self":       base + "/identity/externalIds/" + url.PathEscape(key.idType) + "/" + url.PathEscape(key.value),
		"managedObject": map[string]any{
			"id":   objectID,
			"self": base + "/inventory/managedObjects/" + objectID,
		},
	}
}

// ExternalIDs returns the tenant's external ids as "type/value" mapped to the managed
// object id.
func (p *Platform) ExternalIDs(tenantID string) map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make(map[string]string)
	if t, ok := p.tenants[tenantID]; ok {
		for key, objectID := range t.externalIDs {
			ids[key.idType+"/"+key.value] = objectID
		}
	}
	return ids
}
