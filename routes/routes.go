// Package routes holds the service's HTTP handlers and the router that serves them.
package routes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"hello-microservice/internal/config"
)

// Options configures the router.
type Options struct {
	Config  config.Config
	Version string // the service version, shown by /environment
}

// New returns the router with every route registered. It never uses gin.Default, so no
// middleware or trusted proxy is added without being listed here.
func New(opts Options) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	engine := gin.New()

	engine.GET("/", hello)
	engine.GET("/health", health)
	engine.GET("/environment", environment(opts.Config, opts.Version))
	return engine
}

func hello(c *gin.Context) {
	c.String(http.StatusOK, "Hello world!")
}

func health(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "UP"})
}
