package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/config"
	"hello-microservice/internal/deploy"
)

// passChecks replaces the pre-flight checks, which a test ZIP without a real image
// would fail.
func passChecks(context.Context, string) error { return nil }

// testOptions returns deploy options for the ZIP with short waits, writing the steps to
// out.
func testOptions(zipPath string, out *syncBuffer) deploy.Options {
	return deploy.Options{
		ZIPPath:      zipPath,
		Check:        passChecks,
		Out:          out,
		WaitTimeout:  5 * time.Second,
		PollInterval: 10 * time.Millisecond,
	}
}

// applicationsOf returns the applications called name that the tenant owns.
func applicationsOf(fake *c8yfake.Platform, tenant, name string) []c8yfake.Application {
	var found []c8yfake.Application
	for _, app := range fake.Applications() {
		if app.Owner == tenant && app.Name == name {
			found = append(found, app)
		}
	}
	return found
}

func TestRunCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	zipPath := writeZIP(t, testManifest("hello"), []byte("image"))
	var out syncBuffer

	first, err := deploy.Run(t.Context(), p.client, testOptions(zipPath, &out))
	if err != nil {
		t.Fatalf("first Run: %v\n%s", err, out.String())
	}
	if !first.Created || first.AlreadySubscribed || !first.Up || first.Tenant != "t100" {
		t.Errorf("first result = %+v, want created, subscribed, up, tenant t100", first)
	}
	apps := applicationsOf(p.fake, "t100", "hello")
	if len(apps) != 1 {
		t.Fatalf("t100 owns %d applications called hello, want 1", len(apps))
	}
	app := apps[0]
	if app.ID != first.Application.ID || app.Key != "hello-key" || app.ContextPath != "hello" || app.Type != "MICROSERVICE" {
		t.Errorf("created application = %+v, want id %s, key hello-key, context path hello, MICROSERVICE", app, first.Application.ID)
	}
	if !slices.Equal(app.RequiredRoles, []string{"ROLE_INVENTORY_READ"}) {
		t.Errorf("required roles = %v, want the manifest's", app.RequiredRoles)
	}
	if !slices.Equal(app.Subscribers, []string{"t100"}) {
		t.Errorf("subscribers = %v, want t100", app.Subscribers)
	}

	second, err := deploy.Run(t.Context(), p.client, testOptions(zipPath, &out))
	if err != nil {
		t.Fatalf("second Run: %v\n%s", err, out.String())
	}
	if second.Created || !second.AlreadySubscribed || !second.Up || second.Application.ID != app.ID {
		t.Errorf("second result = %+v, want the same application %s found, already subscribed, up", second, app.ID)
	}
	if got := len(applicationsOf(p.fake, "t100", "hello")); got != 1 {
		t.Errorf("t100 owns %d applications called hello after the second deploy, want 1", got)
	}
	uploads := p.fake.Uploads()
	if len(uploads) != 2 || uploads[0].ApplicationID != app.ID || uploads[1].ApplicationID != app.ID || uploads[1].SHA256 != uploads[0].SHA256 {
		t.Errorf("uploads = %+v, want the same ZIP twice to application %s", uploads, app.ID)
	}

	output := out.String()
	for _, want := range []string{"created it with id " + app.ID, "found, id " + app.ID, "already subscribed", "the service is up at " + p.url + "/service/hello/"} {
		if !strings.Contains(output, want) {
			t.Errorf("output lacks %q:\n%s", want, output)
		}
	}
}

func TestRunIgnoresOtherApplications(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		other c8yfake.Application
	}{
		{"other tenant", c8yfake.Application{Name: "hello", Owner: "t200", Availability: c8yfake.AvailabilityMarket}},
		{"longer name", c8yfake.Application{Name: "hello-world", Owner: "t100"}},
		{"other tenant longer name", c8yfake.Application{Name: "hello2", Owner: "t200", Availability: c8yfake.AvailabilityMarket}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPlatform(t, c8yfake.Options{}, true)
			otherID := p.fake.AddApplication(tt.other)
			var out syncBuffer

			result, err := deploy.Run(t.Context(), p.client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &out))
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			if !result.Created || result.Application.ID == otherID {
				t.Errorf("result = %+v, want a new application rather than %s", result, otherID)
			}
			for _, upload := range p.fake.Uploads() {
				if upload.ApplicationID == otherID {
					t.Errorf("uploaded to the other application %s", otherID)
				}
			}
			for _, app := range p.fake.Applications() {
				if app.ID == otherID && len(app.Subscribers) != 0 {
					t.Errorf("the other application has subscribers %v", app.Subscribers)
				}
			}
		})
	}
}

func TestRunFindsLaterPage(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	// Two applications of other tenants fill the first page of two.
	for _, owner := range []string{"t200", "t300"} {
		p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: owner, Availability: c8yfake.AvailabilityMarket})
	}
	own := p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
	opts := testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &syncBuffer{})
	opts.PageSize = 2

	result, err := deploy.Run(t.Context(), p.client, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if result.Created || result.Application.ID != own {
		t.Errorf("result = %+v, want application %s found on page 2", result, own)
	}
	pages := 0
	for _, req := range p.fake.Requests() {
		if req.Path == "/application/applicationsByName/hello" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("read %d pages, want 2 (a full page, then a short one)", pages)
	}
}

func TestRunUploadFailure(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	p.fake.Inject(c8yfake.Fault{
		Method:  http.MethodPost,
		Path:    "/application/applications/*/binaries",
		Status:  http.StatusInternalServerError,
		Code:    "applications/Internal Error",
		Message: "Importing image.tar failed",
	})
	var out syncBuffer

	_, err := deploy.Run(t.Context(), p.client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &out))
	if err == nil {
		t.Fatal("Run succeeded, want the upload's error")
	}
	if !strings.Contains(err.Error(), "Importing image.tar failed") || c8y.StatusCode(err) != http.StatusInternalServerError {
		t.Errorf("error = %v, want the platform's 500 and message", err)
	}
	if deploy.IsWaitError(err) {
		t.Errorf("error %v is a wait error, want a failed deploy", err)
	}
	if got := p.fake.Count(http.MethodPost, "/tenant/tenants/*/applications"); got != 0 {
		t.Errorf("sent %d subscriptions after the failed upload, want none", got)
	}
}

func TestRunCheckFailure(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, false)
	opts := testOptions(writeZIP(t, testManifest("hello"), []byte("not an image")), &syncBuffer{})
	opts.Check = deploy.CheckArchive

	_, err := deploy.Run(t.Context(), p.client, opts)
	if err == nil || !strings.Contains(err.Error(), "nothing was sent") || !strings.Contains(err.Error(), "FAIL") {
		t.Errorf("error = %v, want the failed checks and that nothing was sent", err)
	}
	if got := len(p.fake.Requests()); got != 0 {
		t.Errorf("sent %d requests, want none", got)
	}
}

func TestRunDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing bool
		want     []string
	}{
		{"new", false, []string{"would create it", "to the new application", "would subscribe tenant t100", "would wait"}},
		{"existing", true, []string{"found, id", "to application", "would subscribe tenant t100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPlatform(t, c8yfake.Options{}, true)
			if tt.existing {
				p.fake.AddApplication(c8yfake.Application{Name: "hello", Owner: "t100"})
			}
			zipPath := writeZIP(t, testManifest("hello"), []byte("image"))
			var out syncBuffer
			opts := testOptions(zipPath, &out)
			opts.DryRun = true

			result, err := deploy.Run(t.Context(), p.client, opts)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if result.Created == tt.existing {
				t.Errorf("Created = %v, want %v", result.Created, !tt.existing)
			}
			for _, req := range p.fake.Requests() {
				if req.Method != http.MethodGet {
					t.Errorf("dry run sent %s %s", req.Method, req.Path)
				}
			}
			if got := len(p.fake.Uploads()); got != 0 {
				t.Errorf("%d uploads, want none", got)
			}
			output := out.String()
			for _, want := range tt.want {
				if !strings.Contains(output, want) {
					t.Errorf("output lacks %q:\n%s", want, output)
				}
			}
		})
	}
}

func TestRunWaitTimeout(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{StartupDelay: time.Hour}, true)
	var out syncBuffer
	opts := testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &out)
	opts.WaitTimeout = 200 * time.Millisecond

	result, err := deploy.Run(t.Context(), p.client, opts)
	var waitErr *deploy.WaitError
	if !errors.As(err, &waitErr) {
		t.Fatalf("error = %v, want a *deploy.WaitError", err)
	}
	if waitErr.Timeout != opts.WaitTimeout || !strings.Contains(waitErr.Last, "Down") {
		t.Errorf("wait error = %+v, want the timeout and the last status Down", waitErr)
	}
	if result == nil || result.Up || result.Application == nil {
		t.Errorf("result = %+v, want the application, not up", result)
	}
	if got := len(p.fake.Uploads()); got != 1 {
		t.Errorf("%d uploads, want 1", got)
	}
	if !strings.Contains(out.String(), "status: Down, 0 of 1 instances active") {
		t.Errorf("output lacks the status:\n%s", out.String())
	}
}

func TestRunWaitsForStartup(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{StartupDelay: 300 * time.Millisecond}, true)
	var out syncBuffer

	result, err := deploy.Run(t.Context(), p.client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &out))
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	if !result.Up {
		t.Errorf("result = %+v, want up", result)
	}
	output := out.String()
	down, up := strings.Index(output, "status: Down"), strings.Index(output, "status: Up")
	if down < 0 || up < down {
		t.Errorf("output does not show Down, then Up:\n%s", output)
	}
}

func TestRunNoWait(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{StartupDelay: time.Hour}, true)
	opts := testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &syncBuffer{})
	opts.NoWait = true

	result, err := deploy.Run(t.Context(), p.client, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if result.Up {
		t.Errorf("result = %+v, want not up", result)
	}
	if got := p.fake.Count(http.MethodGet, "/inventory/managedObjects"); got != 0 {
		t.Errorf("read the status %d times, want none", got)
	}
}

func TestRunWrongPassword(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	client := p.base.WithAuth(c8y.Credentials{Tenant: "t100", User: "admin", Password: config.Secret("wrong")})

	_, err := deploy.Run(t.Context(), client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &syncBuffer{}))
	if !c8y.IsUnauthorized(err) || !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("error = %v, want the platform's 401 message", err)
	}
	if hint := deploy.Hint(err, p.url); !strings.Contains(hint, "C8Y_USER/C8Y_PASSWORD or C8Y_TOKEN") {
		t.Errorf("hint = %q, want the variables to check", hint)
	}
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + listener.Addr().String()
	listener.Close()
	client, err := c8y.New(url)
	if err != nil {
		t.Fatal(err)
	}
	client = client.WithAuth(c8y.Credentials{Tenant: "t100", User: "admin", Password: "x"})

	start := time.Now()
	_, err = deploy.Run(t.Context(), client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &syncBuffer{}))
	if err == nil || !strings.Contains(err.Error(), url) {
		t.Errorf("error = %v, want one naming %s", err, url)
	}
	if hint := deploy.Hint(err, url); !strings.Contains(hint, url) || !strings.Contains(hint, "could not be reached") {
		t.Errorf("hint = %q, want it to name %s as unreachable", hint, url)
	}
	if elapsed := time.Since(start); elapsed > 15*time.Second {
		t.Errorf("Run took %s, want a failure within seconds", elapsed)
	}
}

func TestRunStatusForbidden(t *testing.T) {
	t.Parallel()
	p := startPlatform(t, c8yfake.Options{}, true)
	roles := []string{"ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN"}
	deployer := p.fake.AddUser("t100", "deployer", roles...)
	client := p.base.WithAuth(c8y.Credentials{Tenant: "t100", User: deployer.User, Password: config.Secret(deployer.Password)})

	start := time.Now()
	result, err := deploy.Run(t.Context(), client, testOptions(writeZIP(t, testManifest("hello"), []byte("image")), &syncBuffer{}))
	if !deploy.IsWaitError(err) || c8y.StatusCode(err) != http.StatusForbidden {
		t.Fatalf("error = %v, want a wait error with the platform's 403", err)
	}
	if result.Application == nil || len(p.fake.Uploads()) != 1 {
		t.Errorf("result = %+v with %d uploads, want the upload done", result, len(p.fake.Uploads()))
	}
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Run took %s, want the 403 to end the wait at once", elapsed)
	}
	if hint := deploy.Hint(err, p.url); !strings.Contains(hint, "ROLE_INVENTORY_READ") {
		t.Errorf("hint = %q, want the missing role", hint)
	}
}

func TestFindApplicationDuplicates(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", c8y.MediaTypeApplicationCollection)
		fmt.Fprint(w, `{"applications":[
			{"id":"1","name":"hello","owner":{"tenant":{"id":"t100"}}},
			{"id":"2","name":"hello","owner":{"tenant":{"id":"t100"}}}],
			"statistics":{"pageSize":5,"currentPage":1}}`)
	}))
	t.Cleanup(srv.Close)
	client, err := c8y.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}

	app, err := deploy.FindApplication(t.Context(), client, "hello", "t100", 5)
	if err == nil || !strings.Contains(err.Error(), "ids 1, 2") {
		t.Errorf("FindApplication = %+v, %v; want an error naming both ids", app, err)
	}
}

func TestReadManifestRejects(t *testing.T) {
	t.Parallel()
	invalid := testManifest("Hello World")
	tests := []struct {
		name string
		path string
		want string
	}{
		{"not a zip", writeFile(t, "x.zip", "not a zip"), "opening"},
		{"invalid manifest", writeZIP(t, invalid, []byte("image")), "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := deploy.ReadManifest(tt.path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadManifest = %+v, %v; want an error about %s", m, err, tt.want)
			}
		})
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
