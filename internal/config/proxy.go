package config

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ProxyAddress is the host and port of one outbound proxy. A zero ProxyAddress means that
// no proxy is configured.
type ProxyAddress struct {
	Host string
	Port int
}

// IsSet reports whether a proxy host is configured.
func (a ProxyAddress) IsSet() bool { return a.Host != "" }

// String returns "host:port", with brackets around an IPv6 host, or "" when unset.
func (a ProxyAddress) String() string {
	if !a.IsSet() {
		return ""
	}
	return net.JoinHostPort(a.Host, strconv.Itoa(a.Port))
}

// Proxy is the outbound proxy set by the PROXY_* variables. The platform passes them in the
// form of Java's proxy properties (http.proxyHost, https.proxyHost, socksProxyHost,
// http.nonProxyHosts), and the rules below follow Java's: HTTP requests use the HTTP proxy,
// HTTPS requests the HTTPS proxy, and either falls back to the SOCKS proxy.
type Proxy struct {
	HTTP  ProxyAddress // PROXY_HTTP_HOST and PROXY_HTTP_PORT, port 80 by default
	HTTPS ProxyAddress // PROXY_HTTPS_HOST and PROXY_HTTPS_PORT, port 443 by default
	SOCKS ProxyAddress // PROXY_SOCKS_HOST and PROXY_SOCKS_PORT, port 1080 by default

	// NonProxyHosts are the host patterns reached directly, from PROXY_HTTP_NON_PROXY_HOSTS
	// ("localhost|*.internal|10.*"). A "*" matches any run of characters.
	NonProxyHosts []string
}

// IsSet reports whether any proxy is configured.
func (p Proxy) IsSet() bool { return p.HTTP.IsSet() || p.HTTPS.IsSet() || p.SOCKS.IsSet() }

// URL returns the proxy for a request to target, or nil to connect directly. It has the
// signature of http.Transport.Proxy. An HTTPS request goes through the HTTPS proxy with
// CONNECT, so both HTTP and HTTPS proxies are spoken to in plain HTTP. The SOCKS proxy is
// used as SOCKS5, which http.Transport supports natively.
func (p Proxy) URL(target *http.Request) (*url.URL, error) {
	if p.bypasses(target.URL.Hostname()) {
		return nil, nil
	}

	switch target.URL.Scheme {
	case "http", "ws":
		if p.HTTP.IsSet() {
			return &url.URL{Scheme: "http", Host: p.HTTP.String()}, nil
		}
	case "https", "wss":
		if p.HTTPS.IsSet() {
			return &url.URL{Scheme: "http", Host: p.HTTPS.String()}, nil
		}
	}

	if p.SOCKS.IsSet() {
		return &url.URL{Scheme: "socks5", Host: p.SOCKS.String()}, nil
	}
	return nil, nil
}

// bypasses reports whether host matches one of the non-proxy host patterns.
func (p Proxy) bypasses(host string) bool {
	host = strings.ToLower(host)
	for _, pattern := range p.NonProxyHosts {
		if matchWildcard(pattern, host) {
			return true
		}
	}
	return false
}

// matchWildcard reports whether s matches pattern, in which each "*" stands for any run of
// characters, possibly empty.
func matchWildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}

	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]

	last := parts[len(parts)-1]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(s, part)
		if i < 0 {
			return false
		}
		s = s[i+len(part):]
	}
	return strings.HasSuffix(s, last)
}

// parseNonProxyHosts splits a Java-style list such as "localhost|*.internal|10.*" into
// lowercase patterns, without brackets around IPv6 addresses and without empty entries.
func parseNonProxyHosts(list string) []string {
	var patterns []string
	for _, pattern := range strings.Split(list, "|") {
		pattern = strings.ToLower(strings.TrimSpace(pattern))
		pattern = strings.TrimSuffix(strings.TrimPrefix(pattern, "["), "]")
		if pattern != "" {
			patterns = append(patterns, pattern)
		}
	}
	return patterns
}

// Transport returns an HTTP transport for calls out of the service, with http.DefaultTransport's
// timeouts and connection pool settings and the proxy of c. It ignores Go's HTTP_PROXY,
// HTTPS_PROXY and NO_PROXY variables, which the platform does not set.
func (c Config) Transport() *http.Transport {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = c.Proxy.URL
	return transport
}
