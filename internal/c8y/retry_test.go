package c8y

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 20, 15, 0, 0, time.UTC)

	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "seconds", value: "3", want: 3 * time.Second, wantOK: true},
		{name: "zero", value: "0", want: 0, wantOK: true},
		{name: "spaces", value: " 2 ", want: 2 * time.Second, wantOK: true},
		{name: "date", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "past date", value: now.Add(-time.Hour).Format(http.TimeFormat), want: 0, wantOK: true},
		{name: "empty", value: ""},
		{name: "negative", value: "-1"},
		{name: "garbage", value: "soon"},
		{name: "fraction", value: "1.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseRetryAfter(tt.value, now)
			if ok != tt.wantOK {
				t.Fatalf("parseRetryAfter(%q) ok = %v, want %v", tt.value, ok, tt.wantOK)
			}
			if got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: 800 * time.Millisecond}.withDefaults()

	for retry, full := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 9: 800 * time.Millisecond} {
		for range 50 {
			got := p.backoff(retry)
			if got < full/2 || got > full {
				t.Fatalf("backoff(%d) = %s, want between %s and %s", retry, got, full/2, full)
			}
		}
	}
}

func TestWaitCapsRetryAfter(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxRetryAfter: 2 * time.Second}.withDefaults()

	if got := p.wait(1, &Error{StatusCode: 429, RetryAfter: time.Hour}); got != 2*time.Second {
		t.Errorf("wait with Retry-After 1h = %s, want the cap 2s", got)
	}
	if got := p.wait(1, &Error{StatusCode: 429, RetryAfter: time.Second}); got != time.Second {
		t.Errorf("wait with Retry-After 1s = %s, want 1s", got)
	}
}

func TestRepeatable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method     string
		idempotent bool
		want       bool
	}{
		{method: http.MethodGet, want: true},
		{method: http.MethodPut, want: true},
		{method: http.MethodDelete, want: true},
		{method: http.MethodPost, want: false},
		{method: http.MethodPost, idempotent: true, want: true},
		{method: http.MethodPatch, want: false},
	}
	for _, tt := range tests {
		if got := repeatable(&Request{Method: tt.method, Idempotent: tt.idempotent}); got != tt.want {
			t.Errorf("repeatable(%s, idempotent %v) = %v, want %v", tt.method, tt.idempotent, got, tt.want)
		}
	}
}
