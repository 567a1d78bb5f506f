// Package config reads the platform's environment variables into one typed configuration.
// Nothing else in the service reads the environment.
package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Isolation levels of C8Y_MICROSERVICE_ISOLATION.
const (
	MultiTenant = "MULTI_TENANT" // one deployment serves every subscribed tenant
	PerTenant   = "PER_TENANT"   // one deployment per tenant, with C8Y_TENANT, C8Y_USER and C8Y_PASSWORD set
)

// Config holds every variable the service reads. An empty field means the variable was not
// set, as in a local run outside the platform.
type Config struct {
	// Address is the interface the server listens on, from SERVER_ADDRESS: an IP address or
	// a host name, without a port. Empty means all interfaces, which the platform needs.
	// Local runs and tests set 127.0.0.1.
	Address string
	Port    int // SERVER_PORT, 80 when unset; 0 picks a free port

	BaseURL       string // C8Y_BASEURL, the platform inside the cluster, for example http://cumulocity:8111
	BaseURLMQTT   string // C8Y_BASEURL_MQTT
	BaseURLPulsar string // C8Y_BASEURL_PULSAR

	BootstrapTenant   string // C8Y_BOOTSTRAP_TENANT
	BootstrapUser     string // C8Y_BOOTSTRAP_USER
	BootstrapPassword Secret // C8Y_BOOTSTRAP_PASSWORD

	Tenant   string // C8Y_TENANT, set only with PER_TENANT isolation
	User     string // C8Y_USER
	Password Secret // C8Y_PASSWORD

	Isolation string // C8Y_MICROSERVICE_ISOLATION: MultiTenant, PerTenant or empty
	AppName   string // APPLICATION_NAME
	AppKey    Secret // APPLICATION_KEY, sent as X-Cumulocity-Application-Key when set

	MemoryLimit      string // MEMORY_LIMIT as set, for example "512M"
	MemoryLimitBytes int64  // MEMORY_LIMIT in bytes, 0 when unset

	TimeZone string         // TZ as set, for example "Europe/Berlin"
	Location *time.Location // TZ loaded, nil when unset

	Proxy Proxy // PROXY_*

	// TrustedProxies are the addresses whose X-Real-IP header names the client, from
	// TRUSTED_PROXIES (comma-separated IP addresses and CIDR ranges). None when unset.
	TrustedProxies []netip.Prefix

	// VerifyCallers makes the platform routes check each caller's credentials with the
	// platform, from VERIFY_CALLERS (true or false, default false). Without it the service
	// trusts the gateway, which authenticates every request before passing it on.
	VerifyCallers bool
}

// Error lists every invalid variable found by Load.
type Error struct {
	Problems []error
}

func (e *Error) Error() string {
	messages := make([]string, len(e.Problems))
	for i, problem := range e.Problems {
		messages[i] = problem.Error()
	}
	return "invalid configuration: " + strings.Join(messages, "; ")
}

func (e *Error) Unwrap() []error { return e.Problems }

// Load reads the configuration through lookup, which has the signature of os.LookupEnv.
// It returns an *Error that names every invalid variable, its value and the fix. The value
// of a secret is never part of an error.
func Load(lookup func(string) (string, bool)) (Config, error) {
	l := loader{lookup: lookup}

	cfg := Config{
		Address:           l.listenAddress("SERVER_ADDRESS"),
		Port:              l.port("SERVER_PORT", 80, 0),
		BaseURL:           l.url("C8Y_BASEURL"),
		BaseURLMQTT:       l.url("C8Y_BASEURL_MQTT"),
		BaseURLPulsar:     l.url("C8Y_BASEURL_PULSAR"),
		BootstrapTenant:   l.get("C8Y_BOOTSTRAP_TENANT"),
		BootstrapUser:     l.get("C8Y_BOOTSTRAP_USER"),
		BootstrapPassword: Secret(l.get("C8Y_BOOTSTRAP_PASSWORD")),
		Tenant:            l.get("C8Y_TENANT"),
		User:              l.get("C8Y_USER"),
		Password:          Secret(l.get("C8Y_PASSWORD")),
		Isolation:         l.isolation("C8Y_MICROSERVICE_ISOLATION"),
		AppName:           l.get("APPLICATION_NAME"),
		AppKey:            Secret(l.get("APPLICATION_KEY")),
		MemoryLimit:       l.get("MEMORY_LIMIT"),
		MemoryLimitBytes:  l.memory("MEMORY_LIMIT"),
		TimeZone:          l.get("TZ"),
		Location:          l.location("TZ"),
		Proxy: Proxy{
			HTTP:          l.proxy("PROXY_HTTP_HOST", "PROXY_HTTP_PORT", 80),
			HTTPS:         l.proxy("PROXY_HTTPS_HOST", "PROXY_HTTPS_PORT", 443),
			SOCKS:         l.proxy("PROXY_SOCKS_HOST", "PROXY_SOCKS_PORT", 1080),
			NonProxyHosts: parseNonProxyHosts(l.get("PROXY_HTTP_NON_PROXY_HOSTS")),
		},
		TrustedProxies: l.prefixes("TRUSTED_PROXIES"),
		VerifyCallers:  l.boolean("VERIFY_CALLERS"),
	}

	if len(l.problems) > 0 {
		return Config{}, &Error{Problems: l.problems}
	}
	return cfg, nil
}

// loader reads variables and collects a problem for each invalid one, so that Load reports
// all of them at once.
type loader struct {
	lookup   func(string) (string, bool)
	problems []error
}

func (l *loader) get(name string) string {
	value, _ := l.lookup(name)
	return value
}

func (l *loader) fail(format string, args ...any) {
	l.problems = append(l.problems, fmt.Errorf(format, args...))
}

// listenAddress reads the address to listen on: an IP address, with or without the brackets
// of an IPv6 address, or a host name, without a port. The brackets are removed.
func (l *loader) listenAddress(name string) string {
	value := l.get(name)
	host := value
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return ""
	}

	if _, err := netip.ParseAddr(host); err == nil {
		return host
	}
	if isHostName(host) {
		return host
	}
	l.fail("%s=%q is neither an IP address nor a host name: set an address of this machine such as 127.0.0.1 or ::1, or a host name such as localhost, without a port (the port goes in SERVER_PORT), or unset it to listen on all interfaces", name, value)
	return ""
}

// isHostName reports whether name is a DNS host name: dot-separated labels of letters,
// digits and inner hyphens, at most 63 characters each and 253 in all. The last label must
// not be all digits, so a mistyped IPv4 address such as 999.1.1.1 is rejected.
func isHostName(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}

	labels := strings.Split(name, ".")
	for _, label := range labels {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !isASCIILetter(r) && !isASCIIDigit(r) && r != '-' {
				return false
			}
		}
	}
	return strings.ContainsFunc(labels[len(labels)-1], func(r rune) bool { return !isASCIIDigit(r) })
}

func isASCIILetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// boolean reads true or false, in any case, or returns false when the variable is unset.
func (l *loader) boolean(name string) bool {
	value := l.get(name)
	switch strings.ToLower(value) {
	case "", "false":
		return false
	case "true":
		return true
	}

	l.fail("%s=%q is not a boolean: set true or false, or unset it for false", name, value)
	return false
}

// port reads a port number, min to 65535, or returns fallback when the variable is unset.
func (l *loader) port(name string, fallback, min int) int {
	value := l.get(name)
	if value == "" {
		return fallback
	}

	port, err := strconv.Atoi(value)
	if err != nil || port < min || port > 65535 {
		l.fail("%s=%q is not a port number: set a whole number from %d to 65535, or unset it for %d", name, value, min, fallback)
		return 0
	}
	return port
}

// url reads an absolute URL such as http://cumulocity:8111. The value in an error is
// redacted, since a URL may carry credentials.
func (l *loader) url(name string) string {
	value := l.get(name)
	if value == "" {
		return ""
	}

	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" || u.Host == "" {
		l.fail("%s=%q is not an absolute URL: set a URL with a scheme and a host, for example http://cumulocity:8111", name, RedactURL(value))
		return ""
	}
	return value
}

func (l *loader) isolation(name string) string {
	value := l.get(name)
	switch value {
	case "", MultiTenant, PerTenant:
		return value
	}

	l.fail("%s=%q is not an isolation level: set %s or %s, as the manifest's isolation field", name, value, MultiTenant, PerTenant)
	return ""
}

func (l *loader) memory(name string) int64 {
	value := l.get(name)
	if value == "" {
		return 0
	}

	bytes, err := ParseMemory(value)
	if err != nil {
		l.fail("%s=%q is not a memory size: %w", name, value, err)
		return 0
	}
	if bytes <= 0 {
		l.fail("%s=%q is not a memory size: set a positive size, for example 512M", name, value)
		return 0
	}
	return bytes
}

// location loads a time zone from its IANA name, with an optional leading ":" as POSIX
// allows. UTC needs no zone database.
func (l *loader) location(name string) *time.Location {
	value := l.get(name)
	zone := strings.TrimPrefix(value, ":")
	if zone == "" {
		return nil
	}

	location, err := time.LoadLocation(zone)
	if err != nil {
		l.fail("%s=%q is not a time zone: set an IANA name such as Europe/Berlin or UTC", name, value)
		return nil
	}
	return location
}

// proxy reads a proxy host and port. The port alone, without a host, is ignored.
func (l *loader) proxy(hostName, portName string, defaultPort int) ProxyAddress {
	host := strings.TrimSuffix(strings.TrimPrefix(l.get(hostName), "["), "]")
	port := l.port(portName, defaultPort, 1)
	if host == "" {
		return ProxyAddress{}
	}

	if strings.ContainsAny(host, "@/: \t") && !isIPv6(host) {
		shown := host
		if strings.Contains(host, "@") {
			shown = mask
		}
		l.fail("%s=%q is not a host name: set the proxy's name or IP address only, without scheme, port or credentials, and its port in %s", hostName, shown, portName)
		return ProxyAddress{}
	}
	return ProxyAddress{Host: host, Port: port}
}

func isIPv6(host string) bool {
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Is6()
}

// prefixes reads a comma-separated list of IP addresses and CIDR ranges. An address
// becomes a range of one address.
func (l *loader) prefixes(name string) []netip.Prefix {
	var prefixes []netip.Prefix
	for _, entry := range strings.Split(l.get(name), ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}

		if prefix, err := netip.ParsePrefix(entry); err == nil {
			prefixes = append(prefixes, prefix.Masked())
			continue
		}
		if addr, err := netip.ParseAddr(entry); err == nil {
			addr = addr.WithZone("")
			prefixes = append(prefixes, netip.PrefixFrom(addr, addr.BitLen()))
			continue
		}
		l.fail("%s contains %q, which is neither an IP address nor a CIDR range: list addresses such as 10.0.0.1 or ranges such as 10.0.0.0/8, separated by commas", name, entry)
	}
	return prefixes
}
