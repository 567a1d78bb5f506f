package routes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/c8y"
)

// Bounds of the count query parameter of POST /measurements.
const (
	minMeasurements = 1
	maxMeasurements = 100
)

// measurementType is the type of the hello measurements.
const measurementType = "c8y_HelloMeasurement"

// measurementsResponse holds the measurements as the platform created them, without the
// platform's internal self links.
type measurementsResponse struct {
	Measurements []c8y.Measurement `json:"measurements"`
}

// createMeasurements serves POST /measurements?count=N: it finds or creates the caller
// tenant's hello device and sends N random measurements of it (1 by default, at most 100)
// in one platform request. It responds with 201 and the created measurements.
func (h *platformRoutes) createMeasurements(c *gin.Context) {
	count, ok := measurementCount(c)
	if !ok {
		return
	}
	tenant := callerOf(c).Tenant
	ctx, cancel := h.context(c)
	defer cancel()

	var created []c8y.Measurement
	err := h.tenants.Call(ctx, tenant, func(ctx context.Context, client *c8y.Client) error {
		deviceID, err := h.devices.ensure(ctx, tenant, client)
		if err != nil {
			return fmt.Errorf("finding or creating the hello device: %w", err)
		}
		created, err = client.CreateMeasurements(ctx, helloMeasurements(deviceID, count, h.now()))
		return err
	})
	if err != nil {
		h.platformError(c, tenant, "creating measurements", err)
		return
	}

	for i := range created {
		created[i].Self = ""
	}
	c.JSON(http.StatusCreated, measurementsResponse{Measurements: created})
}

// measurementCount reads the count query parameter. When it is invalid it responds with
// 400 and returns false.
func measurementCount(c *gin.Context) (int, bool) {
	raw, present := c.GetQuery("count")
	if !present {
		return minMeasurements, true
	}
	count, err := strconv.Atoi(raw)
	if err != nil || count < minMeasurements || count > maxMeasurements {
		Error(c, http.StatusBadRequest, "invalid_count",
			fmt.Sprintf("count %q is invalid: use a whole number from %d to %d", raw, minMeasurements, maxMeasurements))
		return 0, false
	}
	return count, true
}

// helloMeasurements returns count measurements of the device with random temperature and
// humidity values, one second apart and ending at now.
func helloMeasurements(deviceID string, count int, now time.Time) []c8y.Measurement {
	measurements := make([]c8y.Measurement, count)
	for i := range measurements {
		measurements[i] = c8y.Measurement{
			Type:   measurementType,
			Time:   now.Add(-time.Duration(count-1-i) * time.Second),
			Source: c8y.ObjectRef{ID: deviceID},
			Series: map[string]map[string]c8y.Value{
				"c8y_Temperature": {"T": {Value: round(18+rand.Float64()*8, 2), Unit: "C"}},
				"c8y_Humidity":    {"H": {Value: round(30+rand.Float64()*40, 1), Unit: "%RH"}},
			},
		}
	}
	return measurements
}

// round rounds x to the given number of decimals.
func round(x float64, decimals int) float64 {
	scale := math.Pow(10, float64(decimals))
	return math.Round(x*scale) / scale
}
