package c8yfake_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
)

const (
	typeManagedObject         = "application/vnd.com.nsn.cumulocity.managedObject+json"
	typeMeasurement           = "application/vnd.com.nsn.cumulocity.measurement+json"
	typeMeasurementCollection = "application/vnd.com.nsn.cumulocity.measurementCollection+json"
	typeExternalID            = "application/vnd.com.nsn.cumulocity.externalId+json"
)

// fixture is a fake platform served on a test server, with an HTTP client that sends
// requests to it.
type fixture struct {
	t      *testing.T
	fake   *c8yfake.Platform
	url    string
	client *http.Client
}

// newFixture starts a fake. With a spec, every request and response is checked against it.
func newFixture(t *testing.T, spec *oascheck.Spec) *fixture {
	t.Helper()
	return serveFake(t, c8yfake.New(c8yfake.Options{}), spec)
}

// serveFake serves fake on a test server. With a spec, every request and response is
// checked against it.
func serveFake(t *testing.T, fake *c8yfake.Platform, spec *oascheck.Spec) *fixture {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	client := srv.Client()
	if spec != nil {
		client = &http.Client{Transport: spec.Transport(t, srv.Client().Transport)}
	}
	return &fixture{t: t, fake: fake, url: srv.URL, client: client}
}

// response is a decoded response of the fake.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends a request with the given credentials (an Authorization value, or "" for
// none), headers as name, value pairs, and a JSON body unless body is nil.
func (f *fixture) call(method, path, authorization string, body any, headers ...string) response {
	f.t.Helper()
	var reader io.Reader
	if body != nil {
		encoded, err := json.Marshal(body)
		if err != nil {
			f.t.Fatalf("encoding the body: %v", err)
		}
		reader = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.url+path, reader)
	if err != nil {
		f.t.Fatalf("building %s %s: %v", method, path, err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}

	resp, err := f.client.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatalf("reading the response of %s %s: %v", method, path, err)
	}

	result := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &result.body); err != nil {
			f.t.Fatalf("response of %s %s is not a JSON object: %s", method, path, raw)
		}
	}
	return result
}

// createDevice creates a device as the given user and returns its id.
func (f *fixture) createDevice(c c8yfake.Credentials, name string) string {
	f.t.Helper()
	resp := f.call(http.MethodPost, "/inventory/managedObjects", c.Authorization(),
		map[string]any{"name": name, "type": "c8y_Test", "c8y_IsDevice": map[string]any{}},
		"Content-Type", typeManagedObject, "Accept", typeManagedObject)
	if resp.status != http.StatusCreated {
		f.t.Fatalf("creating device %s: status %d: %s", name, resp.status, resp.raw)
	}
	return resp.body["id"].(string)
}

func wantStatus(t *testing.T, what string, got response, want int) {
	t.Helper()
	if got.status != want {
		t.Errorf("%s: status %d, want %d; body %s", what, got.status, want, got.raw)
	}
}

// wantPlatformError checks that a response has the platform's error body and media type.
func wantPlatformError(t *testing.T, what string, got response, status int) {
	t.Helper()
	wantStatus(t, what, got, status)
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.com.nsn.cumulocity.error+json") {
		t.Errorf("%s: Content-Type %q, want the error media type", what, ct)
	}
	if code, _ := got.body["error"].(string); !strings.Contains(code, "/") {
		t.Errorf("%s: error field %q, want <area>/<kind>", what, code)
	}
	if message, _ := got.body["message"].(string); message == "" {
		t.Errorf("%s: error body has no message: %s", what, got.raw)
	}
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	service := f.fake.Subscribe("t100")
	token := f.fake.Token(service)

	tests := []struct {
		name          string
		authorization string
		want          int
	}{
		{name: "service user", authorization: service.Authorization(), want: 200},
		{name: "bearer token", authorization: "Bearer " + token, want: 200},
		{name: "none", want: 401},
		{name: "unprefixed", authorization: basic(service.User + ":" + service.Password), want: 401},
		{name: "wrong password", authorization: basic("t100/" + service.User + ":wrong"), want: 401},
		{name: "other tenant", authorization: basic("t200/" + service.User + ":" + service.Password), want: 401},
		{name: "unknown token", authorization: "Bearer a.b.c", want: 401},
		{name: "not base64", authorization: "Basic ???", want: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(http.MethodGet, "/tenant/currentTenant", tt.authorization, nil)
			if tt.want == 401 {
				wantPlatformError(t, "GET /tenant/currentTenant", resp, 401)
				return
			}
			wantStatus(t, "GET /tenant/currentTenant", resp, tt.want)
			if resp.body["name"] != "t100" {
				t.Errorf("tenant name = %v, want t100", resp.body["name"])
			}
		})
	}
}

func TestSubscriptionsBootstrapOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	first := f.fake.Subscribe("t100")
	second := f.fake.Subscribe("t200")
	human := f.fake.AddUser("t100", "alice")

	for name, c := range map[string]c8yfake.Credentials{"service user": first, "human user": human} {
		resp := f.call(http.MethodGet, "/application/currentApplication/subscriptions", c.Authorization(), nil)
		wantPlatformError(t, "subscriptions as the "+name, resp, http.StatusForbidden)
	}

	resp := f.call(http.MethodGet, "/application/currentApplication/subscriptions", f.fake.Bootstrap().Authorization(), nil)
	wantStatus(t, "subscriptions as the bootstrap user", resp, http.StatusOK)
	var body struct {
		Users []struct{ Tenant, Name, Password string }
	}
	if err := json.Unmarshal(resp.raw, &body); err != nil {
		t.Fatalf("decoding %s: %v", resp.raw, err)
	}
	if len(body.Users) != 2 {
		t.Fatalf("users = %+v, want two", body.Users)
	}
	for i, want := range []c8yfake.Credentials{first, second} {
		got := body.Users[i]
		if got.Tenant != want.Tenant || got.Name != want.User || got.Password != want.Password {
			t.Errorf("user %d = %+v, want %+v", i, got, want)
		}
	}
}

func TestResubscriptionChangesPassword(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	first := f.fake.Subscribe("t100")
	again := f.fake.Subscribe("t100")

	if again != first {
		t.Errorf("subscribing twice changed the service user: %v then %v", first.User, again.User)
	}

	f.fake.Unsubscribe("t100")
	if _, ok := f.fake.ServiceUser("t100"); ok {
		t.Error("ServiceUser reports an unsubscribed tenant")
	}
	wantPlatformError(t, "old credentials after leaving", f.call(http.MethodGet, "/tenant/currentTenant", first.Authorization(), nil), 401)

	renewed := f.fake.Subscribe("t100")
	if renewed.Password == first.Password {
		t.Error("resubscription kept the old password")
	}
	wantPlatformError(t, "old credentials after resubscribing", f.call(http.MethodGet, "/tenant/currentTenant", first.Authorization(), nil), 401)
	wantStatus(t, "new credentials", f.call(http.MethodGet, "/tenant/currentTenant", renewed.Authorization(), nil), 200)
}

func TestMediaTypes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	device := f.createDevice(c, "d1")
	one := map[string]any{"source": map[string]any{"id": device}, "type": "t", "time": "2026-12-04T20:15:01.123+01:00", "c8y_T": map[string]any{"T": map[string]any{"value": 1, "unit": "C"}}}
	collection := map[string]any{"measurements": []any{one, one}}

	tests := []struct {
		name        string
		body        any
		contentType string
		accept      string
		want        int
		wantBody    bool
	}{
		{name: "one", body: one, contentType: typeMeasurement, accept: typeMeasurement, want: 201, wantBody: true},
		{name: "one as plain json", body: one, contentType: "application/json", accept: "application/json", want: 201, wantBody: true},
		{name: "media type case", body: one, contentType: strings.ToLower(typeMeasurement) + "; charset=UTF-8", accept: strings.ToUpper(typeMeasurement), want: 201, wantBody: true},
		{name: "collection", body: collection, contentType: typeMeasurementCollection, accept: typeMeasurementCollection, want: 201, wantBody: true},
		{name: "collection as plain json", body: collection, contentType: "application/json", accept: "application/json", want: 422},
		{name: "collection as one", body: collection, contentType: typeMeasurement, accept: typeMeasurement, want: 422},
		{name: "text", body: one, contentType: "text/plain", accept: typeMeasurement, want: 415},
		{name: "no content type", body: one, accept: typeMeasurement, want: 415},
		{name: "not acceptable", body: one, contentType: typeMeasurement, accept: "text/html", want: 406},
		{name: "no accept", body: one, contentType: typeMeasurement, want: 201},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headers := []string{"Content-Type", tt.contentType, "Accept", tt.accept}
			resp := f.call(http.MethodPost, "/measurement/measurements", c.Authorization(), tt.body, headers...)

			if tt.want >= 400 {
				wantPlatformError(t, "POST /measurement/measurements", resp, tt.want)
				return
			}
			wantStatus(t, "POST /measurement/measurements", resp, tt.want)
			if got := len(resp.raw) > 0; got != tt.wantBody {
				t.Errorf("body present = %v, want %v: %s", got, tt.wantBody, resp.raw)
			}
		})
	}
}

func TestPostWithoutAcceptHasLocation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")

	resp := f.call(http.MethodPost, "/inventory/managedObjects", c.Authorization(), map[string]any{"name": "d"}, "Content-Type", typeManagedObject)

	wantStatus(t, "POST without Accept", resp, http.StatusCreated)
	if len(resp.raw) != 0 {
		t.Errorf("body = %s, want none", resp.raw)
	}
	if location := resp.header.Get("Location"); !strings.Contains(location, "/inventory/managedObjects/") {
		t.Errorf("Location = %q, want the new object's URL", location)
	}
}

func TestMeasurementValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	device := f.createDevice(c, "d1")
	valid := func() map[string]any {
		return map[string]any{"source": map[string]any{"id": device}, "type": "t", "time": "2026-12-04T20:15:01.123Z",
			"c8y_T": map[string]any{"T": map[string]any{"value": 1.5, "unit": "C"}}}
	}

	tests := map[string]func(m map[string]any){
		"no offset":        func(m map[string]any) { m["time"] = "2026-12-04T20:15:01.123" },
		"not a time":       func(m map[string]any) { m["time"] = "yesterday" },
		"no type":          func(m map[string]any) { delete(m, "type") },
		"no source":        func(m map[string]any) { delete(m, "source") },
		"unknown source":   func(m map[string]any) { m["source"] = map[string]any{"id": "999999"} },
		"dot in fragment":  func(m map[string]any) { m["c8y.T"] = m["c8y_T"] },
		"space in series":  func(m map[string]any) { m["c8y_T"] = map[string]any{"T 1": map[string]any{"value": 1}} },
		"dollar in series": func(m map[string]any) { m["c8y_T"] = map[string]any{"T$": map[string]any{"value": 1}} },
		"text value":       func(m map[string]any) { m["c8y_T"] = map[string]any{"T": map[string]any{"value": "1"}} },
		"empty unit":       func(m map[string]any) { m["c8y_T"] = map[string]any{"T": map[string]any{"value": 1, "unit": ""}} },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			m := valid()
			change(m)
			resp := f.call(http.MethodPost, "/measurement/measurements", c.Authorization(), m, "Content-Type", typeMeasurement, "Accept", typeMeasurement)
			wantPlatformError(t, "POST "+name, resp, http.StatusUnprocessableEntity)
		})
	}

	// One invalid measurement rejects the whole collection.
	bad := valid()
	bad["time"] = "nope"
	resp := f.call(http.MethodPost, "/measurement/measurements", c.Authorization(),
		map[string]any{"measurements": []any{valid(), bad}}, "Content-Type", typeMeasurementCollection, "Accept", typeMeasurementCollection)
	wantPlatformError(t, "collection with one invalid measurement", resp, http.StatusUnprocessableEntity)
	if got := len(f.fake.Measurements("t100")); got != 0 {
		t.Errorf("stored %d measurements, want none", got)
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	var ids []string
	for i := range 7 {
		ids = append(ids, f.createDevice(c, "device"+string(rune('a'+i))))
	}
	f.call(http.MethodPost, "/inventory/managedObjects", c.Authorization(), map[string]any{"name": "other", "type": "c8y_Other"},
		"Content-Type", typeManagedObject, "Accept", typeManagedObject)

	var seen []string
	next := "/inventory/managedObjects?type=c8y_Test&pageSize=3&withTotalPages=true"
	for page := 1; next != ""; page++ {
		resp := f.call(http.MethodGet, next, c.Authorization(), nil)
		wantStatus(t, "GET "+next, resp, 200)

		statistics := resp.body["statistics"].(map[string]any)
		if statistics["currentPage"] != float64(page) || statistics["pageSize"] != float64(3) || statistics["totalPages"] != float64(3) {
			t.Errorf("page %d statistics = %v, want currentPage %d, pageSize 3, totalPages 3", page, statistics, page)
		}
		for _, object := range resp.body["managedObjects"].([]any) {
			id, ok := object.(map[string]any)["id"].(string)
			if !ok {
				t.Fatalf("id of %v is not a string", object)
			}
			seen = append(seen, id)
		}

		next = ""
		if link, ok := resp.body["next"].(string); ok {
			next = strings.TrimPrefix(link, f.url)
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}

	if strings.Join(seen, ",") != strings.Join(ids, ",") {
		t.Errorf("paged ids = %v, want %v", seen, ids)
	}
}

func TestInvalidPageSize(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")

	for _, query := range []string{"pageSize=0", "pageSize=x", "currentPage=-1"} {
		resp := f.call(http.MethodGet, "/inventory/managedObjects?"+query, c.Authorization(), nil)
		wantPlatformError(t, query, resp, http.StatusUnprocessableEntity)
	}
}

func TestExternalIDs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	first, second := f.createDevice(c, "d1"), f.createDevice(c, "d2")
	ext := map[string]any{"type": "c8y_Serial", "externalId": "sn-1"}
	post := func(id string) response {
		return f.call(http.MethodPost, "/identity/globalIds/"+id+"/externalIds", c.Authorization(), ext, "Content-Type", typeExternalID, "Accept", typeExternalID)
	}

	wantPlatformError(t, "lookup before creation", f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", c.Authorization(), nil), 404)
	wantStatus(t, "first registration", post(first), http.StatusCreated)
	wantPlatformError(t, "second registration", post(second), http.StatusConflict)
	wantPlatformError(t, "registration on a missing object", post("424242"), http.StatusNotFound)

	resp := f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", c.Authorization(), nil)
	wantStatus(t, "lookup", resp, 200)
	if got := resp.body["managedObject"].(map[string]any)["id"]; got != first {
		t.Errorf("external id points to %v, want %s", got, first)
	}

	// Deleting the object frees its external id.
	wantStatus(t, "delete", f.call(http.MethodDelete, "/inventory/managedObjects/"+first, c.Authorization(), nil), http.StatusNoContent)
	wantPlatformError(t, "lookup after delete", f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", c.Authorization(), nil), 404)
	wantStatus(t, "registration after delete", post(second), http.StatusCreated)
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	first, second := f.fake.Subscribe("t100"), f.fake.Subscribe("t200")
	id := f.createDevice(first, "d1")
	f.call(http.MethodPost, "/identity/globalIds/"+id+"/externalIds", first.Authorization(),
		map[string]any{"type": "c8y_Serial", "externalId": "sn-1"}, "Content-Type", typeExternalID, "Accept", typeExternalID)

	wantPlatformError(t, "other tenant's object", f.call(http.MethodGet, "/inventory/managedObjects/"+id, second.Authorization(), nil), 404)
	wantPlatformError(t, "other tenant's external id", f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", second.Authorization(), nil), 404)
	wantPlatformError(t, "delete other tenant's object", f.call(http.MethodDelete, "/inventory/managedObjects/"+id, second.Authorization(), nil), 404)

	list := f.call(http.MethodGet, "/inventory/managedObjects", second.Authorization(), nil)
	if objects := list.body["managedObjects"].([]any); len(objects) != 0 {
		t.Errorf("t200 lists %d objects, want none", len(objects))
	}
	if got := len(f.fake.ManagedObjects("t100")); got != 1 {
		t.Errorf("t100 has %d objects, want 1", got)
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	reader := f.fake.AddUser("t100", "reader", "ROLE_INVENTORY_READ")

	wantStatus(t, "read with the read role", f.call(http.MethodGet, "/inventory/managedObjects", reader.Authorization(), nil), 200)
	resp := f.call(http.MethodPost, "/inventory/managedObjects", reader.Authorization(), map[string]any{"name": "d"},
		"Content-Type", typeManagedObject, "Accept", typeManagedObject)
	wantPlatformError(t, "create without the admin role", resp, http.StatusForbidden)

	user := f.call(http.MethodGet, "/user/currentUser", reader.Authorization(), nil)
	roles := user.body["effectiveRoles"].([]any)
	if len(roles) != 1 || roles[0].(map[string]any)["id"] != "ROLE_INVENTORY_READ" {
		t.Errorf("effectiveRoles = %v, want only ROLE_INVENTORY_READ", roles)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	f.fake.Inject(c8yfake.Fault{Path: "/tenant/*", Times: 2, Status: 429, RetryAfter: "3"})
	f.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/inventory/managedObjects", Status: 503})

	for i := range 2 {
		resp := f.call(http.MethodGet, "/tenant/currentTenant", c.Authorization(), nil)
		wantPlatformError(t, "faulted request", resp, 429)
		if got := resp.header.Get("Retry-After"); got != "3" {
			t.Errorf("request %d: Retry-After = %q, want 3", i, got)
		}
	}
	wantStatus(t, "after the fault", f.call(http.MethodGet, "/tenant/currentTenant", c.Authorization(), nil), 200)
	wantStatus(t, "other method", f.call(http.MethodGet, "/inventory/managedObjects", c.Authorization(), nil), 200)
	wantPlatformError(t, "matching method", f.call(http.MethodPost, "/inventory/managedObjects", c.Authorization(), map[string]any{"name": "d"},
		"Content-Type", typeManagedObject, "Accept", typeManagedObject), 503)

	if got := f.fake.Count(http.MethodGet, "/tenant/currentTenant"); got != 3 {
		t.Errorf("Count(GET /tenant/currentTenant) = %d, want 3", got)
	}
}

func TestFaultDelayAndDrop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")
	f.fake.Inject(c8yfake.Fault{Path: "/tenant/currentTenant", Delay: 200 * time.Millisecond})
	f.fake.Inject(c8yfake.Fault{Path: "/user/currentUser", Drop: true})

	start := time.Now()
	wantStatus(t, "delayed request", f.call(http.MethodGet, "/tenant/currentTenant", c.Authorization(), nil), 200)
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond {
		t.Errorf("delayed request took %s, want at least 200ms", elapsed)
	}

	// A new connection, because net/http repeats a GET once when a reused one fails.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.url+"/user/currentUser", nil)
	req.Header.Set("Authorization", c.Authorization())
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("dropped request got status %d, want a connection error", resp.StatusCode)
	}
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	c := f.fake.Subscribe("t100")

	f.call(http.MethodGet, "/inventory/managedObjects?type=x", c.Authorization(), nil, "X-Cumulocity-Application-Key", "app-key")
	f.call(http.MethodGet, "/tenant/currentTenant", "", nil)

	requests := f.fake.Requests()
	if len(requests) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(requests))
	}
	want := c8yfake.Request{Method: "GET", Path: "/inventory/managedObjects", Query: "type=x", ApplicationKey: "app-key", Tenant: "t100", User: c.User, Status: 200}
	if requests[0] != want {
		t.Errorf("first request = %+v, want %+v", requests[0], want)
	}
	if requests[1].Status != 401 || requests[1].Tenant != "" {
		t.Errorf("second request = %+v, want status 401 and no tenant", requests[1])
	}
}

func TestSpecConformance(t *testing.T) {
	t.Parallel()
	spec := oascheck.Load(t)
	f := newFixture(t, spec)
	c := f.fake.Subscribe("t100")
	id := f.createDevice(c, "d1")
	ext := map[string]any{"type": "c8y_Serial", "externalId": "sn-1"}
	m := map[string]any{"source": map[string]any{"id": id}, "type": "t", "time": "2026-12-04T20:15:01.123+01:00", "c8y_T": map[string]any{"T": map[string]any{"value": 1, "unit": "C"}}}

	// Each call's request and response pass through the spec check; the statuses make sure
	// the intended branch ran.
	checks := []struct {
		name   string
		resp   response
		status int
	}{
		{"subscriptions", f.call(http.MethodGet, "/application/currentApplication/subscriptions", f.fake.Bootstrap().Authorization(), nil, "Accept", "application/vnd.com.nsn.cumulocity.applicationUserCollection+json"), 200},
		{"current tenant", f.call(http.MethodGet, "/tenant/currentTenant", c.Authorization(), nil), 200},
		{"current user", f.call(http.MethodGet, "/user/currentUser", c.Authorization(), nil), 200},
		{"list", f.call(http.MethodGet, "/inventory/managedObjects?type=c8y_Test&pageSize=1&currentPage=1", c.Authorization(), nil), 200},
		{"get", f.call(http.MethodGet, "/inventory/managedObjects/"+id, c.Authorization(), nil), 200},
		{"get missing", f.call(http.MethodGet, "/inventory/managedObjects/1", c.Authorization(), nil), 404},
		{"external id missing", f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", c.Authorization(), nil), 404},
		{"external id create", f.call(http.MethodPost, "/identity/globalIds/"+id+"/externalIds", c.Authorization(), ext, "Content-Type", typeExternalID, "Accept", typeExternalID), 201},
		{"external id conflict", f.call(http.MethodPost, "/identity/globalIds/"+id+"/externalIds", c.Authorization(), ext, "Content-Type", typeExternalID, "Accept", typeExternalID), 409},
		{"external id", f.call(http.MethodGet, "/identity/externalIds/c8y_Serial/sn-1", c.Authorization(), nil), 200},
		{"external ids of object", f.call(http.MethodGet, "/identity/globalIds/"+id+"/externalIds", c.Authorization(), nil), 200},
		{"measurement", f.call(http.MethodPost, "/measurement/measurements", c.Authorization(), m, "Content-Type", typeMeasurement, "Accept", typeMeasurement), 201},
		{"measurements", f.call(http.MethodPost, "/measurement/measurements", c.Authorization(), map[string]any{"measurements": []any{m, m}}, "Content-Type", typeMeasurementCollection, "Accept", typeMeasurementCollection), 201},
		{"unauthorized", f.call(http.MethodGet, "/tenant/currentTenant", basic("t100/nobody:x"), nil), 401},
		{"delete", f.call(http.MethodDelete, "/inventory/managedObjects/"+id, c.Authorization(), nil), 204},
	}
	for _, check := range checks {
		wantStatus(t, check.name, check.resp, check.status)
	}
}

func basic(userPassword string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPassword))
}
