package auth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// token returns an unsigned JWT with the given JSON claims.
func token(claims string) string {
	encode := base64.RawURLEncoding.EncodeToString
	return encode([]byte(`{"alg":"HS256"}`)) + "." + encode([]byte(claims)) + "." + encode([]byte("signature"))
}

func basic(userPassword string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPassword))
}

func TestIdentify(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name          string
		authorization string
		cookie        string
		want          Caller
	}{
		{"no credentials", "", "", Caller{}},
		{"basic with tenant", basic("t100/alice:pa:ss"), "", Caller{Tenant: "t100", User: "alice"}},
		{"basic without tenant", basic("alice:secret"), "", Caller{User: "alice"}},
		{"basic lowercase scheme", "basic " + base64.StdEncoding.EncodeToString([]byte("t7/bob:x")), "", Caller{Tenant: "t7", User: "bob"}},
		{"basic not base64", "Basic !!!", "", Caller{}},
		{"bearer", "Bearer " + token(`{"ten":"t200","sub":"bob"}`), "", Caller{Tenant: "t200", User: "bob"}},
		{"bearer without claims", "Bearer " + token(`{}`), "", Caller{}},
		{"bearer not a jwt", "Bearer opaque-token", "", Caller{}},
		{"bearer payload not json", "Bearer a.bm90IGpzb24.c", "", Caller{}},
		{"bearer odd tenant", "Bearer " + token(`{"ten":"t1 DROP TABLE","sub":"x"}`), "", Caller{User: "x"}},
		{"bearer too long", "Bearer " + token(`{"ten":"t1","pad":"`+strings.Repeat("x", 20000)+`"}`), "", Caller{}},
		{"cookie", "", token(`{"ten":"t300","sub":"carol"}`), Caller{Tenant: "t300", User: "carol"}},
		{"header before cookie", basic("t1/a:b"), token(`{"ten":"t300"}`), Caller{Tenant: "t1", User: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			request := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.authorization != "" {
				request.Header.Set("Authorization", tt.authorization)
			}
			if tt.cookie != "" {
				request.AddCookie(&http.Cookie{Name: "authorization", Value: tt.cookie})
			}

			if got := Identify(request); got != tt.want {
				t.Errorf("Identify = %+v, want %+v", got, tt.want)
			}
		})
	}
}
