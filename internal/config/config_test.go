package config

import (
	"errors"
	"maps"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	_ "time/tzdata" // the same zone database as the service binary
)

// env returns a lookup function over vars, in the form of os.LookupEnv.
func env(vars map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		value, ok := vars[name]
		return value, ok
	}
}

func TestLoadEmpty(t *testing.T) {
	t.Parallel()

	cfg, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load without variables: %v", err)
	}

	if cfg.Port != 80 {
		t.Errorf("Port = %d, want 80", cfg.Port)
	}
	if cfg.Location != nil || cfg.MemoryLimitBytes != 0 || cfg.Proxy.IsSet() || len(cfg.TrustedProxies) != 0 || cfg.VerifyCallers {
		t.Errorf("Load without variables set optional fields: %+v", cfg)
	}
}

func TestLoadEverything(t *testing.T) {
	t.Parallel()

	cfg, err := Load(env(map[string]string{
		"SERVER_ADDRESS":             "127.0.0.1",
		"SERVER_PORT":                "8080",
		"C8Y_BASEURL":                "http://cumulocity:8111",
		"C8Y_BASEURL_MQTT":           "mqtt://cumulocity:1883",
		"C8Y_BASEURL_PULSAR":         "pulsar://pulsar:6650",
		"C8Y_BOOTSTRAP_TENANT":       "management",
		"C8Y_BOOTSTRAP_USER":         "servicebootstrap_hello",
		"C8Y_BOOTSTRAP_PASSWORD":     "bootstrap-password",
		"C8Y_TENANT":                 "t100",
		"C8Y_USER":                   "service_hello",
		"C8Y_PASSWORD":               "service-password",
		"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT",
		"APPLICATION_NAME":           "hello",
		"APPLICATION_KEY":            "hello-key",
		"MEMORY_LIMIT":               "256Mi",
		"TZ":                         "Europe/Berlin",
		"PROXY_HTTP_HOST":            "proxy.internal",
		"PROXY_HTTP_PORT":            "3128",
		"PROXY_HTTPS_HOST":           "[::1]",
		"PROXY_SOCKS_HOST":           "socks.internal",
		"PROXY_SOCKS_PORT":           "1081",
		"PROXY_HTTP_NON_PROXY_HOSTS": "localhost| *.Internal |10.*||[::1]",
		"TRUSTED_PROXIES":            "10.0.0.0/8, 192.168.1.7,fd00::1",
		"VERIFY_CALLERS":             "true",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	checks := []struct {
		field     string
		got, want any
	}{
		{"Address", cfg.Address, "127.0.0.1"},
		{"Port", cfg.Port, 8080},
		{"BaseURL", cfg.BaseURL, "http://cumulocity:8111"},
		{"BaseURLMQTT", cfg.BaseURLMQTT, "mqtt://cumulocity:1883"},
		{"BaseURLPulsar", cfg.BaseURLPulsar, "pulsar://pulsar:6650"},
		{"BootstrapTenant", cfg.BootstrapTenant, "management"},
		{"BootstrapUser", cfg.BootstrapUser, "servicebootstrap_hello"},
		{"BootstrapPassword", cfg.BootstrapPassword.Reveal(), "bootstrap-password"},
		{"Tenant", cfg.Tenant, "t100"},
		{"User", cfg.User, "service_hello"},
		{"Password", cfg.Password.Reveal(), "service-password"},
		{"Isolation", cfg.Isolation, PerTenant},
		{"AppName", cfg.AppName, "hello"},
		{"AppKey", cfg.AppKey.Reveal(), "hello-key"},
		{"MemoryLimit", cfg.MemoryLimit, "256Mi"},
		{"MemoryLimitBytes", cfg.MemoryLimitBytes, int64(256 << 20)},
		{"TimeZone", cfg.TimeZone, "Europe/Berlin"},
		{"Location", cfg.Location.String(), "Europe/Berlin"},
		{"Proxy.HTTP", cfg.Proxy.HTTP, ProxyAddress{Host: "proxy.internal", Port: 3128}},
		{"Proxy.HTTPS", cfg.Proxy.HTTPS, ProxyAddress{Host: "::1", Port: 443}},
		{"Proxy.SOCKS", cfg.Proxy.SOCKS, ProxyAddress{Host: "socks.internal", Port: 1081}},
		{"Proxy.NonProxyHosts", cfg.Proxy.NonProxyHosts, []string{"localhost", "*.internal", "10.*", "::1"}},
		{"VerifyCallers", cfg.VerifyCallers, true},
		{"TrustedProxies", cfg.TrustedProxies, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"),
			netip.MustParsePrefix("192.168.1.7/32"),
			netip.MustParsePrefix("fd00::1/128"),
		}},
	}
	for _, check := range checks {
		if !reflect.DeepEqual(check.got, check.want) {
			t.Errorf("%s = %#v, want %#v", check.field, check.got, check.want)
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, value string
		fix         string // a part of the message that gives the fix
	}{
		{"SERVER_ADDRESS", "999.1.1.1", "neither an IP address nor a host name"},
		{"SERVER_ADDRESS", "127.0.0.1:8080", "without a port"},
		{"SERVER_ADDRESS", "http://localhost", "unset it to listen on all interfaces"},
		{"SERVER_ADDRESS", "-bad-.example", "such as localhost"},
		{"SERVER_PORT", "http", "whole number from 0 to 65535"},
		{"SERVER_PORT", "65536", "whole number from 0 to 65535"},
		{"SERVER_PORT", "-1", "whole number from 0 to 65535"},
		{"C8Y_BASEURL", "cumulocity:8111", "with a scheme and a host"},
		{"C8Y_BASEURL_MQTT", "/mqtt", "with a scheme and a host"},
		{"C8Y_MICROSERVICE_ISOLATION", "per_tenant", "set MULTI_TENANT or PER_TENANT"},
		{"MEMORY_LIMIT", "512MB", "unknown unit"},
		{"MEMORY_LIMIT", "M", "write digits followed by a unit"},
		{"MEMORY_LIMIT", "1.2.3G", "write digits followed by a unit"},
		{"MEMORY_LIMIT", "0", "positive size"},
		{"TZ", "Mars/Olympus_Mons", "IANA name such as Europe/Berlin"},
		{"PROXY_HTTP_PORT", "eighty", "from 1 to 65535"},
		{"PROXY_HTTPS_PORT", "0", "from 1 to 65535"},
		{"PROXY_SOCKS_PORT", "99999", "from 1 to 65535"},
		{"PROXY_HTTP_HOST", "http://proxy", "without scheme, port or credentials"},
		{"TRUSTED_PROXIES", "10.0.0.0/33", "ranges such as 10.0.0.0/8"},
		{"TRUSTED_PROXIES", "gateway", "ranges such as 10.0.0.0/8"},
		{"VERIFY_CALLERS", "yes", "set true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()

			_, err := Load(env(map[string]string{tt.name: tt.value}))
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tt.name, tt.value)
			}

			var configErr *Error
			if !errors.As(err, &configErr) || len(configErr.Problems) != 1 {
				t.Errorf("error = %#v, want one problem in a *config.Error", err)
			}
			for _, part := range []string{tt.name, tt.value, tt.fix} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("error %q does not contain %q", err, part)
				}
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()

	_, err := Load(env(map[string]string{
		"SERVER_PORT":                "x",
		"MEMORY_LIMIT":               "lots",
		"C8Y_MICROSERVICE_ISOLATION": "SHARED",
	}))

	var configErr *Error
	if !errors.As(err, &configErr) {
		t.Fatalf("error = %v, want a *config.Error", err)
	}
	if len(configErr.Problems) != 3 {
		t.Errorf("got %d problems, want 3: %v", len(configErr.Problems), err)
	}
	for _, name := range []string{"SERVER_PORT", "MEMORY_LIMIT", "C8Y_MICROSERVICE_ISOLATION"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadErrorHidesCredentials(t *testing.T) {
	t.Parallel()

	_, err := Load(env(map[string]string{
		"C8Y_BASEURL":     "http://admin:url-secret@",
		"PROXY_HTTP_HOST": "proxyuser:proxy-secret@proxy",
	}))
	if err == nil {
		t.Fatal("Load accepted a URL without host and a proxy host with credentials")
	}

	for _, secret := range []string{"url-secret", "proxy-secret", "admin", "proxyuser"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q shows %q", err, secret)
		}
	}
	for _, name := range []string{"C8Y_BASEURL", "PROXY_HTTP_HOST"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestLoadServerAddress(t *testing.T) {
	t.Parallel()

	tests := []struct{ value, want string }{
		{"", ""},
		{"127.0.0.1", "127.0.0.1"},
		{"0.0.0.0", "0.0.0.0"},
		{"::1", "::1"},
		{"[::1]", "::1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"localhost", "localhost"},
		{"service.internal.", "service.internal."},
		{"hello-microservice", "hello-microservice"},
	}
	for _, tt := range tests {
		cfg, err := Load(env(map[string]string{"SERVER_ADDRESS": tt.value}))
		if err != nil {
			t.Errorf("Load with SERVER_ADDRESS=%q: %v", tt.value, err)
			continue
		}
		if cfg.Address != tt.want {
			t.Errorf("SERVER_ADDRESS=%q: Address = %q, want %q", tt.value, cfg.Address, tt.want)
		}
	}
}

func TestLoadTimeZoneColon(t *testing.T) {
	t.Parallel()

	cfg, err := Load(env(map[string]string{"TZ": ":Asia/Kolkata"}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Location.String() != "Asia/Kolkata" {
		t.Errorf("Location = %v, want Asia/Kolkata", cfg.Location)
	}
}

func TestMissing(t *testing.T) {
	t.Parallel()

	cfg, err := Load(env(map[string]string{
		"C8Y_BASEURL":            "http://cumulocity:8111",
		"C8Y_BOOTSTRAP_PASSWORD": "secret",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	got := cfg.Missing("C8Y_BASEURL", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD", "TZ")
	want := []string{"C8Y_BOOTSTRAP_USER", "TZ"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Missing = %v, want %v", got, want)
	}
}

func TestMissingPlatform(t *testing.T) {
	t.Parallel()

	bootstrap := map[string]string{"C8Y_BOOTSTRAP_TENANT": "t1", "C8Y_BOOTSTRAP_USER": "u", "C8Y_BOOTSTRAP_PASSWORD": "p"}
	service := map[string]string{"C8Y_TENANT": "t2", "C8Y_USER": "service_hello", "C8Y_PASSWORD": "s"}
	with := func(sets ...map[string]string) map[string]string {
		vars := map[string]string{"C8Y_BASEURL": "http://c8y"}
		for _, set := range sets {
			maps.Copy(vars, set)
		}
		return vars
	}
	perTenant := map[string]string{"C8Y_MICROSERVICE_ISOLATION": "PER_TENANT"}
	multiTenant := map[string]string{"C8Y_MICROSERVICE_ISOLATION": "MULTI_TENANT"}

	tests := []struct {
		name string
		vars map[string]string
		want []string
	}{
		{"local run", nil, []string{"C8Y_BASEURL", "C8Y_BOOTSTRAP_TENANT", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD"}},
		{"multi-tenant", with(bootstrap, multiTenant), nil},
		{"isolation unset", with(bootstrap), nil},
		{"multi-tenant without bootstrap", with(multiTenant, service), []string{"C8Y_BOOTSTRAP_TENANT", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD"}},
		{"per-tenant", with(perTenant, service), nil},
		{"per-tenant with bootstrap", with(perTenant, service, bootstrap), nil},
		{"per-tenant without service user", with(perTenant, bootstrap, map[string]string{"C8Y_TENANT": "t2"}), []string{"C8Y_USER", "C8Y_PASSWORD"}},
		{"without base URL", map[string]string{"C8Y_TENANT": "t2", "C8Y_USER": "u", "C8Y_PASSWORD": "s", "C8Y_MICROSERVICE_ISOLATION": "PER_TENANT"}, []string{"C8Y_BASEURL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			cfg, err := Load(env(tt.vars))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got := cfg.MissingPlatform(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MissingPlatform = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMissingUnknownName(t *testing.T) {
	t.Parallel()

	defer func() {
		if recover() == nil {
			t.Error("Missing accepted a name that Config does not hold")
		}
	}()
	Config{}.Missing("C8Y_BASE_URL")
}
