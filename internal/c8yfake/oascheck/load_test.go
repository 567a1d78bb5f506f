package oascheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveMissing(t *testing.T) {
	t.Parallel()
	absent := filepath.Join(t.TempDir(), "c8y-oas.yml")

	tests := []struct {
		name, path string
		wantNotice string
	}{
		{"unset", "", "C8Y_OPENAPI_SPEC is not set: requests and responses are not checked against the OpenAPI spec"},
		{"absent file", absent, "C8Y_OPENAPI_SPEC=" + absent + " does not exist: requests and responses are not checked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &cache{loaders: make(map[string]func() (*Spec, error))}

			spec, notice, err := c.resolve(tt.path, false)
			if err != nil {
				t.Fatalf("resolve: %v, want a Spec without a document", err)
			}
			if spec.Enabled() {
				t.Error("resolve returned a Spec with a document")
			}
			if !strings.HasPrefix(notice, tt.wantNotice) {
				t.Errorf("notice = %q, want it to start with %q", notice, tt.wantNotice)
			}

			_, again, _ := c.resolve(tt.path, false)
			if again != "" {
				t.Errorf("second notice = %q, want none: the notice is logged once per test binary", again)
			}
		})
	}
}

func TestResolveRequired(t *testing.T) {
	t.Parallel()
	absent := filepath.Join(t.TempDir(), "c8y-oas.yml")

	for _, path := range []string{"", absent} {
		c := &cache{loaders: make(map[string]func() (*Spec, error))}

		_, _, err := c.resolve(path, true)
		if err == nil {
			t.Fatalf("resolve(%q) with REQUIRE_SPEC=1 returned no error", path)
		}
		for _, part := range []string{"C8Y_OPENAPI_SPEC", "REQUIRE_SPEC=1", "c8y-oas.yml"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("error %q does not contain %q", err, part)
			}
		}
	}
}

func TestResolveInvalid(t *testing.T) {
	t.Parallel()
	broken := filepath.Join(t.TempDir(), "broken.yml")
	if err := os.WriteFile(broken, []byte("openapi: [not a document"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct{ name, path, want string }{
		{"relative", "c8y-oas.yml", "absolute path"},
		{"broken", broken, broken},
	}
	for _, tt := range tests {
		c := &cache{loaders: make(map[string]func() (*Spec, error))}

		_, _, err := c.resolve(tt.path, false)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want one containing %q even without REQUIRE_SPEC", tt.name, err, tt.want)
		}
	}
}

func TestResolveFile(t *testing.T) {
	t.Parallel()
	path, err := filepath.Abs("testdata/mini.yml")
	if err != nil {
		t.Fatal(err)
	}
	c := &cache{loaders: make(map[string]func() (*Spec, error))}

	spec, notice, err := c.resolve(path, true)
	if err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if !spec.Enabled() || notice != "" {
		t.Errorf("resolve = enabled %t, notice %q; want a loaded document and no notice", spec.Enabled(), notice)
	}
	if again, _, _ := c.resolve(path, true); again != spec {
		t.Error("a second resolve parsed the document again")
	}
}
