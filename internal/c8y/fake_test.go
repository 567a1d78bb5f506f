package c8y_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/c8yfake"
	"hello-microservice/internal/c8yfake/oascheck"
	"hello-microservice/internal/config"
)

// startFake serves a fake platform and returns a client for it whose traffic is checked
// against the platform's OpenAPI spec.
func startFake(t *testing.T, opts ...c8y.Option) (*c8yfake.Platform, *c8y.Client) {
	t.Helper()
	spec := oascheck.Load(t)
	fake := c8yfake.New(c8yfake.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	opts = append([]c8y.Option{c8y.WithRetry(fastRetry), c8y.WithTransport(spec.Transport(t, srv.Client().Transport))}, opts...)
	client, err := c8y.New(srv.URL, opts...)
	if err != nil {
		t.Fatalf("New(%s): %v", srv.URL, err)
	}
	return fake, client
}

func asUser(client *c8y.Client, c c8yfake.Credentials) *c8y.Client {
	return client.WithAuth(c8y.Credentials{Tenant: c.Tenant, User: c.User, Password: config.Secret(c.Password)})
}

func TestFakeSubscriptions(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	bootstrap := asUser(client, fake.Bootstrap())

	users, err := bootstrap.Subscriptions(t.Context())
	if err != nil {
		t.Fatalf("Subscriptions with no tenant: %v", err)
	}
	if len(users) != 0 {
		t.Errorf("users = %v, want none", users)
	}

	service := fake.Subscribe("t100")
	users, err = bootstrap.Subscriptions(t.Context())
	if err != nil {
		t.Fatalf("Subscriptions: %v", err)
	}
	if len(users) != 1 || users[0].Tenant != "t100" || users[0].User != service.User || users[0].Password.Reveal() != service.Password {
		t.Errorf("users = %v, want the service user of t100", users)
	}

	_, err = asUser(client, service).Subscriptions(t.Context())
	if got := c8y.StatusCode(err); got != http.StatusForbidden {
		t.Errorf("Subscriptions as a service user: error %v, want 403", err)
	}
}

func TestFakeDeviceFlow(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t, c8y.WithApplicationKey("hello-microservice-key"))
	service := asUser(client, fake.Subscribe("t100"))
	ctx := t.Context()

	tenant, err := service.CurrentTenant(ctx)
	if err != nil || tenant.Name != "t100" {
		t.Fatalf("CurrentTenant = %+v, %v; want t100", tenant, err)
	}
	user, err := service.CurrentUser(ctx)
	if err != nil || !user.HasRole("ROLE_INVENTORY_ADMIN") {
		t.Fatalf("CurrentUser = %+v, %v; want ROLE_INVENTORY_ADMIN", user, err)
	}

	_, err = service.ExternalID(ctx, "c8y_Serial", "sn 1/2")
	if !c8y.IsNotFound(err) {
		t.Fatalf("ExternalID before creation: %v, want 404", err)
	}

	device, err := service.CreateManagedObject(ctx, c8y.ManagedObject{Name: "Hello", Type: "c8y_Hello", IsDevice: &struct{}{}})
	if err != nil {
		t.Fatalf("CreateManagedObject: %v", err)
	}
	if device.ID == "" || device.IsDevice == nil || device.Owner != fake.Requests()[0].User {
		t.Errorf("created = %+v, want an id, c8y_IsDevice and the service user as owner", device)
	}

	ext := c8y.ExternalID{Type: "c8y_Serial", ExternalID: "sn 1/2"}
	if _, err := service.CreateExternalID(ctx, device.ID, ext); err != nil {
		t.Fatalf("CreateExternalID: %v", err)
	}
	if _, err := service.CreateExternalID(ctx, device.ID, ext); !c8y.IsConflict(err) {
		t.Errorf("second CreateExternalID: %v, want 409", err)
	}
	found, err := service.ExternalID(ctx, "c8y_Serial", "sn 1/2")
	if err != nil || found.ManagedObject == nil || found.ManagedObject.ID != device.ID {
		t.Fatalf("ExternalID = %+v, %v; want managed object %s", found, err, device.ID)
	}

	read, err := service.ManagedObject(ctx, device.ID)
	if err != nil || read.Name != "Hello" {
		t.Errorf("ManagedObject = %+v, %v; want the device", read, err)
	}

	for _, count := range []int{1, 3} {
		measurements := make([]c8y.Measurement, count)
		for i := range measurements {
			measurements[i] = c8y.Measurement{
				Type:   "c8y_Hello",
				Time:   time.Now(),
				Source: c8y.ObjectRef{ID: device.ID},
				Series: map[string]map[string]c8y.Value{"c8y_Temperature": {"T": {Value: float64(i), Unit: "C"}}},
			}
		}
		created, err := service.CreateMeasurements(ctx, measurements)
		if err != nil {
			t.Fatalf("CreateMeasurements(%d): %v", count, err)
		}
		if len(created) != count || created[0].ID == "" || created[0].Source.ID != device.ID {
			t.Errorf("CreateMeasurements(%d) = %+v, want %d with ids and the source", count, created, count)
		}
	}
	if got := len(fake.Measurements("t100")); got != 4 {
		t.Errorf("fake stores %d measurements, want 4", got)
	}

	if err := service.DeleteManagedObject(ctx, device.ID); err != nil {
		t.Fatalf("DeleteManagedObject: %v", err)
	}
	if _, err := service.ManagedObject(ctx, device.ID); !c8y.IsNotFound(err) {
		t.Errorf("ManagedObject after delete: %v, want 404", err)
	}

	for _, req := range fake.Requests() {
		if req.ApplicationKey != "hello-microservice-key" {
			t.Errorf("%s %s sent application key %q, want hello-microservice-key", req.Method, req.Path, req.ApplicationKey)
		}
	}
}

func TestFakePaging(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	service := asUser(client, fake.Subscribe("t100"))
	for range 5 {
		if _, err := service.CreateManagedObject(t.Context(), c8y.ManagedObject{Name: "d", Type: "c8y_Hello"}); err != nil {
			t.Fatal(err)
		}
	}

	var ids []string
	for page := 1; ; page++ {
		got, err := service.ManagedObjects(t.Context(), c8y.ManagedObjectQuery{Type: "c8y_Hello", PageSize: 2, CurrentPage: page})
		if err != nil {
			t.Fatalf("ManagedObjects page %d: %v", page, err)
		}
		for _, mo := range got.ManagedObjects {
			ids = append(ids, mo.ID)
		}
		if got.Next == "" {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if len(ids) != 5 {
		t.Errorf("paged through %d objects, want 5", len(ids))
	}
}

func TestFakeBearer(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	token := fake.Token(fake.AddUser("t100", "alice"))

	user, err := client.WithAuth(c8y.BearerToken(token)).CurrentUser(t.Context())
	if err != nil {
		t.Fatalf("CurrentUser with a token: %v", err)
	}
	if user.UserName != "alice" {
		t.Errorf("user = %q, want alice", user.UserName)
	}
}

func TestFakeRetries(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	service := asUser(client, fake.Subscribe("t100"))

	fake.Inject(c8yfake.Fault{Path: "/tenant/currentTenant", Times: 10, Status: http.StatusServiceUnavailable})
	_, err := service.CurrentTenant(t.Context())
	var platformErr *c8y.Error
	if !errors.As(err, &platformErr) || platformErr.StatusCode != http.StatusServiceUnavailable || platformErr.Code == "" {
		t.Errorf("CurrentTenant under 503s: %v, want a *c8y.Error with status 503 and the platform's error", err)
	}
	if got := fake.Count(http.MethodGet, "/tenant/currentTenant"); got != fastRetry.MaxAttempts {
		t.Errorf("GET /tenant/currentTenant sent %d times, want %d", got, fastRetry.MaxAttempts)
	}

	fake.Inject(c8yfake.Fault{Method: http.MethodPost, Path: "/inventory/managedObjects", Times: 10, Status: http.StatusServiceUnavailable})
	_, err = service.CreateManagedObject(t.Context(), c8y.ManagedObject{Name: "d"})
	if c8y.StatusCode(err) != http.StatusServiceUnavailable {
		t.Errorf("CreateManagedObject under 503s: %v, want 503", err)
	}
	if got := fake.Count(http.MethodPost, "/inventory/managedObjects"); got != 1 {
		t.Errorf("POST /inventory/managedObjects sent %d times, want 1", got)
	}
}

func TestFakeRetryAfter(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	service := asUser(client, fake.Subscribe("t100"))
	fake.Inject(c8yfake.Fault{Path: "/user/currentUser", Status: http.StatusTooManyRequests, RetryAfter: "1"})

	start := time.Now()
	if _, err := service.CurrentUser(t.Context()); err != nil {
		t.Fatalf("CurrentUser: %v", err)
	}
	if elapsed := time.Since(start); elapsed < 900*time.Millisecond {
		t.Errorf("CurrentUser took %s, want at least the 1s of Retry-After", elapsed)
	}
	if got := fake.Count(http.MethodGet, "/user/currentUser"); got != 2 {
		t.Errorf("GET /user/currentUser sent %d times, want 2", got)
	}
}

func TestFakeTimeout(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t, c8y.WithTimeout(100*time.Millisecond))
	service := asUser(client, fake.Subscribe("t100"))
	fake.Inject(c8yfake.Fault{Path: "/tenant/currentTenant", Delay: 10 * time.Second})

	start := time.Now()
	tenant, err := service.CurrentTenant(t.Context())
	if err != nil {
		t.Fatalf("CurrentTenant: %v", err)
	}
	if tenant.Name != "t100" {
		t.Errorf("tenant = %q, want t100", tenant.Name)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("CurrentTenant took %s, want the slow attempt abandoned after 100ms", elapsed)
	}
}

// deployerRoles are the roles of a user who deploys microservices.
func deployerRoles() []string {
	return append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")
}

func TestFakeApplicationFlow(t *testing.T) {
	t.Parallel()
	fake, client := startFake(t)
	admin := asUser(client, fake.AddUser("t100", "admin", deployerRoles()...))
	ctx := t.Context()

	created, err := admin.CreateApplication(ctx, c8y.Application{
		Name: "hello", Key: "hello-key", Type: c8y.ApplicationTypeMicroservice, ContextPath: "hello",
		RequiredRoles: []string{"ROLE_INVENTORY_READ"},
	})
	if err != nil {
		t.Fatalf("CreateApplication: %v", err)
	}
	if created.ID == "" || created.OwnerTenant() != "t100" || created.Key != "hello-key" {
		t.Errorf("created = %+v, want an id, owner t100 and the key", created)
	}
	_, err = admin.CreateApplication(ctx, c8y.Application{Name: "hello", Key: "other-key", Type: c8y.ApplicationTypeMicroservice})
	if !c8y.IsConflict(err) {
		t.Errorf("second CreateApplication: %v, want 409", err)
	}

	page, err := admin.ApplicationsByName(ctx, "hello", c8y.PageQuery{PageSize: 10})
	if err != nil {
		t.Fatalf("ApplicationsByName: %v", err)
	}
	if len(page.Applications) != 1 || page.Applications[0].ID != created.ID {
		t.Errorf("ApplicationsByName = %+v, want the created application", page.Applications)
	}

	content := []byte("PK not really a zip")
	uploaded, err := admin.UploadApplicationBinary(ctx, created.ID, c8y.FileUpload{
		FileName: "hello.zip",
		Size:     int64(len(content)),
		Open:     func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil },
	})
	if err != nil {
		t.Fatalf("UploadApplicationBinary: %v", err)
	}
	if uploaded.ID != created.ID {
		t.Errorf("upload returned application %q, want %q", uploaded.ID, created.ID)
	}
	uploads := fake.Uploads()
	if len(uploads) != 1 || uploads[0].Size != int64(len(content)) || uploads[0].FileName != "hello.zip" {
		t.Errorf("uploads = %+v, want one of %d bytes named hello.zip", uploads, len(content))
	}

	status, err := admin.ApplicationStatus(ctx, created.ID)
	if err != nil || status != nil {
		t.Errorf("ApplicationStatus before subscribing = %+v, %v; want none", status, err)
	}

	if err := admin.SubscribeApplication(ctx, "t100", created.ID); err != nil {
		t.Fatalf("SubscribeApplication: %v", err)
	}
	if err := admin.SubscribeApplication(ctx, "t100", created.ID); !c8y.IsConflict(err) {
		t.Errorf("second SubscribeApplication: %v, want 409", err)
	}

	status, err = admin.ApplicationStatus(ctx, created.ID)
	if err != nil || status == nil {
		t.Fatalf("ApplicationStatus = %+v, %v; want the status object", status, err)
	}
	if status.Status.Status != c8y.StatusUp || status.Status.Details.Active != 1 || len(status.Status.Instances) != 1 {
		t.Errorf("status = %+v, want Up with one active instance", status.Status)
	}

	bootstrap, err := admin.BootstrapUser(ctx, created.ID)
	if err != nil {
		t.Fatalf("BootstrapUser: %v", err)
	}
	if bootstrap.Tenant != "t100" || bootstrap.User != "servicebootstrap_hello" || bootstrap.Password == "" {
		t.Errorf("bootstrap user = %v, want servicebootstrap_hello of t100 with a password", bootstrap)
	}
	users, err := asUser(client, c8yfake.Credentials{Tenant: bootstrap.Tenant, User: bootstrap.User, Password: bootstrap.Password.Reveal()}).Subscriptions(ctx)
	if err != nil || len(users) != 1 || users[0].Tenant != "t100" {
		t.Errorf("Subscriptions as the new bootstrap user = %v, %v; want the service user of t100", users, err)
	}
}
