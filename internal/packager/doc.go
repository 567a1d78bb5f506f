// Package packager builds the service into a container image with ko and writes the ZIP
// that Cumulocity accepts: cumulocity.json and a docker-save image.tar at its root.
package packager
