package manifest

import (
	"fmt"
	"os"
	"time"
)

// Isolation levels accepted in the isolation field.
const (
	IsolationMultiTenant = "MULTI_TENANT"
	IsolationPerTenant   = "PER_TENANT"
)

// ServicePort is the port the microservice container listens on, so every probe must target it.
const ServicePort = 80

// Platform defaults for the fields that may be left out.
const (
	defaultCPULimit            = "500m"
	defaultMemoryLimit         = "512M"
	defaultCPURequest          = "250m"
	defaultMemoryRequest       = "256M"
	defaultInitialDelaySeconds = 0
	defaultPeriodSeconds       = 10
	defaultTimeoutSeconds      = 1
	defaultFailureThreshold    = 3
)

// Manifest is the content of cumulocity.json, the file uploaded with the container image.
// Other fields such as extensions or billingMode are allowed in the file but not kept here,
// unless their name resembles a known field's, which Parse reports as a misspelling.
type Manifest struct {
	APIVersion         string     `json:"apiVersion"`
	Name               string     `json:"name"`
	Version            string     `json:"version"`
	Provider           Provider   `json:"provider"`
	Isolation          string     `json:"isolation,omitempty"`
	Scale              string     `json:"scale,omitempty"`
	Replicas           *int       `json:"replicas,omitempty"`
	Resources          *Resources `json:"resources,omitempty"`
	RequestedResources *Resources `json:"requestedResources,omitempty"`
	RequiredRoles      []string   `json:"requiredRoles,omitempty"`
	Roles              []string   `json:"roles,omitempty"`
	LivenessProbe      *Probe     `json:"livenessProbe,omitempty"`
	ReadinessProbe     *Probe     `json:"readinessProbe,omitempty"`
	ContextPath        string     `json:"contextPath,omitempty"`
	Settings           []Setting  `json:"settings,omitempty"`
	SettingsCategory   string     `json:"settingsCategory,omitempty"`
}

// Provider is the organization that publishes the microservice.
type Provider struct {
	Name    string `json:"name"`
	Domain  string `json:"domain,omitempty"`
	Support string `json:"support,omitempty"`
}

// Resources is a CPU and memory quantity pair, used both for limits and for requests.
// An empty field means the platform default.
type Resources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// Probe is a Kubernetes-style health check that the platform runs against the container.
// The *Seconds and *Threshold fields are nil when the manifest leaves them to the platform default.
type Probe struct {
	HTTPGet             *HTTPGetAction   `json:"httpGet,omitempty"`
	TCPSocket           *TCPSocketAction `json:"tcpSocket,omitempty"`
	Exec                *ExecAction      `json:"exec,omitempty"`
	InitialDelaySeconds *int             `json:"initialDelaySeconds,omitempty"`
	PeriodSeconds       *int             `json:"periodSeconds,omitempty"`
	TimeoutSeconds      *int             `json:"timeoutSeconds,omitempty"`
	FailureThreshold    *int             `json:"failureThreshold,omitempty"`
	SuccessThreshold    *int             `json:"successThreshold,omitempty"`
}

// HTTPGetAction is a probe that succeeds when GET on the path returns a 2xx or 3xx status.
type HTTPGetAction struct {
	Path   string `json:"path"`
	Port   int    `json:"port"`
	Scheme string `json:"scheme,omitempty"`
}

// TCPSocketAction is a probe that succeeds when a TCP connection to the port opens.
type TCPSocketAction struct {
	Port int `json:"port"`
}

// ExecAction is a probe that succeeds when the command exits with status 0 inside the container.
type ExecAction struct {
	Command []string `json:"command"`
}

// Setting is a tenant option with its default value.
type Setting struct {
	Key              string `json:"key"`
	DefaultValue     string `json:"defaultValue"`
	Editable         *bool  `json:"editable,omitempty"`
	InheritFromOwner *bool  `json:"inheritFromOwner,omitempty"`
}

// Load reads the manifest file at path and parses it like Parse.
// Every error names the path, and an invalid manifest is returned together with its *ValidationError.
func Load(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}

	return parse(path, data)
}

// Parse decodes a manifest and validates it.
// It returns an error without a manifest when data is not a single JSON object.
// Otherwise it returns the manifest, plus a *ValidationError listing every violation when the manifest is invalid,
// which includes fields of the wrong JSON type.
func Parse(data []byte) (*Manifest, error) {
	return parse("", data)
}

// ImageTag returns the container image reference "<name>:<version>".
func (m *Manifest) ImageTag() string {
	return m.Name + ":" + m.Version
}

// EffectiveIsolation returns the isolation level, which is MULTI_TENANT when the field is empty.
func (m *Manifest) EffectiveIsolation() string {
	if m.Isolation == "" {
		return IsolationMultiTenant
	}

	return m.Isolation
}

// EffectiveContextPath returns the context path under /service/, which is the name when the field is empty.
func (m *Manifest) EffectiveContextPath() string {
	if m.ContextPath == "" {
		return m.Name
	}

	return m.ContextPath
}

// InitialDelay returns how long the platform waits after the container starts before the first check.
// A nil probe returns the platform default, as do the other probe helpers.
func (p *Probe) InitialDelay() time.Duration {
	return seconds(p.setting(func(p *Probe) *int { return p.InitialDelaySeconds }, defaultInitialDelaySeconds))
}

// Period returns the interval between two checks.
func (p *Probe) Period() time.Duration {
	return seconds(p.setting(func(p *Probe) *int { return p.PeriodSeconds }, defaultPeriodSeconds))
}

// Timeout returns how long one check may take before it counts as failed.
func (p *Probe) Timeout() time.Duration {
	return seconds(p.setting(func(p *Probe) *int { return p.TimeoutSeconds }, defaultTimeoutSeconds))
}

// Failures returns how many consecutive failed checks make Kubernetes restart the container (liveness probe)
// or stop sending it requests (readiness probe).
func (p *Probe) Failures() int {
	return p.setting(func(p *Probe) *int { return p.FailureThreshold }, defaultFailureThreshold)
}

func (p *Probe) setting(field func(*Probe) *int, fallback int) int {
	if p == nil {
		return fallback
	}

	value := field(p)
	if value == nil {
		return fallback
	}

	return *value
}

func seconds(n int) time.Duration {
	return time.Duration(n) * time.Second
}
