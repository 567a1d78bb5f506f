package c8yfake

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
)

func (p *Platform) registerInventory() {
	p.route("GET /inventory/managedObjects", "ROLE_INVENTORY_READ", p.listManagedObjects)
	p.route("POST /inventory/managedObjects", "ROLE_INVENTORY_ADMIN", p.createManagedObject)
	p.route("GET /inventory/managedObjects/{id}", "ROLE_INVENTORY_READ", p.getManagedObject)
	p.route("DELETE /inventory/managedObjects/{id}", "ROLE_INVENTORY_ADMIN", p.deleteManagedObject)
}

// listManagedObjects serves GET /inventory/managedObjects with the type and fragmentType
// filters and paging, oldest object first.
func (p *Platform) listManagedObjects(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeManagedObjectCollection) {
		return
	}
	pg, ok := readPage(w, r)
	if !ok {
		return
	}
	objectType, fragmentType := r.URL.Query().Get("type"), r.URL.Query().Get("fragmentType")

	p.mu.Lock()
	t := p.ensureTenant(who.tenant)
	p.refreshStatus(t)
	var found []map[string]any
	for _, object := range t.sortedObjects() {
		if objectType != "" && object["type"] != objectType {
			continue
		}
		if _, ok := object[fragmentType]; fragmentType != "" && !ok {
			continue
		}
		found = append(found, withSelf(r, object))
	}
	p.mu.Unlock()

	from, to := pg.bounds(len(found))
	body := pg.links(r, len(found))
	body["managedObjects"] = append([]map[string]any{}, found[from:to]...)
	writeJSON(w, http.StatusOK, typeManagedObjectCollection, body)
}

// createManagedObject serves POST /inventory/managedObjects.
func (p *Platform) createManagedObject(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeManagedObject) {
		return
	}
	var fields map[string]any
	if readBody(w, r, &fields, typeManagedObject, typeJSON) == "" {
		return
	}
	if fields == nil {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", "The body must be a JSON object")
		return
	}
	// The platform sets these fields and ignores values sent for them.
	for _, name := range []string{"id", "self", "owner", "creationTime", "lastUpdated"} {
		delete(fields, name)
	}
	if message := invalidNameMessage(fields); message != "" {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", message)
		return
	}

	p.mu.Lock()
	now := p.now().Format(timeLayout)
	fields["id"] = p.newID()
	fields["owner"] = who.user
	fields["creationTime"] = now
	fields["lastUpdated"] = now
	p.ensureTenant(who.tenant).objects[fields["id"].(string)] = fields
	created := withSelf(r, fields)
	p.mu.Unlock()

	writeResource(w, r, http.StatusCreated, typeManagedObject, created["self"].(string), created)
}

// getManagedObject serves GET /inventory/managedObjects/{id}.
func (p *Platform) getManagedObject(w http.ResponseWriter, r *http.Request, who principal) {
	if !checkAccept(w, r, typeManagedObject) {
		return
	}
	id := r.PathValue("id")

	p.mu.Lock()
	t := p.ensureTenant(who.tenant)
	p.refreshStatus(t)
	object, ok := t.objects[id]
	if ok {
		object = withSelf(r, object)
	}
	p.mu.Unlock()

	if !ok {
		writeObjectNotFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, typeManagedObject, object)
}

// deleteManagedObject serves DELETE /inventory/managedObjects/{id}. Like the platform, it
// deletes the object's external ids and measurements too.
func (p *Platform) deleteManagedObject(w http.ResponseWriter, r *http.Request, who principal) {
	id := r.PathValue("id")

	p.mu.Lock()
	t := p.ensureTenant(who.tenant)
	_, ok := t.objects[id]
	if ok {
		delete(t.objects, id)
		maps.DeleteFunc(t.externalIDs, func(_ externalKey, objectID string) bool { return objectID == id })
		t.measurements = slices.DeleteFunc(t.measurements, func(m map[string]any) bool { return sourceID(m) == id })
	}
	p.mu.Unlock()

	if !ok {
		writeObjectNotFound(w, id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeObjectNotFound(w http.ResponseWriter, id string) {
	writeError(w, http.StatusNotFound, "inventory/Not Found",
		fmt.Sprintf("Finding device data from database failed : No managedObject for id '%s'!", id))
}

// ManagedObjects returns copies of the tenant's managed objects, oldest first.
func (p *Platform) ManagedObjects(tenantID string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var objects []map[string]any
	if t, ok := p.tenants[tenantID]; ok {
		p.refreshStatus(t)
		for _, object := range t.sortedObjects() {
			objects = append(objects, deepCopy(object))
		}
	}
	return objects
}

// sortedObjects returns the tenant's objects in the order of their ids, which is the order
// of creation.
func (t *tenant) sortedObjects() []map[string]any {
	ids := slices.Collect(maps.Keys(t.objects))
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	objects := make([]map[string]any, len(ids))
	for i, id := range ids {
		objects[i] = t.objects[id]
	}
	return objects
}

// withSelf returns a copy of the object with its self link.
func withSelf(r *http.Request, object map[string]any) map[string]any {
	copied := deepCopy(object)
	copied["self"] = baseURL(r) + "/inventory/managedObjects/" + object["id"].(string)
	return copied
}

// deepCopy copies a decoded JSON object, so that no caller shares the fake's maps.
func deepCopy(object map[string]any) map[string]any {
	encoded, err := json.Marshal(object)
	if err != nil {
		panic(fmt.Sprintf("c8yfake: copying an object: %v", err))
	}
	var copied map[string]any
	if err := json.Unmarshal(encoded, &copied); err != nil {
		panic(fmt.Sprintf("c8yfake: copying an object: %v", err))
	}
	return copied
}
