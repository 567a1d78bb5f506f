// Package manifest reads and validates cumulocity.json, the Cumulocity microservice manifest, so that packaging stops before a build when the platform would reject the upload.
package manifest
