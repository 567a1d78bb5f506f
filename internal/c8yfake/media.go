package c8yfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Media types of the platform's resources. The fake keeps its own list rather than the
// client's, so that a wrong type in one is caught by the other.
const (
	typeApplication               = "application/vnd.com.nsn.cumulocity.application+json"
	typeApplicationCollection     = "application/vnd.com.nsn.cumulocity.applicationCollection+json"
	typeApplicationReference      = "application/vnd.com.nsn.cumulocity.applicationReference+json"
	typeApplicationUserCollection = "application/vnd.com.nsn.cumulocity.applicationUserCollection+json"
	typeCurrentTenant             = "application/vnd.com.nsn.cumulocity.currentTenant+json"
	typeCurrentUser               = "application/vnd.com.nsn.cumulocity.currentUser+json"
	typeExternalID                = "application/vnd.com.nsn.cumulocity.externalId+json"
	typeExternalIDCollection      = "application/vnd.com.nsn.cumulocity.externalIdCollection+json"
	typeManagedObject             = "application/vnd.com.nsn.cumulocity.managedObject+json"
	typeManagedObjectCollection   = "application/vnd.com.nsn.cumulocity.managedObjectCollection+json"
	typeMeasurement               = "application/vnd.com.nsn.cumulocity.measurement+json"
	typeMeasurementCollection     = "application/vnd.com.nsn.cumulocity.measurementCollection+json"
	typeUser                      = "application/vnd.com.nsn.cumulocity.user+json"
	typeError                     = "application/vnd.com.nsn.cumulocity.error+json"
	typeJSON                      = "application/json"
)

// mediaTypeParams are the parameters the platform adds to the media types it sends.
const mediaTypeParams = ";charset=UTF-8;ver=0.9"

// maxRequestBody is the largest request body the fake reads.
const maxRequestBody = 1 << 20

// infoURL is the "info" link of the platform's error bodies.
const infoURL = "https://cumulocity.com/docs/api/"

// errorBody is the platform's error response.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Info    string `json:"info"`
}

// writeError writes status and the platform's error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, typeError, errorBody{Error: code, Message: message, Info: infoURL})
}

// writeJSON writes status and body, encoded as JSON of the given media type.
func writeJSON(w http.ResponseWriter, status int, mediaType string, body any) {
	encoded, err := json.Marshal(body)
	if err != nil {
		panic(fmt.Sprintf("c8yfake: encoding a %s response: %v", mediaType, err))
	}
	w.Header().Set("Content-Type", mediaType+mediaTypeParams)
	w.WriteHeader(status)
	w.Write(encoded)
}

// writeResource writes the response to a read or write of a resource. As on the platform, a POST or PUT
// without an Accept header gets the status and the Location of the resource, but no body.
func writeResource(w http.ResponseWriter, r *http.Request, status int, mediaType, location string, body any) {
	if location != "" {
		w.Header().Set("Location", location)
	}
	if r.Header.Get("Accept") == "" && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, mediaType, body)
}

// baseMediaType returns the media type without parameters, in lower case, or "" when the
// value does not parse.
func baseMediaType(value string) string {
	mediaType, _, err := mime.ParseMediaType(value)
	if err != nil {
		return ""
	}
	return strings.ToLower(mediaType)
}

// accepts reports whether the request's Accept header allows a response of mediaType. No
// header allows anything. The platform compares media types without regard to case.
func accepts(r *http.Request, mediaType string) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return true
	}
	for _, entry := range strings.Split(accept, ",") {
		switch baseMediaType(strings.TrimSpace(entry)) {
		case strings.ToLower(mediaType), typeJSON, "*/*", "application/*":
			return true
		}
	}
	return false
}

// checkAccept responds with 406 and returns false when the request does not accept mediaType.
func checkAccept(w http.ResponseWriter, r *http.Request, mediaType string) bool {
	if accepts(r, mediaType) {
		return true
	}
	writeError(w, http.StatusNotAcceptable, "general/notAcceptable",
		fmt.Sprintf("Cannot produce %s for Accept %q", mediaType, r.Header.Get("Accept")))
	return false
}

// readBody checks the request's Content-Type against the allowed media types, decodes the
// JSON body into out and returns the base media type sent. On failure it has responded to the
// request (415, 413 or 400) and returns "".
func readBody(w http.ResponseWriter, r *http.Request, out any, allowed ...string) string {
	sent := baseMediaType(r.Header.Get("Content-Type"))
	allowedType := false
	for _, mediaType := range allowed {
		if sent == strings.ToLower(mediaType) {
			allowedType = true
		}
	}
	if !allowedType {
		writeError(w, http.StatusUnsupportedMediaType, "general/unsupportedMediaType",
			fmt.Sprintf("Content type %q is not supported here; use one of %s", r.Header.Get("Content-Type"), strings.Join(allowed, ", ")))
		return ""
	}

	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, "general/requestTooLarge", "Request body too large")
		return ""
	case err != nil:
		writeError(w, http.StatusBadRequest, "general/badRequest", "Reading the request body failed")
		return ""
	}
	if err := json.Unmarshal(data, out); err != nil {
		writeError(w, http.StatusBadRequest, "general/badRequest", "Could not parse the request body: "+err.Error())
		return ""
	}
	return sent
}
