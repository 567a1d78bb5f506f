package c8yfake_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
)

const (
	typeApplication          = "application/vnd.com.nsn.cumulocity.application+json"
	typeApplicationReference = "application/vnd.com.nsn.cumulocity.applicationReference+json"
)

// deployerRoles are the roles of a user who deploys microservices.
func deployerRoles() []string {
	return append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")
}

// createApplication creates a microservice as the user and returns its id.
func (f *fixture) createApplication(c c8yfake.Credentials, name string) string {
	f.t.Helper()
	resp := f.call(http.MethodPost, "/application/applications", c.Authorization(),
		map[string]any{"name": name, "key": name + "-key", "type": "MICROSERVICE"},
		"Content-Type", typeApplication, "Accept", typeApplication)
	if resp.status != http.StatusCreated {
		f.t.Fatalf("creating application %s: status %d: %s", name, resp.status, resp.raw)
	}
	return resp.body["id"].(string)
}

// upload sends a multipart body with the given parts (name, content pairs) to the
// application's binaries.
func (f *fixture) upload(c c8yfake.Credentials, id string, parts ...string) response {
	f.t.Helper()
	var body bytes.Buffer
	writer := multipart.NewWriter(&body)
	for i := 0; i+1 < len(parts); i += 2 {
		header := textproto.MIMEHeader{}
		header.Set("Content-Disposition", `form-data; name="`+parts[i]+`"; filename="hello.zip"`)
		header.Set("Content-Type", "application/zip")
		part, err := writer.CreatePart(header)
		if err != nil {
			f.t.Fatal(err)
		}
		part.Write([]byte(parts[i+1]))
	}
	if err := writer.Close(); err != nil {
		f.t.Fatal(err)
	}
	return f.send(http.MethodPost, "/application/applications/"+id+"/binaries", c.Authorization(), &body,
		"Content-Type", writer.FormDataContentType(), "Accept", typeApplication)
}

// subscribe subscribes the tenant to the application as the user.
func (f *fixture) subscribe(c c8yfake.Credentials, tenantID, id string) response {
	f.t.Helper()
	return f.call(http.MethodPost, "/tenant/tenants/"+tenantID+"/applications", c.Authorization(),
		map[string]any{"application": map[string]any{"self": f.url + "/application/applications/" + id}},
		"Content-Type", typeApplicationReference, "Accept", typeApplicationReference)
}

// send sends a raw body; call sends JSON.
func (f *fixture) send(method, path, authorization string, body io.Reader, headers ...string) response {
	f.t.Helper()
	req, err := http.NewRequestWithContext(f.t.Context(), method, f.url+path, body)
	if err != nil {
		f.t.Fatalf("building %s %s: %v", method, path, err)
	}
	req.Header.Set("Authorization", authorization)
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

// statusOf returns the c8y_Status.status of the application's status object as the user
// reads it, or "" when there is none.
func (f *fixture) statusOf(c c8yfake.Credentials, id string) string {
	f.t.Helper()
	resp := f.call(http.MethodGet, "/inventory/managedObjects?type=c8y_Application_"+id, c.Authorization(), nil)
	wantStatus(f.t, "GET the status object", resp, http.StatusOK)
	objects, _ := resp.body["managedObjects"].([]any)
	if len(objects) == 0 {
		return ""
	}
	status, _ := objects[0].(map[string]any)["c8y_Status"].(map[string]any)
	value, _ := status["status"].(string)
	return value
}

func TestApplicationLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, oascheck.Load(t))
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	id := f.createApplication(admin, "hello")

	content := "PK\x03\x04 zip bytes"
	resp := f.upload(admin, id, "file", content)
	wantStatus(t, "upload", resp, http.StatusCreated)
	uploads := f.fake.Uploads()
	digest := sha256.Sum256([]byte(content))
	if len(uploads) != 1 {
		t.Fatalf("uploads = %+v, want one", uploads)
	}
	if got := uploads[0]; got.ApplicationID != id || got.Tenant != "t100" || got.Size != int64(len(content)) || got.SHA256 != hex.EncodeToString(digest[:]) {
		t.Errorf("upload = %+v, want %d bytes to %s from t100 with the content's digest", got, len(content), id)
	}

	if got := f.statusOf(admin, id); got != "" {
		t.Errorf("status before subscribing = %q, want no status object", got)
	}
	wantStatus(t, "subscribe", f.subscribe(admin, "t100", id), http.StatusCreated)
	wantStatus(t, "subscribe again", f.subscribe(admin, "t100", id), http.StatusConflict)
	if got := f.statusOf(admin, id); got != "Up" {
		t.Errorf("status after subscribing = %q, want Up", got)
	}

	resp = f.call(http.MethodGet, "/application/applications/"+id+"/bootstrapUser", admin.Authorization(), nil, "Accept", "application/vnd.com.nsn.cumulocity.user+json")
	wantStatus(t, "bootstrap user", resp, http.StatusOK)
	bootstrap := c8yfake.Credentials{Tenant: resp.body["tenant"].(string), User: resp.body["name"].(string), Password: resp.body["password"].(string)}
	if bootstrap.Tenant != "t100" || bootstrap.User != "servicebootstrap_hello" || bootstrap.Password == "" {
		t.Errorf("bootstrap user = %+v, want servicebootstrap_hello of t100", bootstrap)
	}
	resp = f.call(http.MethodGet, "/application/currentApplication/subscriptions", bootstrap.Authorization(), nil)
	wantStatus(t, "subscriptions as the new bootstrap user", resp, http.StatusOK)
	if users, _ := resp.body["users"].([]any); len(users) != 1 {
		t.Errorf("subscriptions = %s, want the service user of t100", resp.raw)
	}
}

func TestApplicationsByName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, oascheck.Load(t))
	for _, owner := range []string{"t200", "t300", "t400"} {
		f.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: owner, Availability: c8yfake.AvailabilityMarket})
	}
	f.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t500"}) // private: not visible to t100
	f.fake.AddApplication(c8yfake.Application{Name: "hello-world", Owner: "t100"})
	own := f.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)

	var names, owners []string
	for page := 1; page <= 4; page++ {
		resp := f.call(http.MethodGet, "/application/applicationsByName/hello?pageSize=2&currentPage="+strconv.Itoa(page), admin.Authorization(), nil)
		wantStatus(t, "applicationsByName", resp, http.StatusOK)
		apps, _ := resp.body["applications"].([]any)
		for _, app := range apps {
			app := app.(map[string]any)
			names = append(names, app["name"].(string))
			owners = append(owners, app["owner"].(map[string]any)["tenant"].(map[string]any)["id"].(string))
			if app["id"] == own && app["key"] != "hello-key" {
				t.Errorf("own application = %v, want the key hello-key", app)
			}
		}
		if len(apps) < 2 {
			if _, ok := resp.body["next"]; ok {
				t.Errorf("page %d is the last, but has a next link", page)
			}
			break
		}
	}

	wantNames := "hello hello hello hello-world hello"
	wantOwners := "t200 t300 t400 t100 t100"
	if strings.Join(names, " ") != wantNames || strings.Join(owners, " ") != wantOwners {
		t.Errorf("names %v of owners %v, want %s of %s", names, owners, wantNames, wantOwners)
	}
}

func TestCreateApplicationRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	reader := f.fake.AddUser("t100", "reader")
	f.createApplication(admin, "hello")

	tests := []struct {
		name        string
		user        c8yfake.Credentials
		body        map[string]any
		contentType string
		want        int
	}{
		{"no name", admin, map[string]any{"key": "k", "type": "MICROSERVICE"}, typeApplication, 422},
		{"no key", admin, map[string]any{"name": "x", "type": "MICROSERVICE"}, typeApplication, 422},
		{"bad type", admin, map[string]any{"name": "x", "key": "k", "type": "DOCKER"}, typeApplication, 422},
		{"duplicate name", admin, map[string]any{"name": "hello", "key": "other", "type": "MICROSERVICE"}, typeApplication, 409},
		{"duplicate key", admin, map[string]any{"name": "other", "key": "hello-key", "type": "MICROSERVICE"}, typeApplication, 409},
		{"text", admin, map[string]any{"name": "x", "key": "k", "type": "MICROSERVICE"}, "text/plain", 415},
		{"no role", reader, map[string]any{"name": "x", "key": "k", "type": "MICROSERVICE"}, typeApplication, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.call(http.MethodPost, "/application/applications", tt.user.Authorization(), tt.body, "Content-Type", tt.contentType, "Accept", typeApplication)
			wantPlatformError(t, "POST /application/applications", resp, tt.want)
		})
	}

	other := f.fake.AddUser("t200", "admin", deployerRoles()...)
	f.createApplication(other, "hello")
	if got := len(f.fake.Applications()); got != 3 {
		t.Errorf("%d applications, want the default, hello of t100 and hello of t200", got)
	}
}

func TestUploadRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	id := f.createApplication(admin, "hello")
	market := f.fake.AddApplication(c8yfake.Application{Name: "shared", Owner: "t200", Availability: c8yfake.AvailabilityMarket})

	wantPlatformError(t, "no file part", f.upload(admin, id, "attachment", "x"), http.StatusBadRequest)
	wantPlatformError(t, "other owner", f.upload(admin, market, "file", "x"), http.StatusForbidden)
	wantPlatformError(t, "unknown application", f.upload(admin, "999999", "file", "x"), http.StatusNotFound)
	wantPlatformError(t, "not multipart", f.send(http.MethodPost, "/application/applications/"+id+"/binaries", admin.Authorization(),
		strings.NewReader("PK"), "Content-Type", "application/zip"), http.StatusUnsupportedMediaType)
	if got := f.fake.Uploads(); len(got) != 0 {
		t.Errorf("uploads = %+v, want none", got)
	}
}

func TestSubscribeRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	id := f.createApplication(admin, "hello")
	market := f.fake.AddApplication(c8yfake.Application{Name: "shared", Owner: "t200", Availability: c8yfake.AvailabilityMarket})

	wantPlatformError(t, "unknown application", f.subscribe(admin, "t100", "999999"), http.StatusNotFound)
	wantPlatformError(t, "other owner", f.subscribe(admin, "t100", market), http.StatusForbidden)
	wantPlatformError(t, "unknown tenant", f.subscribe(admin, "t999", id), http.StatusNotFound)
	wantPlatformError(t, "no self", f.call(http.MethodPost, "/tenant/tenants/t100/applications", admin.Authorization(),
		map[string]any{"application": map[string]any{}}, "Content-Type", typeApplicationReference), http.StatusUnprocessableEntity)
	if apps := f.fake.Applications(); len(apps[1].Subscribers) != 0 {
		t.Errorf("subscribers of hello = %v, want none", apps[1].Subscribers)
	}
}

func TestBootstrapUserRejects(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	hosted := f.fake.AddApplication(c8yfake.Application{Name: "cockpit", Owner: "t100", Type: c8yfake.TypeHosted})
	market := f.fake.AddApplication(c8yfake.Application{Name: "shared", Owner: "t200", Availability: c8yfake.AvailabilityMarket})
	private := f.fake.AddApplication(c8yfake.Application{Name: "private", Owner: "t200"})

	for _, tt := range []struct {
		name string
		id   string
		want int
	}{
		{"hosted", hosted, http.StatusBadRequest},
		{"other owner", market, http.StatusForbidden},
		{"not visible", private, http.StatusNotFound},
	} {
		resp := f.call(http.MethodGet, "/application/applications/"+tt.id+"/bootstrapUser", admin.Authorization(), nil)
		wantPlatformError(t, tt.name, resp, tt.want)
	}
}

// clock is a platform clock that tests move forward.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestStatusStartupDelay(t *testing.T) {
	t.Parallel()
	clk := &clock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	fake := c8yfake.New(c8yfake.Options{Now: clk.Now, StartupDelay: time.Minute})
	f := serveFake(t, fake, oascheck.Load(t))
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	id := f.createApplication(admin, "hello")

	wantStatus(t, "subscribe", f.subscribe(admin, "t100", id), http.StatusCreated)
	if got := f.statusOf(admin, id); got != "Down" {
		t.Errorf("status right after subscribing = %q, want Down", got)
	}
	clk.Advance(time.Minute)
	if got := f.statusOf(admin, id); got != "Up" {
		t.Errorf("status after the startup delay = %q, want Up", got)
	}

	wantStatus(t, "upload", f.upload(admin, id, "file", "v2"), http.StatusCreated)
	if got := f.statusOf(admin, id); got != "Down" {
		t.Errorf("status right after a new upload = %q, want Down", got)
	}
	clk.Advance(time.Minute)
	if got := f.statusOf(admin, id); got != "Up" {
		t.Errorf("status after the new upload's startup delay = %q, want Up", got)
	}
}

func TestUploadRate(t *testing.T) {
	t.Parallel()
	fake := c8yfake.New(c8yfake.Options{UploadRate: 1 << 20})
	f := serveFake(t, fake, nil)
	admin := f.fake.AddUser("t100", "admin", deployerRoles()...)
	id := f.createApplication(admin, "hello")

	start := time.Now()
	wantStatus(t, "upload", f.upload(admin, id, "file", strings.Repeat("x", 400<<10)), http.StatusCreated)
	if elapsed := time.Since(start); elapsed < 300*time.Millisecond {
		t.Errorf("400 KiB at 1 MiB/s took %s, want about 400ms", elapsed)
	}
}
