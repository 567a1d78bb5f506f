package c8yfake

import (
	"fmt"
	"net/http"
	"time"
)

// timeLayout is the platform's format of the times it sets.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func (p *Platform) registerMeasurement() {
	p.route("POST /measurement/measurements", "ROLE_MEASUREMENT_ADMIN", p.createMeasurements)
}

// createMeasurements serves POST /measurement/measurements. The Content-Type decides the
// form of the body: one measurement with the measurement media type or application/json,
// {"measurements":[...]} with the collection media type only. A collection sent as plain
// JSON is read as one measurement and so rejected for its missing fields, as the platform
// does.
func (p *Platform) createMeasurements(w http.ResponseWriter, r *http.Request, who principal) {
	var body map[string]any
	sent := readBody(w, r, &body, typeMeasurement, typeMeasurementCollection, typeJSON)
	if sent == "" {
		return
	}
	collection := sent == baseMediaType(typeMeasurementCollection)
	responseType := typeMeasurement
	if collection {
		responseType = typeMeasurementCollection
	}
	if !checkAccept(w, r, responseType) {
		return
	}

	measurements := []map[string]any{body}
	if collection {
		var ok bool
		if measurements, ok = collectionItems(body); !ok {
			writeError(w, http.StatusUnprocessableEntity, "undefined/validationError",
				`A measurement collection needs a non-empty "measurements" array of objects`)
			return
		}
	}

	created, message := p.storeMeasurements(r, who.tenant, measurements)
	if message != "" {
		writeError(w, http.StatusUnprocessableEntity, "undefined/validationError", message)
		return
	}

	if !collection {
		writeResource(w, r, http.StatusCreated, typeMeasurement, created[0]["self"].(string), created[0])
		return
	}
	writeResource(w, r, http.StatusCreated, typeMeasurementCollection, "", map[string]any{
		"measurements": created,
		"self":         baseURL(r) + "/measurement/measurements",
	})
}

// storeMeasurements validates the measurements and stores them all, or none when one is
// invalid. It returns what was stored, with ids and self links, or why it was rejected.
func (p *Platform) storeMeasurements(r *http.Request, tenantID string, measurements []map[string]any) ([]map[string]any, string) {
	p.mu.Lock()
	defer p.mu.Unlock()

	t := p.ensureTenant(tenantID)
	for i, m := range measurements {
		if message := t.invalidMeasurementMessage(m); message != "" {
			return nil, fmt.Sprintf("Measurement %d: %s", i, message)
		}
	}

	created := make([]map[string]any, len(measurements))
	for i, m := range measurements {
		stored := deepCopy(m)
		stored["id"] = p.newID()
		stored["source"] = map[string]any{"id": sourceID(m)}
		t.measurements = append(t.measurements, stored)
		created[i] = measurementBody(r, stored)
	}
	return created, ""
}

// collectionItems returns the objects of a collection body's "measurements" array.
func collectionItems(body map[string]any) ([]map[string]any, bool) {
	items, ok := body["measurements"].([]any)
	if !ok || len(items) == 0 {
		return nil, false
	}
	measurements := make([]map[string]any, len(items))
	for i, item := range items {
		if measurements[i], ok = item.(map[string]any); !ok {
			return nil, false
		}
	}
	return measurements, true
}

// invalidMeasurementMessage returns why the platform would reject the measurement, or ""
// when it is valid. The platform rejects a missing or unknown source, a missing type and a
// time that is not RFC 3339 with an offset. It also rejects an invalid fragment or series
// name, a value that is not a number and an empty unit. The caller holds p.mu.
func (t *tenant) invalidMeasurementMessage(m map[string]any) string {
	typeName, _ := m["type"].(string)
	rawTime, _ := m["time"].(string)
	id := sourceID(m)
	if id == "" || typeName == "" || rawTime == "" {
		return "Following mandatory fields should be included: source, time, type"
	}
	if _, ok := t.objects[id]; !ok {
		return fmt.Sprintf("Cannot find the source with id %s", id)
	}
	if _, err := time.Parse(time.RFC3339, rawTime); err != nil {
		return fmt.Sprintf("Invalid time %q: want RFC 3339 with an offset, for example 2026-12-04T20:15:01.123+01:00", rawTime)
	}

	fragments := make(map[string]any)
	for name, value := range m {
		switch name {
		case "id", "self", "source", "type", "time":
		default:
			fragments[name] = value
		}
	}
	if message := invalidNameMessage(fragments); message != "" {
		return message
	}
	for name, fragment := range fragments {
		if message := invalidSeriesMessage(name, fragment); message != "" {
			return message
		}
	}
	return ""
}

// invalidSeriesMessage checks a fragment whose members are series, objects with a
// "value": each value must be a number and each unit, if sent, a non-empty string.
func invalidSeriesMessage(fragmentName string, fragment any) string {
	members, ok := fragment.(map[string]any)
	if !ok {
		return ""
	}
	if message := invalidNameMessage(members); message != "" {
		return message
	}
	for seriesName, member := range members {
		series, ok := member.(map[string]any)
		if !ok {
			continue
		}
		value, hasValue := series["value"]
		if !hasValue {
			continue
		}
		if _, ok := value.(float64); !ok {
			return fmt.Sprintf("Series %s.%s: value %v is not a number", fragmentName, seriesName, value)
		}
		if unit, hasUnit := series["unit"]; hasUnit {
			if text, ok := unit.(string); !ok || text == "" {
				return fmt.Sprintf("Series %s.%s: unit must be a non-empty string", fragmentName, seriesName)
			}
		}
	}
	return ""
}

// sourceID returns the measurement's source id, or "".
func sourceID(m map[string]any) string {
	source, _ := m["source"].(map[string]any)
	id, _ := source["id"].(string)
	return id
}

// measurementBody returns a copy of a stored measurement with its self links.
func measurementBody(r *http.Request, stored map[string]any) map[string]any {
	body := deepCopy(stored)
	base := baseURL(r)
	body["self"] = base + "/measurement/measurements/" + stored["id"].(string)
	body["source"] = map[string]any{"id": sourceID(stored), "self": base + "/inventory/managedObjects/" + sourceID(stored)}
	return body
}

// Measurements returns copies of the tenant's measurements, oldest first.
func (p *Platform) Measurements(tenantID string) []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var measurements []map[string]any
	if t, ok := p.tenants[tenantID]; ok {
		for _, m := range t.measurements {
			measurements = append(measurements, deepCopy(m))
		}
	}
	return measurements
}
