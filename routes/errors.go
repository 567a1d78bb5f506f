package routes

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
)

// ErrorBody is the JSON body of every error response of the service.
type ErrorBody struct {
	Error   string `json:"error"`   // stable snake_case code, for example "not_found"
	Message string `json:"message"` // the failure and, where possible, the fix
	Status  int    `json:"status"`  // the HTTP status code
}

// Error aborts the request with status and an ErrorBody. If the handler has already
// written a response, it only aborts, since a second body would corrupt the first.
func Error(c *gin.Context, status int, code, message string) {
	if c.Writer.Written() {
		c.Abort()
		return
	}
	c.AbortWithStatusJSON(status, ErrorBody{Error: code, Message: message, Status: status})
}

// InternalError records err for the request log and responds with 500 without details, which
// could reveal internals or secrets to the caller.
func InternalError(c *gin.Context, err error) {
	_ = c.Error(err)
	Error(c, http.StatusInternalServerError, "internal_error", "the service failed to handle the request; see the service log for the cause")
}

// BodyError responds to an error from reading the request body: 413 when the body
// exceeds the limit, 400 otherwise.
func BodyError(c *gin.Context, err error) {
	_ = c.Error(err)

	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		Error(c, http.StatusRequestEntityTooLarge, "request_too_large",
			fmt.Sprintf("the request body exceeds the limit of %d bytes", tooLarge.Limit))
		return
	}
	Error(c, http.StatusBadRequest, "invalid_body", fmt.Sprintf("reading the request body failed: %v", err))
}

func notFound(c *gin.Context) {
	Error(c, http.StatusNotFound, "not_found", fmt.Sprintf("no route for %s %s", c.Request.Method, c.Request.URL.Path))
}

// methodNotAllowed responds to a known path with the wrong method. gin (v1.10 and later) has
// already set the Allow header to the path's methods before it calls this handler.
func methodNotAllowed(c *gin.Context) {
	Error(c, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s is not allowed on %s; use %s",
		c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
}
