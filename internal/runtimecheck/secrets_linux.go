//go:build linux

package runtimecheck

import (
	"bytes"
	"encoding/base64"
	"strings"

	"hello-microservice/internal/manifest"
)

// redactedMask replaces a placeholder secret in text the check prints.
const redactedMask = "[REDACTED]"

// secret is a random placeholder credential given to the container, or a form of it that
// a service could leak, such as a Basic Authorization value.
type secret struct {
	variable string // the environment variable that carries it; empty for a derived form
	label    string // the name messages use for it, never the value
	value    string
}

// newSecrets returns fresh placeholders for the credentials the platform passes.
func newSecrets(m *manifest.Manifest) []secret {
	password := "placeholder-" + randomHex(16)
	secrets := []secret{
		{variable: "C8Y_BOOTSTRAP_PASSWORD", label: "C8Y_BOOTSTRAP_PASSWORD", value: password},
		{variable: "APPLICATION_KEY", label: "APPLICATION_KEY", value: "placeholder-" + randomHex(16)},
		{label: "the bootstrap user's Basic credentials", value: basicCredentials(placeholderTenant, bootstrapUser(m), password)},
	}

	if m.EffectiveIsolation() == manifest.IsolationPerTenant {
		tenantPassword := "placeholder-" + randomHex(16)
		secrets = append(secrets,
			secret{variable: "C8Y_PASSWORD", label: "C8Y_PASSWORD", value: tenantPassword},
			secret{label: "the service user's Basic credentials", value: basicCredentials(placeholderTenant, "service_"+m.Name, tenantPassword)},
		)
	}

	return secrets
}

// basicCredentials returns the Basic Authorization value that the platform expects from
// a service inside the cluster, with the tenant prefix.
func basicCredentials(tenant, user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(tenant + "/" + user + ":" + password))
}

// leakedSecrets returns the labels of the secrets that data contains.
func leakedSecrets(secrets []secret, data []byte) []string {
	var labels []string
	for _, secret := range secrets {
		if bytes.Contains(data, []byte(secret.value)) {
			labels = append(labels, secret.label)
		}
	}

	return labels
}

// redact replaces every secret in text with a mask.
func redact(secrets []secret, text string) string {
	for _, secret := range secrets {
		text = strings.ReplaceAll(text, secret.value, redactedMask)
	}

	return text
}
