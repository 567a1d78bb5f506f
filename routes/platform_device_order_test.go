package routes

import (
	"testing"

	"hello-microservice/internal/c8y"
)

func TestCreatedBefore(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		a, b c8y.ManagedObject
		want bool
	}{
		{"earlier time", c8y.ManagedObject{ID: "900", CreationTime: "2024-01-01T10:00:00.000Z"}, c8y.ManagedObject{ID: "100", CreationTime: "2025-01-01T10:00:00.000Z"}, true},
		{"later time", c8y.ManagedObject{ID: "100", CreationTime: "2025-01-01T10:00:00.000Z"}, c8y.ManagedObject{ID: "900", CreationTime: "2024-01-01T10:00:00.000Z"}, false},
		{"offsets compared as instants", c8y.ManagedObject{ID: "2", CreationTime: "2025-01-01T11:30:00.000+02:00"}, c8y.ManagedObject{ID: "1", CreationTime: "2025-01-01T10:00:00.000Z"}, true},
		{"same time, lower id", c8y.ManagedObject{ID: "99", CreationTime: "2025-01-01T10:00:00.000Z"}, c8y.ManagedObject{ID: "100", CreationTime: "2025-01-01T10:00:00.000Z"}, true},
		{"no time, numeric ids", c8y.ManagedObject{ID: "99"}, c8y.ManagedObject{ID: "100"}, true},
		{"no time, higher id", c8y.ManagedObject{ID: "100"}, c8y.ManagedObject{ID: "99"}, false},
	}
	for _, tt := range tests {
		if got := createdBefore(&tt.a, &tt.b); got != tt.want {
			t.Errorf("%s: createdBefore = %t, want %t", tt.name, got, tt.want)
		}
	}
}
