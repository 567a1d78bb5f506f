// Package c8y is a small client for Cumulocity IoT's REST API: typed calls for the
// resources a microservice uses, on a generic core ([Client.Do]) that sets the platform's
// media types and credentials, retries what is safe to repeat and turns error responses
// into [*Error].
//
// A [Client] holds no credentials until [Client.WithAuth] returns a copy that has them, so
// one base client serves the bootstrap user and every tenant's service user.
package c8y
