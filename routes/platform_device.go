package routes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/c8y"
)

// The hello device of each tenant is registered under this external id. The identity API
// rejects a second registration of the same id with 409, which keeps the device unique per
// tenant across all replicas of the service.
const (
	deviceIDType     = "c8y_Serial"
	deviceExternalID = "hello-microservice-device"
	deviceName       = "Hello microservice device"
	deviceType       = "c8y_HelloMicroserviceDevice"
)

// errNoDevice means that the tenant has no hello device yet.
var errNoDevice = errors.New("no hello device")

// deviceTimeout bounds the shared work of finding or creating a tenant's device, which
// runs on after the request that started it gives up.
const deviceTimeout = 30 * time.Second

// deviceStore finds, adopts or creates each tenant's hello device. Concurrent requests of
// one tenant share one search, so a process creates at most one device at a time per
// tenant.
type deviceStore struct {
	logger *slog.Logger

	mu       sync.Mutex
	inflight map[string]*deviceSearch // by tenant
}

// deviceSearch is one search for a tenant's device; done is closed when id or err is set.
type deviceSearch struct {
	done chan struct{}
	id   string
	err  error
}

func newDeviceStore(logger *slog.Logger) *deviceStore {
	return &deviceStore{logger: logger, inflight: make(map[string]*deviceSearch)}
}

// ensure returns the id of the tenant's hello device, creating and registering the device
// when it does not exist. client must authenticate as the tenant's service user. The
// search runs on its own context, so a caller that gives up stops only its wait.
func (s *deviceStore) ensure(ctx context.Context, tenant string, client *c8y.Client) (string, error) {
	s.mu.Lock()
	search, ok := s.inflight[tenant]
	if !ok {
		search = &deviceSearch{done: make(chan struct{})}
		s.inflight[tenant] = search
		go s.search(context.WithoutCancel(ctx), tenant, client, search)
	}
	s.mu.Unlock()

	select {
	case <-search.done:
		return search.id, search.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// search runs one findOrCreate and hands its result to every waiter.
func (s *deviceStore) search(ctx context.Context, tenant string, client *c8y.Client, search *deviceSearch) {
	ctx, cancel := context.WithTimeout(ctx, deviceTimeout)
	defer cancel()
	id, err := s.findOrCreate(ctx, tenant, client)

	s.mu.Lock()
	delete(s.inflight, tenant)
	search.id, search.err = id, err
	close(search.done)
	s.mu.Unlock()
}

// findOrCreate looks the device up by its external id. When there is none it adopts the
// oldest device of the hello type, which an older version or a user may have created
// without the external id, or else creates a device, and registers the external id.
func (s *deviceStore) findOrCreate(ctx context.Context, tenant string, client *c8y.Client) (string, error) {
	id, err := lookupDevice(ctx, client)
	if err == nil || !c8y.IsNotFound(err) {
		return id, err
	}

	existing, err := oldestTypedDevice(ctx, client)
	if err != nil {
		return "", err
	}
	if existing != "" {
		return s.adopt(ctx, tenant, client, existing)
	}
	return s.create(ctx, tenant, client)
}

// adopt registers the external id for an existing device. A 409 means another replica
// registered a device first, possibly this one: then it returns that replica's device and
// deletes nothing, since this process created nothing.
func (s *deviceStore) adopt(ctx context.Context, tenant string, client *c8y.Client, id string) (string, error) {
	err := register(ctx, client, id)
	if err == nil {
		s.logger.InfoContext(ctx, "hello device adopted", "tenant", tenant, "deviceId", id,
			"reason", "a device of type "+deviceType+" had no external id "+deviceIDType+"/"+deviceExternalID)
		return id, nil
	}
	if !c8y.IsConflict(err) {
		return "", err
	}

	winner, err := lookupDevice(ctx, client)
	if err != nil {
		return "", fmt.Errorf("looking up the device registered by another replica: %w", err)
	}
	return winner, nil
}

// create creates a device and registers the external id for it. A 409 means another
// replica registered its device first: then this one deletes the device it created and
// uses the other.
func (s *deviceStore) create(ctx context.Context, tenant string, client *c8y.Client) (string, error) {
	created, err := client.CreateManagedObject(ctx, c8y.ManagedObject{Name: deviceName, Type: deviceType, IsDevice: &struct{}{}})
	if err != nil {
		return "", err
	}
	err = register(ctx, client, created.ID)
	if err == nil {
		s.logger.InfoContext(ctx, "hello device created", "tenant", tenant, "deviceId", created.ID)
		return created.ID, nil
	}

	// Another replica won the race, or adopted this device while it had no external id, or
	// a registration whose response was lost succeeded. The device stays when the external
	// id names it.
	winner, lookupErr := lookupDevice(ctx, client)
	if !c8y.IsConflict(err) {
		if lookupErr == nil && winner == created.ID {
			return created.ID, nil
		}
		s.remove(ctx, tenant, client, created.ID, "its external id could not be registered")
		return "", err
	}
	if lookupErr != nil {
		return "", fmt.Errorf("looking up the device registered by another replica: %w", lookupErr)
	}
	if winner != created.ID {
		s.remove(ctx, tenant, client, created.ID, "another replica registered its device first")
	}
	return winner, nil
}

// register links the device's external id to the managed object id.
func register(ctx context.Context, client *c8y.Client, id string) error {
	_, err := client.CreateExternalID(ctx, id, c8y.ExternalID{Type: deviceIDType, ExternalID: deviceExternalID})
	return err
}

// remove deletes a device that this process created but could not register, so that it
// does not linger as a duplicate. A failure is logged, not returned: the request can go
// on with the registered device.
func (s *deviceStore) remove(ctx context.Context, tenant string, client *c8y.Client, id, reason string) {
	if err := client.DeleteManagedObject(ctx, id); err != nil {
		s.logger.WarnContext(ctx, "deleting a duplicate hello device failed", "tenant", tenant, "deviceId", id,
			"reason", reason, "error", err.Error())
		return
	}
	s.logger.InfoContext(ctx, "deleted a duplicate hello device", "tenant", tenant, "deviceId", id, "reason", reason)
}

// lookupDevice returns the id of the managed object registered under the device's
// external id; the error is a 404 *c8y.Error when there is none.
func lookupDevice(ctx context.Context, client *c8y.Client) (string, error) {
	ext, err := client.ExternalID(ctx, deviceIDType, deviceExternalID)
	if err != nil {
		return "", err
	}
	if ext.ManagedObject == nil || ext.ManagedObject.ID == "" {
		return "", errors.New("the device's external id names no managed object")
	}
	return ext.ManagedObject.ID, nil
}

// typedDevicesPageSize bounds the devices of the hello type read at once. A tenant has one,
// or a few left by races that older versions lost.
const typedDevicesPageSize = 100

// oldestTypedDevice returns the id of the oldest device of the hello type, or "" when the
// tenant has none.
//
// NOTE: it reads the first page only. With more than typedDevicesPageSize such devices, the
// oldest one may be on a later page if the platform does not list them oldest first.
func oldestTypedDevice(ctx context.Context, client *c8y.Client) (string, error) {
	page, err := client.ManagedObjects(ctx, c8y.ManagedObjectQuery{
		Type:         deviceType,
		FragmentType: "c8y_IsDevice",
		PageSize:     typedDevicesPageSize,
	})
	if err != nil {
		return "", fmt.Errorf("looking for a device of type %s: %w", deviceType, err)
	}

	var oldest *c8y.ManagedObject
	for i := range page.ManagedObjects {
		candidate := &page.ManagedObjects[i]
		if candidate.ID != "" && (oldest == nil || createdBefore(candidate, oldest)) {
			oldest = candidate
		}
	}
	if oldest == nil {
		return "", nil
	}
	return oldest.ID, nil
}

// createdBefore reports whether a was created before b, by creation time, and by the
// numeric id when the times are equal or missing.
func createdBefore(a, b *c8y.ManagedObject) bool {
	timeA, errA := time.Parse(time.RFC3339Nano, a.CreationTime)
	timeB, errB := time.Parse(time.RFC3339Nano, b.CreationTime)
	if errA == nil && errB == nil && !timeA.Equal(timeB) {
		return timeA.Before(timeB)
	}

	idA, errA := strconv.ParseUint(a.ID, 10, 64)
	idB, errB := strconv.ParseUint(b.ID, 10, 64)
	if errA == nil && errB == nil {
		return idA < idB
	}
	return a.ID < b.ID
}

// findDevice returns the id of the hello device: the one registered under the external
// id, or else the oldest device of the hello type, or "" when there is neither. It changes
// nothing.
func findDevice(ctx context.Context, client *c8y.Client) (string, error) {
	id, err := lookupDevice(ctx, client)
	if err == nil || !c8y.IsNotFound(err) {
		return id, err
	}
	return oldestTypedDevice(ctx, client)
}

// deviceResponse is the hello device as GET /device shows it, without the platform's
// internal self link.
type deviceResponse struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Owner        string `json:"owner,omitempty"`
	CreationTime string `json:"creationTime,omitempty"`
	LastUpdated  string `json:"lastUpdated,omitempty"`
}

// device serves GET /device: the caller tenant's hello device, or 404 until a POST
// /measurements has created it. A device of the hello type without the external id is
// shown, but adopted only by POST /measurements.
func (h *platformRoutes) device(c *gin.Context) {
	tenant := callerOf(c).Tenant
	ctx, cancel := h.context(c)
	defer cancel()

	var device *c8y.ManagedObject
	err := h.tenants.Call(ctx, tenant, func(ctx context.Context, client *c8y.Client) error {
		id, err := findDevice(ctx, client)
		if err == nil && id == "" {
			err = errNoDevice
		}
		if err != nil {
			return err
		}
		device, err = client.ManagedObject(ctx, id)
		return err
	})

	if errors.Is(err, errNoDevice) || c8y.IsNotFound(err) {
		Error(c, http.StatusNotFound, "device_not_found",
			fmt.Sprintf("tenant %s has no hello device yet; POST /measurements creates it", tenant))
		return
	}
	if err != nil {
		h.platformError(c, tenant, "reading the hello device", err)
		return
	}
	c.JSON(http.StatusOK, deviceResponse{
		ID:           device.ID,
		Name:         device.Name,
		Type:         device.Type,
		Owner:        device.Owner,
		CreationTime: device.CreationTime,
		LastUpdated:  device.LastUpdated,
	})
}
