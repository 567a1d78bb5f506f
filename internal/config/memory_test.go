package config

import "testing"

func TestParseMemory(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20},
		{"512M", 512e6},
		{"1G", 1e9},
		{"500k", 500e3},
		{"256Mi", 256 << 20},
		{"1Gi", 1 << 30},
		{"1.5Gi", 3 << 29},
		{"2Ti", 2 << 40},
	}
	for _, tt := range tests {
		got, err := ParseMemory(tt.in)
		if err != nil {
			t.Errorf("ParseMemory(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseMemory(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestParseMemoryInvalid(t *testing.T) {
	t.Parallel()

	for _, in := range []string{"", "M", "512 M", "512MB", "512m", "-5M", "1e3", ".5G", "5.G", "1.2.3G", "99999E"} {
		if got, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", in, got)
		}
	}
}

func TestSoftMemoryLimit(t *testing.T) {
	t.Parallel()

	if got, want := SoftMemoryLimit(512e6), int64(409.6e6); got != want {
		t.Errorf("SoftMemoryLimit(512M) = %d, want %d", got, want)
	}
}
