package verify

import "testing"

func TestLinkerStringFlag(t *testing.T) {
	t.Parallel()

	tests := []struct {
		ldflags string
		value   string
		found   bool
	}{
		{"-s -w -X main.version=1.0.0", "1.0.0", true},
		{"-X=main.version=1.0.0", "1.0.0", true},
		{"--X main.version=1.0.0", "1.0.0", true},
		{"-X 'main.version=1.0.0 beta'", "1.0.0 beta", true},
		{`-X "main.version=2.0.0"`, "2.0.0", true},
		{"-X main.version=1.0.0 -X main.version=1.0.1", "1.0.1", true},
		{"-X main.version=", "", true},
		{"-X main.commit=abc", "", false},
		{"-X other.version=1.0.0", "", false},
		{"-s -w", "", false},
		{"-X", "", false},
		{"", "", false},
	}

	for _, test := range tests {
		t.Run(test.ldflags, func(t *testing.T) {
			t.Parallel()

			value, found := linkerStringFlag(test.ldflags, "main.version")
			if value != test.value || found != test.found {
				t.Errorf("linkerStringFlag(%q) = %q, %v, want %q, %v", test.ldflags, value, found, test.value, test.found)
			}
		})
	}
}
