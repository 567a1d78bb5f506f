package config

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestProxyURL(t *testing.T) {
	t.Parallel()

	all := Proxy{
		HTTP:          ProxyAddress{Host: "http-proxy", Port: 3128},
		HTTPS:         ProxyAddress{Host: "https-proxy", Port: 3129},
		SOCKS:         ProxyAddress{Host: "socks-proxy", Port: 1080},
		NonProxyHosts: parseNonProxyHosts("localhost|*.internal|10.*|[::1]|cumulocity"),
	}
	socksOnly := Proxy{SOCKS: all.SOCKS}
	httpOnly := Proxy{HTTP: all.HTTP}

	tests := []struct {
		name   string
		proxy  Proxy
		target string
		want   string // "" for a direct connection
	}{
		{"http through http proxy", all, "http://example.com/x", "http://http-proxy:3128"},
		{"https through https proxy", all, "https://example.com/x", "http://https-proxy:3129"},
		{"websocket through http proxy", all, "ws://example.com/x", "http://http-proxy:3128"},
		{"localhost direct", all, "http://localhost:8080/", ""},
		{"suffix wildcard direct", all, "https://c8y.internal/", ""},
		{"suffix wildcard is case-insensitive", all, "https://C8Y.Internal/", ""},
		{"prefix wildcard direct", all, "http://10.1.2.3:8111/", ""},
		{"exact name direct", all, "http://cumulocity:8111/", ""},
		{"ipv6 direct", all, "http://[::1]:80/", ""},
		{"partial name through proxy", all, "http://cumulocity.example.com/", "http://http-proxy:3128"},
		{"wildcard needs the dot", all, "http://internal/", "http://http-proxy:3128"},
		{"http falls back to socks", socksOnly, "http://example.com/", "socks5://socks-proxy:1080"},
		{"https falls back to socks", socksOnly, "https://example.com/", "socks5://socks-proxy:1080"},
		{"https without https proxy", httpOnly, "https://example.com/", ""},
		{"no proxy", Proxy{}, "http://example.com/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()

			request, err := http.NewRequestWithContext(t.Context(), http.MethodGet, tt.target, nil)
			if err != nil {
				t.Fatal(err)
			}

			got, err := tt.proxy.URL(request)
			if err != nil {
				t.Fatalf("URL(%s): %v", tt.target, err)
			}
			if gotText := urlText(got); gotText != tt.want {
				t.Errorf("URL(%s) = %q, want %q", tt.target, gotText, tt.want)
			}
		})
	}
}

func urlText(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.String()
}

func TestMatchWildcard(t *testing.T) {
	t.Parallel()

	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.bc", false},
		{"*", "anything", true},
		{"*.b", "a.b", true},
		{"*.b", ".b", true},
		{"a.*", "a.b.c", true},
		{"a*c", "abbbc", true},
		{"a*a", "a", false},
		{"*x*y", "axbxy", true},
		{"*x*y", "axbyz", false},
	}
	for _, tt := range tests {
		if got := matchWildcard(tt.pattern, tt.s); got != tt.want {
			t.Errorf("matchWildcard(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

// TestTransportProxies sends real requests through the transport of a configuration whose
// proxies are fakes on 127.0.0.1. The fakes reply themselves, so no request leaves the
// machine.
func TestTransportProxies(t *testing.T) {
	t.Parallel()

	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "direct")
	}))
	defer target.Close()

	var (
		mu      sync.Mutex
		proxied []string // request lines the HTTP proxy received
	)
	httpProxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		proxied = append(proxied, r.Method+" "+r.RequestURI)
		mu.Unlock()

		if r.Method == http.MethodConnect {
			http.Error(w, "no tunnels here", http.StatusForbidden)
			return
		}
		io.WriteString(w, "via http proxy")
	}))
	defer httpProxy.Close()

	socks := startSOCKS5(t)

	httpProxyPort := strconv.Itoa(httpProxy.Listener.Addr().(*net.TCPAddr).Port)
	cfg, err := Load(env(map[string]string{
		"PROXY_HTTP_HOST":            "127.0.0.1",
		"PROXY_HTTP_PORT":            httpProxyPort,
		"PROXY_HTTPS_HOST":           "127.0.0.1",
		"PROXY_HTTPS_PORT":           httpProxyPort,
		"PROXY_HTTP_NON_PROXY_HOSTS": "localhost|127.0.0.1",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	client := &http.Client{Transport: cfg.Transport()}

	if body := get(t, client, target.URL+"/direct"); body != "direct" {
		t.Errorf("request to a non-proxy host returned %q, want the target's answer", body)
	}
	if body := get(t, client, "http://service.example.com/data?x=1"); body != "via http proxy" {
		t.Errorf("request to another host returned %q, want the proxy's answer", body)
	}

	request, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://secure.example.com/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if response, err := client.Do(request); err == nil {
		response.Body.Close()
		t.Error("HTTPS request succeeded although the fake proxy refuses tunnels")
	}

	mu.Lock()
	want := []string{"GET http://service.example.com/data?x=1", "CONNECT secure.example.com:443"}
	if strings.Join(proxied, "\n") != strings.Join(want, "\n") {
		t.Errorf("HTTP proxy received %q, want %q", proxied, want)
	}
	mu.Unlock()

	socksCfg, err := Load(env(map[string]string{
		"PROXY_SOCKS_HOST": "127.0.0.1",
		"PROXY_SOCKS_PORT": strconv.Itoa(socks.port),
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	socksClient := &http.Client{Transport: socksCfg.Transport()}

	if body := get(t, socksClient, "http://device.example.com/x"); body != "via socks" {
		t.Errorf("request through SOCKS returned %q, want the SOCKS fake's answer", body)
	}
	if got := socks.targets(); len(got) != 1 || got[0] != "device.example.com:80" {
		t.Errorf("SOCKS proxy was asked for %q, want [device.example.com:80]", got)
	}
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()

	request, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	response, err := client.Do(request)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer response.Body.Close()

	body, err := io.ReadAll(response.Body)
	if err != nil {
		t.Fatalf("reading the answer to GET %s: %v", url, err)
	}
	return string(body)
}

// socks5Fake is a SOCKS5 server that records each CONNECT target and then, instead of
// connecting onwards, serves the HTTP request on the tunnel itself.
type socks5Fake struct {
	port int

	mu        sync.Mutex
	connected []string
}

func (s *socks5Fake) targets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.connected...)
}

func startSOCKS5(t *testing.T) *socks5Fake {
	t.Helper()

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { listener.Close() })

	fake := &socks5Fake{port: listener.Addr().(*net.TCPAddr).Port}
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			go fake.serve(t, conn)
		}
	}()
	return fake
}

func (s *socks5Fake) serve(t *testing.T, conn net.Conn) {
	defer conn.Close()
	reader := bufio.NewReader(conn)

	// Greeting: version 5, the number of methods, the methods. Choose "no authentication".
	greeting := make([]byte, 2)
	if _, err := io.ReadFull(reader, greeting); err != nil || greeting[0] != 5 {
		t.Errorf("SOCKS greeting %v: %v", greeting, err)
		return
	}
	if _, err := io.ReadFull(reader, make([]byte, greeting[1])); err != nil {
		t.Errorf("SOCKS methods: %v", err)
		return
	}
	conn.Write([]byte{5, 0})

	// Request: version, command (1 is CONNECT), reserved, address type, address, port.
	header := make([]byte, 4)
	if _, err := io.ReadFull(reader, header); err != nil || header[1] != 1 {
		t.Errorf("SOCKS request %v: %v", header, err)
		return
	}
	var host string
	switch header[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(reader, ip)
		host = net.IP(ip).String()
	case 3:
		length, _ := reader.ReadByte()
		name := make([]byte, length)
		io.ReadFull(reader, name)
		host = string(name)
	default:
		t.Errorf("SOCKS address type %d not handled by the fake", header[3])
		return
	}
	portBytes := make([]byte, 2)
	io.ReadFull(reader, portBytes)

	s.mu.Lock()
	s.connected = append(s.connected, net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(portBytes)))))
	s.mu.Unlock()
	conn.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})

	request, err := http.ReadRequest(reader)
	if err != nil {
		t.Errorf("reading the request on the SOCKS tunnel: %v", err)
		return
	}
	request.Body.Close()
	io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia socks")
}
