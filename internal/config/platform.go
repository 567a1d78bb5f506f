package config

import "fmt"

// Missing returns the names of the given variables that are not set, in the given order.
// Features that need the platform call it to respond with 503 in a local run. A name that Config
// does not hold is a programming error and panics, so check names once at start-up.
func (c Config) Missing(names ...string) []string {
	var missing []string
	for _, name := range names {
		if c.isUnset(name) {
			missing = append(missing, name)
		}
	}
	return missing
}

// MissingPlatform returns the names of the unset variables among those the service needs
// from the platform. C8Y_BASEURL is always needed. MULTI_TENANT isolation, which is also the
// platform's default when C8Y_MICROSERVICE_ISOLATION is unset, needs the bootstrap user, and
// PER_TENANT isolation the tenant's service user. APPLICATION_KEY is optional because the
// client sends it only when set. MissingPlatform returns nothing on the platform.
func (c Config) MissingPlatform() []string {
	names := []string{"C8Y_BASEURL"}
	if c.Isolation == PerTenant {
		names = append(names, "C8Y_TENANT", "C8Y_USER", "C8Y_PASSWORD")
	} else {
		names = append(names, "C8Y_BOOTSTRAP_TENANT", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD")
	}
	return c.Missing(names...)
}

func (c Config) isUnset(name string) bool {
	switch name {
	case "C8Y_BASEURL":
		return c.BaseURL == ""
	case "C8Y_BASEURL_MQTT":
		return c.BaseURLMQTT == ""
	case "C8Y_BASEURL_PULSAR":
		return c.BaseURLPulsar == ""
	case "C8Y_BOOTSTRAP_TENANT":
		return c.BootstrapTenant == ""
	case "C8Y_BOOTSTRAP_USER":
		return c.BootstrapUser == ""
	case "C8Y_BOOTSTRAP_PASSWORD":
		return c.BootstrapPassword == ""
	case "C8Y_TENANT":
		return c.Tenant == ""
	case "C8Y_USER":
		return c.User == ""
	case "C8Y_PASSWORD":
		return c.Password == ""
	case "C8Y_MICROSERVICE_ISOLATION":
		return c.Isolation == ""
	case "APPLICATION_NAME":
		return c.AppName == ""
	case "APPLICATION_KEY":
		return c.AppKey == ""
	case "MEMORY_LIMIT":
		return c.MemoryLimit == ""
	case "TZ":
		return c.TimeZone == ""
	}
	panic(fmt.Sprintf("config: %q is not a platform variable that Config holds; use one of the C8Y_*, APPLICATION_*, MEMORY_LIMIT or TZ names", name))
}
