package routes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/config"
)

// environmentResponse uses the keys of Cumulocity's Python tutorial. The password is a
// config.Secret, so it is encoded as a mask when set and null when unset.
type environmentResponse struct {
	PlatformURL           *string       `json:"platformUrl"`
	MQTTPlatformURL       *string       `json:"mqttPlatformUrl"`
	Tenant                *string       `json:"tenant"`
	User                  *string       `json:"user"`
	Password              config.Secret `json:"password"`
	MicroserviceIsolation *string       `json:"microserviceIsolation"`
	Version               string        `json:"version"`
}

func environment(cfg config.Config, version string) gin.HandlerFunc {
	body := environmentResponse{
		PlatformURL:           optional(config.RedactURL(cfg.BaseURL)),
		MQTTPlatformURL:       optional(config.RedactURL(cfg.BaseURLMQTT)),
		Tenant:                optional(cfg.BootstrapTenant),
		User:                  optional(cfg.BootstrapUser),
		Password:              cfg.BootstrapPassword,
		MicroserviceIsolation: optional(cfg.Isolation),
		Version:               version,
	}
	return func(c *gin.Context) {
		c.JSON(http.StatusOK, body)
	}
}

// optional returns nil for an empty string, so that unset variables are encoded as null.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
