package routes

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/config"
)

// environmentResponse starts with the keys of Cumulocity's Python tutorial and adds the
// other platform variables that are safe to show. An unset variable is null. Secrets are
// masked (password) or left out (C8Y_PASSWORD, APPLICATION_KEY), and every URL is shown
// with its credentials redacted.
type environmentResponse struct {
	PlatformURL           *string       `json:"platformUrl"`
	MQTTPlatformURL       *string       `json:"mqttPlatformUrl"`
	Tenant                *string       `json:"tenant"`
	User                  *string       `json:"user"`
	Password              config.Secret `json:"password"`
	MicroserviceIsolation *string       `json:"microserviceIsolation"`

	PulsarPlatformURL *string       `json:"pulsarPlatformUrl"`
	ServiceTenant     *string       `json:"serviceTenant"` // C8Y_TENANT, set with PER_TENANT isolation
	ServiceUser       *string       `json:"serviceUser"`   // C8Y_USER
	ApplicationName   *string       `json:"applicationName"`
	TimeZone          *string       `json:"timeZone"`
	MemoryLimit       *string       `json:"memoryLimit"`
	Proxy             proxyResponse `json:"proxy"`
	Version           string        `json:"version"`
}

// proxyResponse shows the outbound proxies as "host:port". The PROXY_* variables carry no
// credentials.
type proxyResponse struct {
	HTTP          *string  `json:"http"`
	HTTPS         *string  `json:"https"`
	SOCKS         *string  `json:"socks"`
	NonProxyHosts []string `json:"nonProxyHosts"`
}

// environment returns the /environment handler. The variables are read once at start, so
// the body is encoded once too and every request writes the same bytes.
func environment(cfg config.Config, version string) (gin.HandlerFunc, error) {
	body := environmentResponse{
		PlatformURL:           optional(config.RedactURL(cfg.BaseURL)),
		MQTTPlatformURL:       optional(config.RedactURL(cfg.BaseURLMQTT)),
		Tenant:                optional(cfg.BootstrapTenant),
		User:                  optional(cfg.BootstrapUser),
		Password:              cfg.BootstrapPassword,
		MicroserviceIsolation: optional(cfg.Isolation),

		PulsarPlatformURL: optional(config.RedactURL(cfg.BaseURLPulsar)),
		ServiceTenant:     optional(cfg.Tenant),
		ServiceUser:       optional(cfg.User),
		ApplicationName:   optional(cfg.AppName),
		TimeZone:          optional(cfg.TimeZone),
		MemoryLimit:       optional(cfg.MemoryLimit),
		Proxy: proxyResponse{
			HTTP:          optional(cfg.Proxy.HTTP.String()),
			HTTPS:         optional(cfg.Proxy.HTTPS.String()),
			SOCKS:         optional(cfg.Proxy.SOCKS.String()),
			NonProxyHosts: cfg.Proxy.NonProxyHosts,
		},
		Version: version,
	}
	encoded, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encoding the /environment response: %w", err)
	}
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json; charset=utf-8", encoded)
	}, nil
}

// optional returns nil for an empty string, so that unset variables are encoded as null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
