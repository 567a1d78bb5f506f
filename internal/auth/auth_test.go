package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hello-microservice/internal/config"
)

// token returns an unsigned JWT with the given JSON claims.
func token(claims string) string {
	encode := base64.RawURLEncoding.EncodeToString
	return encode([]byte(`{"alg":"none"}`)) + "." + encode([]byte(claims)) + "." + encode([]byte("signature"))
}

func basic(userPassword string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPassword))
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	padded := "e30." + base64.URLEncoding.EncodeToString([]byte(`{"ten":"t5","sub":"eve1"}`)) + ".sig"

	tests := []struct {
		name          string
		authorization string
		cookie        string
		xsrf          string
		want          Caller // zero when ErrNoTenant is expected
	}{
		{name: "basic", authorization: basic("t100/alice:pa:ss"), want: Caller{Tenant: "t100", User: "alice"}},
		{name: "basic lowercase scheme", authorization: "basic " + base64.StdEncoding.EncodeToString([]byte("t7/bob:x")), want: Caller{Tenant: "t7", User: "bob"}},
		{name: "basic without tenant", authorization: basic("alice:secret")},
		{name: "basic empty tenant", authorization: basic("/alice:secret")},
		{name: "basic empty user", authorization: basic("t100/:secret")},
		{name: "basic without password", authorization: basic("t100/alice")},
		{name: "basic not base64", authorization: "Basic !!!"},
		{name: "bearer", authorization: "Bearer " + token(`{"ten":"t200","sub":"bob"}`), want: Caller{Tenant: "t200", User: "bob"}},
		{name: "bearer without sub", authorization: "Bearer " + token(`{"ten":"t200"}`), want: Caller{Tenant: "t200"}},
		{name: "bearer padded", authorization: "Bearer " + padded, want: Caller{Tenant: "t5", User: "eve1"}},
		{name: "bearer without ten", authorization: "Bearer " + token(`{"sub":"bob"}`)},
		{name: "bearer not a jwt", authorization: "Bearer opaque"},
		{name: "bearer payload not json", authorization: "Bearer a.bm90IGpzb24.c"},
		{name: "bearer odd tenant", authorization: "Bearer " + token(`{"ten":"t1 DROP","sub":"x"}`)},
		{name: "bearer too long", authorization: "Bearer " + token(`{"ten":"t1","pad":"`+strings.Repeat("x", 20000)+`"}`)},
		{name: "unknown scheme", authorization: "Digest t100"},
		{name: "cookie with xsrf", cookie: token(`{"ten":"t300","sub":"carol"}`), xsrf: "x", want: Caller{Tenant: "t300", User: "carol"}},
		{name: "cookie without xsrf", cookie: token(`{"ten":"t300","sub":"carol"}`)},
		{name: "header before cookie", authorization: basic("t1/a:b"), cookie: token(`{"ten":"t300"}`), xsrf: "x", want: Caller{Tenant: "t1", User: "a"}},
		{name: "bad header, cookie ignored", authorization: "Basic !!!", cookie: token(`{"ten":"t300"}`), xsrf: "x"},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "authorization", Value: tt.cookie})
			}
			if tt.xsrf != "" {
				r.Header.Set("X-XSRF-TOKEN", tt.xsrf)
			}

			got, err := Identify(r)

			if tt.want == (Caller{}) {
				if !errors.Is(err, ErrNoTenant) {
					t.Errorf("CallerOf = %+v, %v; want ErrNoTenant", got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("CallerOf: %v", err)
			}
			if got != tt.want {
				t.Errorf("CallerOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCredentialOf(t *testing.T) {
	t.Parallel()
	cookieToken := token(`{"ten":"t300","sub":"carol"}`)

	tests := []struct {
		name          string
		authorization string
		cookie        string
		xsrf          string
		want          Credential
		wantOK        bool
	}{
		{name: "basic", authorization: basic("t100/alice:pw"), want: Credential{Authorization: config.Secret(basic("t100/alice:pw"))}, wantOK: true},
		{name: "bearer", authorization: "Bearer a.b.c", want: Credential{Authorization: "Bearer a.b.c"}, wantOK: true},
		{name: "cookie with xsrf", cookie: cookieToken, xsrf: "x1", want: Credential{Authorization: config.Secret("Bearer " + cookieToken), XSRFToken: "x1"}, wantOK: true},
		{name: "cookie without xsrf", cookie: cookieToken},
		{name: "header before cookie", authorization: "Bearer a.b.c", cookie: cookieToken, xsrf: "x1", want: Credential{Authorization: "Bearer a.b.c"}, wantOK: true},
		{name: "unknown scheme", authorization: "Digest t100"},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.authorization != "" {
				r.Header.Set("Authorization", tt.authorization)
			}
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: "authorization", Value: tt.cookie})
			}
			if tt.xsrf != "" {
				r.Header.Set("X-XSRF-TOKEN", tt.xsrf)
			}

			got, ok := CredentialOf(r)

			if ok != tt.wantOK {
				t.Errorf("CredentialOf ok = %t, want %t", ok, tt.wantOK)
			}
			if got != tt.want {
				t.Errorf("CredentialOf = %q, %q; want %q, %q", got.Authorization.Reveal(), got.XSRFToken.Reveal(), tt.want.Authorization.Reveal(), tt.want.XSRFToken.Reveal())
			}
		})
	}
}
