package deploy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"hello-microservice/internal/c8y"
)

// Hint returns what to do about an error of Run or Bootstrap against the platform at
// baseURL, or "" when there is nothing to add to the error itself.
func Hint(err error, baseURL string) string {
	var netErr net.Error
	switch {
	case err == nil:
		return ""
	case c8y.IsUnauthorized(err):
		return "the platform rejected the credentials: check C8Y_USER/C8Y_PASSWORD or C8Y_TOKEN (and C8Y_TENANT) in the environment or .env"
	case c8y.StatusCode(err) == http.StatusForbidden:
		return "the user lacks a permission: deploying needs ROLE_APPLICATION_MANAGEMENT_READ and ROLE_APPLICATION_MANAGEMENT_ADMIN, and waiting for the service ROLE_INVENTORY_READ"
	case c8y.StatusCode(err) == 0 && !errors.Is(err, context.Canceled) && errors.As(err, &netErr):
		return fmt.Sprintf("the platform at %s could not be reached: check C8Y_HOST (or C8Y_BASEURL) and the network", baseURL)
	}
	return ""
}
