package c8y

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// TimeLayout formats measurement times as RFC 3339 with milliseconds and a numeric offset,
// for example 2026-12-04T20:15:01.123+01:00. The platform reads a time without an offset
// as UTC, so the offset is always written, "+00:00" for UTC too.
const TimeLayout = "2006-01-02T15:04:05.000-07:00"

// forbiddenNameChars may not appear in fragment or series names: the platform uses them in
// queries and paths.
const forbiddenNameChars = " .,*[]()@$"

// Measurement is a set of values of one source at one time. Series maps fragment names to
// the fragment's series, for example {"c8y_Temperature": {"T": {Value: 21.5, Unit: "C"}}}.
type Measurement struct {
	ID     string // assigned by the platform
	Self   string
	Type   string
	Time   time.Time
	Source ObjectRef
	Series map[string]map[string]Value
}

// Value is one reading of a series.
type Value struct {
	Value float64 `json:"value"`
	Unit  string  `json:"unit,omitempty"`
}

// ValidName reports whether name may be a fragment or series name: not empty and without
// spaces, dots or any of ",*[]()@$".
func ValidName(name string) bool {
	return name != "" && !strings.ContainsAny(name, forbiddenNameChars)
}

// MarshalJSON writes the series as top-level fragments beside source, type and time.
func (m Measurement) MarshalJSON() ([]byte, error) {
	fields := make(map[string]any, len(m.Series)+5)
	for fragment, series := range m.Series {
		fields[fragment] = series
	}
	if m.ID != "" {
		fields["id"] = m.ID
	}
	if m.Self != "" {
		fields["self"] = m.Self
	}
	fields["type"] = m.Type
	fields["time"] = m.Time.Format(TimeLayout)
	fields["source"] = ObjectRef{ID: m.Source.ID}
	return json.Marshal(fields)
}

// UnmarshalJSON reads the known fields and every fragment whose members all have a
// "value"; other fragments are skipped.
func (m *Measurement) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}

	var decoded Measurement
	var rawTime string
	for name, target := range map[string]any{"id": &decoded.ID, "self": &decoded.Self, "type": &decoded.Type, "time": &rawTime, "source": &decoded.Source} {
		raw, ok := fields[name]
		if !ok {
			continue
		}
		if err := json.Unmarshal(raw, target); err != nil {
			return fmt.Errorf("decoding measurement field %s: %w", name, err)
		}
		delete(fields, name)
	}
	if rawTime != "" {
		parsed, err := time.Parse(time.RFC3339, rawTime)
		if err != nil {
			return fmt.Errorf("decoding measurement time: %w", err)
		}
		decoded.Time = parsed
	}

	for name, raw := range fields {
		if series, ok := decodeSeries(raw); ok {
			if decoded.Series == nil {
				decoded.Series = make(map[string]map[string]Value)
			}
			decoded.Series[name] = series
		}
	}
	*m = decoded
	return nil
}

// decodeSeries decodes a fragment whose members all have a numeric "value".
func decodeSeries(raw json.RawMessage) (map[string]Value, bool) {
	var members map[string]struct {
		Value *float64 `json:"value"`
		Unit  string   `json:"unit"`
	}
	if json.Unmarshal(raw, &members) != nil || len(members) == 0 {
		return nil, false
	}
	series := make(map[string]Value, len(members))
	for name, member := range members {
		if member.Value == nil {
			return nil, false
		}
		series[name] = Value{Value: *member.Value, Unit: member.Unit}
	}
	return series, true
}

// validate checks what the platform rejects: a missing source, type or time, an invalid
// fragment or series name, or an empty unit.
func (m Measurement) validate() error {
	switch {
	case m.Source.ID == "":
		return errors.New("source ID is missing")
	case m.Type == "":
		return errors.New("type is missing")
	case m.Time.IsZero():
		return errors.New("time is missing")
	}
	for fragment, series := range m.Series {
		if !ValidName(fragment) {
			return fmt.Errorf("fragment name %q is empty or contains one of %q", fragment, forbiddenNameChars)
		}
		for name, value := range series {
			if !ValidName(name) {
				return fmt.Errorf("series name %q in fragment %s is empty or contains one of %q", name, fragment, forbiddenNameChars)
			}
			if value.Unit == "" {
				return fmt.Errorf("series %s.%s has an empty unit", fragment, name)
			}
		}
	}
	return nil
}

// CreateMeasurements creates the measurements in one request and returns them as the
// platform stored them. One measurement is sent with the measurement media type, several
// as a measurement collection. It is never retried, because a repeat could store the
// values twice.
func (c *Client) CreateMeasurements(ctx context.Context, measurements []Measurement) ([]Measurement, error) {
	if len(measurements) == 0 {
		return nil, errors.New("creating measurements: none given")
	}
	for i, m := range measurements {
		if err := m.validate(); err != nil {
			return nil, fmt.Errorf("creating measurements: measurement %d: %w", i, err)
		}
	}

	if len(measurements) == 1 {
		var created Measurement
		req := &Request{
			Method:      http.MethodPost,
			Path:        "/measurement/measurements",
			Accept:      MediaTypeMeasurement,
			ContentType: MediaTypeMeasurement,
			Body:        measurements[0],
		}
		if _, err := c.Do(ctx, req, &created); err != nil {
			return nil, fmt.Errorf("creating a measurement: %w", err)
		}
		return []Measurement{created}, nil
	}

	var created struct {
		Measurements []Measurement `json:"measurements"`
	}
	req := &Request{
		Method:      http.MethodPost,
		Path:        "/measurement/measurements",
		Accept:      MediaTypeMeasurementCollection,
		ContentType: MediaTypeMeasurementCollection,
		Body:        map[string][]Measurement{"measurements": measurements},
	}
	if _, err := c.Do(ctx, req, &created); err != nil {
		return nil, fmt.Errorf("creating %d measurements: %w", len(measurements), err)
	}
	return created.Measurements, nil
}
