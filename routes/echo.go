package routes

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// echo returns the request body unchanged, up to the body limit, as
// application/octet-stream. It shows that uploads pass the gateway whole.
func echo(c *gin.Context) {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		BodyError(c, err)
		return
	}

	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "application/octet-stream", body)
}
