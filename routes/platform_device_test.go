package routes_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/config"
	"hello-microservice/routes"
)

const deviceExternalID = "c8y_Serial/hello-microservice-device"

// measurementTime is RFC 3339 with milliseconds and a numeric offset.
var measurementTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$`)

// devices returns the tenant's managed objects that are devices.
func devices(fake *c8yfake.Platform, tenant string) []map[string]any {
	var found []map[string]any
	for _, object := range fake.ManagedObjects(tenant) {
		if _, ok := object["c8y_IsDevice"]; ok {
			found = append(found, object)
		}
	}
	return found
}

func TestDeviceLifecycle(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	in := f.newInstance(nil, routes.Platform{})

	wantError(t, "GET /device before any measurement", in.do(http.MethodGet, "/device", alice.Authorization()), 404, "device_not_found")

	first := in.do(http.MethodPost, "/measurements", alice.Authorization())
	if first.status != http.StatusCreated {
		t.Fatalf("first POST /measurements: %d %s", first.status, first.raw)
	}
	second := in.do(http.MethodPost, "/measurements", alice.Authorization())
	if second.status != http.StatusCreated {
		t.Fatalf("second POST /measurements: %d %s", second.status, second.raw)
	}

	stored := devices(f.fake, "t100")
	if len(stored) != 1 {
		t.Fatalf("t100 has %d devices, want 1", len(stored))
	}
	device := stored[0]
	if device["name"] != "Hello microservice device" || device["type"] != "c8y_HelloMicroserviceDevice" {
		t.Errorf("device = %v, want the hello device's name and type", device)
	}
	if got := f.fake.ExternalIDs("t100")[deviceExternalID]; got != device["id"] {
		t.Errorf("external id points to %q, want the device %v", got, device["id"])
	}

	got := in.do(http.MethodGet, "/device", alice.Authorization())
	if got.status != http.StatusOK {
		t.Fatalf("GET /device: %d %s", got.status, got.raw)
	}
	if got.body["id"] != device["id"] || got.body["name"] != device["name"] {
		t.Errorf("GET /device = %s, want the device %v", got.raw, device["id"])
	}
	if _, ok := got.body["self"]; ok {
		t.Errorf("GET /device shows the platform's internal self link: %s", got.raw)
	}
}

func TestMeasurementsSent(t *testing.T) {
	t.Parallel()
	zone := time.FixedZone("UTC+1", 3600)
	now := func() time.Time { return time.Date(2026, 12, 4, 20, 15, 1, 123456789, zone) }

	tests := []struct {
		query           string
		count           int
		wantContentType string
	}{
		{query: "", count: 1, wantContentType: "application/vnd.com.nsn.cumulocity.measurement+json"},
		{query: "?count=1", count: 1, wantContentType: "application/vnd.com.nsn.cumulocity.measurement+json"},
		{query: "?count=7", count: 7, wantContentType: "application/vnd.com.nsn.cumulocity.measurementCollection+json"},
		{query: "?count=100", count: 100, wantContentType: "application/vnd.com.nsn.cumulocity.measurementCollection+json"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.count, tt.query), func(t *testing.T) {
			t.Parallel()
			f := newPlatformFixture(t)
			f.fake.Subscribe("t100")
			alice := f.fake.AddUser("t100", "alice")
			in := f.newInstance(nil, routes.Platform{Now: now})

			got := in.do(http.MethodPost, "/measurements"+tt.query, alice.Authorization())

			if got.status != http.StatusCreated {
				t.Fatalf("status %d, want 201: %s", got.status, got.raw)
			}
			created, _ := got.body["measurements"].([]any)
			if len(created) != tt.count {
				t.Fatalf("response has %d measurements, want %d", len(created), tt.count)
			}
			first := created[0].(map[string]any)
			if id, _ := first["id"].(string); id == "" {
				t.Errorf("created measurement %v has no id", first)
			}
			if _, ok := first["self"]; ok {
				t.Errorf("created measurement %v shows the platform's internal self link", first)
			}
			var contentTypes []string
			for _, req := range f.fake.Requests() {
				if req.Method == http.MethodPost && req.Path == "/measurement/measurements" {
					contentTypes = append(contentTypes, req.ContentType)
				}
			}
			if len(contentTypes) != 1 || contentTypes[0] != tt.wantContentType {
				t.Errorf("measurement requests sent with %q, want one with %q", contentTypes, tt.wantContentType)
			}

			stored := f.fake.Measurements("t100")
			if len(stored) != tt.count {
				t.Fatalf("the platform stores %d measurements, want %d", len(stored), tt.count)
			}
			deviceID := devices(f.fake, "t100")[0]["id"]
			for i, m := range stored {
				checkMeasurement(t, i, m, deviceID)
			}
			if last := stored[len(stored)-1]["time"]; last != "2026-12-04T20:15:01.123+01:00" {
				t.Errorf("time of the last measurement = %v, want 2026-12-04T20:15:01.123+01:00", last)
			}
		})
	}
}

// checkMeasurement checks one stored measurement: its source, type and time, and series
// with numeric values, non-empty units and names the platform accepts.
func checkMeasurement(t *testing.T, i int, m map[string]any, deviceID any) {
	t.Helper()
	if source := m["source"].(map[string]any); source["id"] != deviceID {
		t.Errorf("measurement %d: source %v, want the device %v", i, source["id"], deviceID)
	}
	if m["type"] != "c8y_HelloMeasurement" {
		t.Errorf("measurement %d: type %v, want c8y_HelloMeasurement", i, m["type"])
	}
	if text, _ := m["time"].(string); !measurementTime.MatchString(text) {
		t.Errorf("measurement %d: time %q, want RFC 3339 with milliseconds and an offset", i, text)
	}

	series := 0
	for fragment, value := range m {
		members, ok := value.(map[string]any)
		if !ok || fragment == "source" {
			continue
		}
		for name, member := range members {
			series++
			if strings.ContainsAny(fragment+name, " .,*[]()@$") {
				t.Errorf("measurement %d: name %s.%s has a character the platform rejects", i, fragment, name)
			}
			reading := member.(map[string]any)
			if _, ok := reading["value"].(float64); !ok {
				t.Errorf("measurement %d: %s.%s value %v is not a number", i, fragment, name, reading["value"])
			}
			if unit, _ := reading["unit"].(string); unit == "" {
				t.Errorf("measurement %d: %s.%s has no unit", i, fragment, name)
			}
		}
	}
	if series == 0 {
		t.Errorf("measurement %d has no series: %v", i, m)
	}
}

func TestConcurrentFirstRequests(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	tenantIDs := []string{"t100", "t200"}
	users := map[string]c8yfake.Credentials{}
	for _, tenant := range tenantIDs {
		f.fake.Subscribe(tenant)
		users[tenant] = f.fake.AddUser(tenant, "alice")
	}
	replicas := []*instance{f.newInstance(nil, routes.Platform{}), f.newInstance(nil, routes.Platform{})}
	// Hold the first device lookups, so that both replicas miss the device and race to
	// create it.
	f.fake.Inject(c8yfake.Fault{Method: http.MethodGet, Path: "/identity/externalIds/*/*", Times: 4, Delay: 300 * time.Millisecond})

	var wg sync.WaitGroup
	statuses := make(chan string, 40)
	for _, replica := range replicas {
		for i := range 20 {
			tenant := tenantIDs[i%2]
			wg.Go(func() {
				got := replica.do(http.MethodPost, "/measurements", users[tenant].Authorization())
				if got.status != http.StatusCreated {
					statuses <- fmt.Sprintf("%s: %d %s", tenant, got.status, got.raw)
				}
			})
		}
	}
	wg.Wait()
	close(statuses)
	for failure := range statuses {
		t.Errorf("POST /measurements failed: %s", failure)
	}

	for _, tenant := range tenantIDs {
		found := devices(f.fake, tenant)
		if len(found) != 1 {
			t.Errorf("%s has %d devices, want exactly 1", tenant, len(found))
			continue
		}
		if got := f.fake.ExternalIDs(tenant)[deviceExternalID]; got != found[0]["id"] {
			t.Errorf("%s: external id points to %q, want %v", tenant, got, found[0]["id"])
		}
		measurements := f.fake.Measurements(tenant)
		if len(measurements) != 20 {
			t.Errorf("%s has %d measurements, want 20", tenant, len(measurements))
		}
		for _, m := range measurements {
			if id := m["source"].(map[string]any)["id"]; id != found[0]["id"] {
				t.Errorf("%s: a measurement has source %v, want the one device %v", tenant, id, found[0]["id"])
			}
		}
	}
	t.Logf("device lookups %d, creations %d, deletions of duplicates %d",
		f.fake.Count(http.MethodGet, "/identity/externalIds/*/*"),
		f.fake.Count(http.MethodPost, "/inventory/managedObjects"),
		f.fake.Count(http.MethodDelete, "/inventory/managedObjects/*"))
}

// createTypedDevice creates a device of the hello type without the external id, as an
// older version of the service or a user would have, and returns its id.
func createTypedDevice(t *testing.T, f *platformFixture, user c8yfake.Credentials, name string, isDevice bool) string {
	t.Helper()
	object := c8y.ManagedObject{Name: name, Type: "c8y_HelloMicroserviceDevice"}
	if isDevice {
		object.IsDevice = &struct{}{}
	}
	client := f.client.WithAuth(c8y.Credentials{Tenant: user.Tenant, User: user.User, Password: config.Secret(user.Password)})

	created, err := client.CreateManagedObject(t.Context(), object)
	if err != nil {
		t.Fatalf("creating %q: %v", name, err)
	}
	return created.ID
}

func TestDeviceAdopted(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	service := f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	createTypedDevice(t, f, alice, "not a device", false)
	oldest := createTypedDevice(t, f, alice, "hello device of an older version", true)
	createTypedDevice(t, f, service, "a later copy", true)
	createdBefore := f.fake.Count(http.MethodPost, "/inventory/managedObjects")
	in := f.newInstance(nil, routes.Platform{})

	shown := in.do(http.MethodGet, "/device", alice.Authorization())
	if shown.status != http.StatusOK || shown.body["id"] != oldest {
		t.Errorf("GET /device before adoption = %d %s, want 200 with the oldest device %s", shown.status, shown.raw, oldest)
	}
	if got := len(f.fake.ExternalIDs("t100")); got != 0 {
		t.Errorf("GET /device registered %d external ids, want none", got)
	}

	for range 2 {
		if got := in.do(http.MethodPost, "/measurements", alice.Authorization()); got.status != http.StatusCreated {
			t.Fatalf("POST /measurements: %d %s", got.status, got.raw)
		}
	}

	if got := f.fake.Count(http.MethodPost, "/inventory/managedObjects"); got != createdBefore {
		t.Errorf("the service created %d managed objects, want none", got-createdBefore)
	}
	if got := len(devices(f.fake, "t100")); got != 2 {
		t.Errorf("t100 has %d devices, want the 2 it had", got)
	}
	if got := f.fake.ExternalIDs("t100")[deviceExternalID]; got != oldest {
		t.Errorf("external id points to %q, want the oldest device %s", got, oldest)
	}
	for _, m := range f.fake.Measurements("t100") {
		if id := m["source"].(map[string]any)["id"]; id != oldest {
			t.Errorf("a measurement has source %v, want the adopted device %s", id, oldest)
		}
	}
	if !strings.Contains(f.logs.String(), `"msg":"hello device adopted"`) {
		t.Errorf("the log does not report the adoption:\n%s", f.logs)
	}
}

func TestDeviceAdoptionRace(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	existing := createTypedDevice(t, f, alice, "hello device of an older version", true)
	first, second := f.newInstance(nil, routes.Platform{}), f.newInstance(nil, routes.Platform{})
	// Hold the first replica's registration of the external id while the second replica
	// adopts the same device.
	f.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/identity/globalIds/*/externalIds", Delay: 2 * time.Second})

	firstDone := make(chan reply, 1)
	go func() { firstDone <- first.do(http.MethodPost, "/measurements", alice.Authorization()) }()
	waitForRequest(t, f, http.MethodPost, "/identity/globalIds/*/externalIds")
	secondReply := second.do(http.MethodPost, "/measurements", alice.Authorization())
	firstReply := <-firstDone

	for name, got := range map[string]reply{"first": firstReply, "second": secondReply} {
		if got.status != http.StatusCreated {
			t.Errorf("%s replica: status %d, want 201: %s", name, got.status, got.raw)
		}
	}
	if got := f.fake.Count(http.MethodPost, "/identity/globalIds/*/externalIds"); got != 2 {
		t.Errorf("external id registered %d times, want 2: the race did not happen", got)
	}
	if got := f.fake.Count(http.MethodPost, "/inventory/managedObjects"); got != 1 {
		t.Errorf("%d managed objects created, want only the one the test made", got)
	}
	if got := f.fake.Count(http.MethodDelete, "/inventory/managedObjects/*"); got != 0 {
		t.Errorf("%d devices deleted, want none: neither replica created one", got)
	}
	for _, m := range f.fake.Measurements("t100") {
		if id := m["source"].(map[string]any)["id"]; id != existing {
			t.Errorf("a measurement has source %v, want the adopted device %s", id, existing)
		}
	}
}

// waitForRequest waits up to 10 seconds until the fake has received a request that
// matches method and pattern.
func waitForRequest(t *testing.T, f *platformFixture, method, pattern string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for f.fake.Count(method, pattern) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no %s %s within 10s", method, pattern)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDeviceConflictAcrossReplicas(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	first, second := f.newInstance(nil, routes.Platform{}), f.newInstance(nil, routes.Platform{})
	// Hold the first replica's creation of its device while the second replica creates and
	// registers its own, so that neither finds the other's device to adopt.
	f.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/inventory/managedObjects", Delay: 2 * time.Second})

	firstDone := make(chan reply, 1)
	go func() { firstDone <- first.do(http.MethodPost, "/measurements", alice.Authorization()) }()
	waitForRequest(t, f, http.MethodPost, "/inventory/managedObjects")
	secondReply := second.do(http.MethodPost, "/measurements", alice.Authorization())
	firstReply := <-firstDone

	for name, got := range map[string]reply{"first": firstReply, "second": secondReply} {
		if got.status != http.StatusCreated {
			t.Errorf("%s replica: status %d, want 201: %s", name, got.status, got.raw)
		}
	}
	found := devices(f.fake, "t100")
	if len(found) != 1 {
		t.Fatalf("t100 has %d devices, want 1", len(found))
	}
	if got := f.fake.Count(http.MethodDelete, "/inventory/managedObjects/*"); got != 1 {
		t.Errorf("duplicates deleted %d times, want 1", got)
	}
	for _, m := range f.fake.Measurements("t100") {
		if id := m["source"].(map[string]any)["id"]; id != found[0]["id"] {
			t.Errorf("a measurement has source %v, want the registered device %v", id, found[0]["id"])
		}
	}
	if !strings.Contains(f.logs.String(), "deleted a duplicate hello device") {
		t.Errorf("the log does not report the deleted duplicate:\n%s", f.logs)
	}
}

// TestDeviceAdoptedWhileRegistering holds the first replica's registration of the device
// it created. The second replica adopts that device, so the first one's 409 names its own
// device, which it keeps.
func TestDeviceAdoptedWhileRegistering(t *testing.T) {
	t.Parallel()
	f := newPlatformFixture(t)
	f.fake.Subscribe("t100")
	alice := f.fake.AddUser("t100", "alice")
	first, second := f.newInstance(nil, routes.Platform{}), f.newInstance(nil, routes.Platform{})
	f.fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/identity/globalIds/*/externalIds", Delay: 2 * time.Second})

	firstDone := make(chan reply, 1)
	go func() { firstDone <- first.do(http.MethodPost, "/measurements", alice.Authorization()) }()
	waitForRequest(t, f, http.MethodPost, "/identity/globalIds/*/externalIds")
	secondReply := second.do(http.MethodPost, "/measurements", alice.Authorization())
	firstReply := <-firstDone

	for name, got := range map[string]reply{"first": firstReply, "second": secondReply} {
		if got.status != http.StatusCreated {
			t.Errorf("%s replica: status %d, want 201: %s", name, got.status, got.raw)
		}
	}
	found := devices(f.fake, "t100")
	if len(found) != 1 {
		t.Fatalf("t100 has %d devices, want 1", len(found))
	}
	if got := f.fake.Count(http.MethodDelete, "/inventory/managedObjects/*"); got != 0 {
		t.Errorf("devices deleted %d times, want none", got)
	}
	if got := f.fake.ExternalIDs("t100")[deviceExternalID]; got != found[0]["id"] {
		t.Errorf("external id points to %q, want the one device %v", got, found[0]["id"])
	}
}
