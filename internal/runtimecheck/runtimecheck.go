// Package runtimecheck starts the image of a microservice ZIP under runc the way the
// platform runs it: read-only root, only the NET_BIND_SERVICE capability, the platform's
// environment with placeholder credentials, and a network namespace of its own. It then
// checks the manifest's probes, the service's responses, its log and its stop on SIGTERM.
// It needs root, runc, skopeo, umoci and ip, and Linux.
package runtimecheck

import (
	"time"
)

// RequireVariable names the environment variable that, set to 1, makes a missing
// prerequisite a failure instead of a skip; CI sets it.
const RequireVariable = "REQUIRE_RUNTIME_CHECK"

// Names of the runtime checks, in the order Run reports them.
const (
	CheckRuntime     = "runtime"
	CheckUnpack      = "image unpack"
	CheckStart       = "container start"
	CheckLiveness    = "liveness probe"
	CheckReadiness   = "readiness probe"
	CheckRootPath    = "root path"
	CheckEnvironment = "environment secrets"
	CheckStop        = "graceful stop"
	CheckLog         = "log secrets"
)

// GracePeriod is how long Kubernetes waits after SIGTERM before it kills the container,
// by default (terminationGracePeriodSeconds).
const GracePeriod = 30 * time.Second

// Options configures Run.
type Options struct {
	// ZIPPath is the upload ZIP. Run expects it to pass verify.Archive.
	ZIPPath string

	// Require makes a missing prerequisite (Linux, root, runc, skopeo, umoci, ip) a
	// failure instead of a skip.
	Require bool
}
