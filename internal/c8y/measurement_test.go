package c8y_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
)

func sampleMeasurement() c8y.Measurement {
	return c8y.Measurement{
		Type:   "c8y_HelloMeasurement",
		Time:   time.Date(2026, 12, 4, 20, 15, 1, 123456789, time.FixedZone("CET", 3600)),
		Source: c8y.ObjectRef{ID: "42"},
		Series: map[string]map[string]c8y.Value{"c8y_Temperature": {"T": {Value: 21.5, Unit: "C"}}},
	}
}

func TestMeasurementJSON(t *testing.T) {
	t.Parallel()
	encoded, err := json.Marshal(sampleMeasurement())
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}

	var fields map[string]any
	if err := json.Unmarshal(encoded, &fields); err != nil {
		t.Fatalf("Unmarshal of %s: %v", encoded, err)
	}
	if fields["time"] != "2026-12-04T20:15:01.123+01:00" {
		t.Errorf("time = %v, want 2026-12-04T20:15:01.123+01:00", fields["time"])
	}
	if _, ok := fields["id"]; ok {
		t.Errorf("id is sent for a new measurement: %s", encoded)
	}
	if !strings.Contains(string(encoded), `"c8y_Temperature":{"T":{"value":21.5,"unit":"C"}}`) {
		t.Errorf("encoded = %s, want the series as a top-level fragment", encoded)
	}

	var decoded c8y.Measurement
	if err := json.Unmarshal(encoded, &decoded); err != nil {
		t.Fatalf("decoding %s: %v", encoded, err)
	}
	if got := decoded.Series["c8y_Temperature"]["T"]; got.Value != 21.5 || got.Unit != "C" {
		t.Errorf("decoded series = %+v, want 21.5 C", got)
	}
	if !decoded.Time.Equal(sampleMeasurement().Time.Truncate(time.Millisecond)) {
		t.Errorf("decoded time = %s, want %s", decoded.Time, sampleMeasurement().Time)
	}
}

func TestMeasurementUTCOffset(t *testing.T) {
	t.Parallel()
	m := sampleMeasurement()
	m.Time = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	encoded, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if !strings.Contains(string(encoded), `"time":"2026-01-02T03:04:05.000+00:00"`) {
		t.Errorf("encoded = %s, want a numeric offset for UTC", encoded)
	}
}

func TestMeasurementSkipsOtherFragments(t *testing.T) {
	t.Parallel()
	var m c8y.Measurement
	body := `{"id":"7","type":"t","time":"2026-01-02T03:04:05.000Z","source":{"id":"1"},"c8y_Note":{"text":"x"},"c8y_T":{"T":{"value":1,"unit":"C"}}}`

	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if m.ID != "7" || m.Source.ID != "1" {
		t.Errorf("decoded = %+v, want id 7 and source 1", m)
	}
	if _, ok := m.Series["c8y_Note"]; ok {
		t.Error("a fragment without values was decoded as a series")
	}
	if _, ok := m.Series["c8y_T"]; !ok {
		t.Error("the series fragment is missing")
	}
}

func TestCreateMeasurementsRejects(t *testing.T) {
	t.Parallel()
	client, err := c8y.New("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func(m *c8y.Measurement){
		"no source":       func(m *c8y.Measurement) { m.Source.ID = "" },
		"no type":         func(m *c8y.Measurement) { m.Type = "" },
		"no time":         func(m *c8y.Measurement) { m.Time = time.Time{} },
		"dot in fragment": func(m *c8y.Measurement) { m.Series["c8y.T"] = m.Series["c8y_Temperature"] },
		"space in series": func(m *c8y.Measurement) { m.Series["c8y_Temperature"]["T 1"] = c8y.Value{Value: 1, Unit: "C"} },
		"empty unit":      func(m *c8y.Measurement) { m.Series["c8y_Temperature"]["T"] = c8y.Value{Value: 1} },
		"at in series":    func(m *c8y.Measurement) { m.Series["c8y_Temperature"]["T@"] = c8y.Value{Value: 1, Unit: "C"} },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := sampleMeasurement()
			change(&m)

			if _, err := client.CreateMeasurements(t.Context(), []c8y.Measurement{m}); err == nil {
				t.Error("CreateMeasurements returned no error")
			}
		})
	}
}

func TestCreateMeasurementsMediaTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		count     int
		wantType  string
		wantBody  string
		replyBody string
	}{
		{count: 1, wantType: c8y.MediaTypeMeasurement, wantBody: `"source":{"id":"42"}`, replyBody: `{"id":"1","type":"c8y_HelloMeasurement","time":"2026-12-04T20:15:01.123+01:00","source":{"id":"42"}}`},
		{count: 3, wantType: c8y.MediaTypeMeasurementCollection, wantBody: `{"measurements":[`, replyBody: `{"measurements":[{"id":"1"},{"id":"2"},{"id":"3"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.wantType, func(t *testing.T) {
			t.Parallel()
			var contentType, accept, body string
			client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				contentType, accept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
				data, _ := io.ReadAll(r.Body)
				body = string(data)
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, tt.replyBody)
			})
			measurements := make([]c8y.Measurement, tt.count)
			for i := range measurements {
				measurements[i] = sampleMeasurement()
			}

			created, err := client.CreateMeasurements(t.Context(), measurements)
			if err != nil {
				t.Fatalf("CreateMeasurements: %v", err)
			}

			if contentType != tt.wantType || accept != tt.wantType {
				t.Errorf("Content-Type %q and Accept %q, want both %q", contentType, accept, tt.wantType)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body = %s, want it to contain %s", body, tt.wantBody)
			}
			if len(created) != tt.count {
				t.Errorf("created %d measurements, want %d", len(created), tt.count)
			}
		})
	}
}

func TestManagedObjectsQuery(t *testing.T) {
	t.Parallel()
	var query string
	client := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		io.WriteString(w, `{"managedObjects":[{"id":"1","c8y_IsDevice":{}}],"statistics":{"currentPage":2,"pageSize":10}}`)
	})

	page, err := client.ManagedObjects(t.Context(), c8y.ManagedObjectQuery{Type: "c8y_Hello", PageSize: 10, CurrentPage: 2})
	if err != nil {
		t.Fatalf("ManagedObjects: %v", err)
	}

	if query != "currentPage=2&pageSize=10&type=c8y_Hello" {
		t.Errorf("query = %q, want currentPage=2&pageSize=10&type=c8y_Hello", query)
	}
	if len(page.ManagedObjects) != 1 || page.ManagedObjects[0].IsDevice == nil {
		t.Errorf("page = %+v, want one device", page)
	}
	if page.Statistics.CurrentPage != 2 {
		t.Errorf("current page = %d, want 2", page.Statistics.CurrentPage)
	}
}
