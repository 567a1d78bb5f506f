package c8y

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Values of [ServiceStatus.Status].
const (
	StatusUp        = "Up"
	StatusUnhealthy = "Unhealthy"
	StatusDown      = "Down"
	StatusUnknown   = "Unknown"
)

// ApplicationStatus is the inventory object in which the platform reports the state of a
// microservice's deployment, of type c8y_Application_<application ID>.
//
// NOTE: the OpenAPI spec does not describe this object. The fields follow the typings of
// Cumulocity's Web SDK (@c8y/client, IApplicationManagedObject) and go-c8y-cli, which reads
// c8y_Status.instances; they were not checked against a live tenant.
type ApplicationStatus struct {
	ID   string `json:"id"`
	Type string `json:"type"`

	// Status is the state of the deployment as a whole.
	Status ServiceStatus `json:"c8y_Status"`

	// Subscriptions holds the state per subscribed tenant, for a PER_TENANT service.
	Subscriptions map[string]ServiceStatus `json:"c8y_Subscriptions,omitempty"`
}

// ServiceStatus is the state of one deployment of a microservice.
type ServiceStatus struct {
	Status  string `json:"status"` // StatusUp, StatusUnhealthy, StatusDown or StatusUnknown
	Details struct {
		Desired  int `json:"desired"`  // the instances that should run
		Active   int `json:"active"`   // the instances that run
		Restarts int `json:"restarts"` // restarts of all instances
	} `json:"details"`
	Instances map[string]InstanceStatus `json:"instances,omitempty"` // by pod name
}

// InstanceStatus is the state of one instance (pod) of a microservice.
type InstanceStatus struct {
	Restarts    int   `json:"restarts"`
	Scheduled   bool  `json:"scheduled"`
	MemoryBytes int64 `json:"memoryInBytes"`
	CPUMillis   int64 `json:"cpuInMillis"`
}

// ApplicationStatus returns the status object of the microservice with the given ID, or
// nil when the platform has not created it yet, as before the first subscription. It reads
// the inventory of the client's tenant, so it needs ROLE_INVENTORY_READ there.
func (c *Client) ApplicationStatus(ctx context.Context, applicationID string) (*ApplicationStatus, error) {
	var page struct {
		ManagedObjects []ApplicationStatus `json:"managedObjects"`
	}
	req := &Request{
		Method: http.MethodGet,
		Path:   "/inventory/managedObjects",
		Query:  url.Values{"type": {"c8y_Application_" + applicationID}, "pageSize": {"1"}},
		Accept: MediaTypeManagedObjectCollection,
	}
	if _, err := c.Do(ctx, req, &page); err != nil {
		return nil, fmt.Errorf("reading the status of application %s: %w", applicationID, err)
	}
	if len(page.ManagedObjects) == 0 {
		return nil, nil
	}
	return &page.ManagedObjects[0], nil
}
