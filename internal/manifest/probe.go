package manifest

import (
	"fmt"
	"strings"
)

// probeTiming is one numeric probe field with its lower bound.
type probeTiming struct {
	name    string
	value   *int
	minimum int
}

func (c *checker) checkProbe(field string, probe *Probe, liveness bool) {
	if probe == nil {
		return
	}

	c.checkProbeAction(field, probe)
	c.checkProbeTimings(field, probe, liveness)
}

func (c *checker) checkProbeAction(field string, probe *Probe) {
	var actions []string
	if probe.HTTPGet != nil {
		actions = append(actions, "httpGet")
	}
	if probe.TCPSocket != nil {
		actions = append(actions, "tcpSocket")
	}
	if probe.Exec != nil {
		actions = append(actions, "exec")
	}

	switch len(actions) {
	case 0:
		c.add(Violation{Field: field, Problem: "must set exactly one of httpGet, tcpSocket or exec, found none",
			Fix: fmt.Sprintf(`add "httpGet": {"path": "/health", "port": %d}`, ServicePort)})
	case 1:
	default:
		c.add(Violation{Field: field, Problem: "must set exactly one of httpGet, tcpSocket or exec, found " + strings.Join(actions, " and "),
			Fix: "keep only one of " + strings.Join(actions, " and ")})
	}

	if probe.HTTPGet != nil {
		c.checkHTTPGet(field+".httpGet", probe.HTTPGet)
	}
	if probe.TCPSocket != nil {
		c.checkPort(field+".tcpSocket.port", probe.TCPSocket.Port)
	}
	if probe.Exec != nil {
		c.checkExec(field+".exec", probe.Exec)
	}
}

func (c *checker) checkHTTPGet(field string, action *HTTPGetAction) {
	switch {
	case action.Path == "":
		c.missing(field+".path", missingOrEmpty, `add "path": "/health"`)
	case !strings.HasPrefix(action.Path, "/"):
		c.invalid(field+".path", action.Path, "must start with /", fmt.Sprintf("use %q", "/"+action.Path))
	}

	c.checkPort(field+".port", action.Port)
	c.checkScheme(field+".scheme", action.Scheme)
}

// checkScheme requires HTTP, because the service serves plain HTTP and TLS ends at the platform's gateway.
// An HTTPS probe would fail its TLS handshake against a healthy service.
func (c *checker) checkScheme(field, scheme string) {
	if strings.EqualFold(scheme, "HTTPS") {
		c.invalid(field, scheme, fmt.Sprintf("must be HTTP: the service serves plain HTTP on port %d and TLS ends at the platform's gateway", ServicePort),
			`use "HTTP" or remove the field`)
		return
	}

	c.checkEnum(field, scheme, "HTTP")
}

// checkPort requires ServicePort, because a probe on any other port fails even when the service is healthy.
func (c *checker) checkPort(field string, port int) {
	switch {
	case port == ServicePort:
		return
	case port == 0:
		c.missing(field, fmt.Sprintf("missing or 0, but the service listens on port %d", ServicePort),
			fmt.Sprintf(`add "port": %d`, ServicePort))
	case port < 1 || port > 65535:
		c.invalid(field, port, "must be between 1 and 65535",
			fmt.Sprintf("use %d, the port the service listens on", ServicePort))
	default:
		c.invalid(field, port, fmt.Sprintf("must be %d, the port the service listens on", ServicePort),
			fmt.Sprintf("use %d", ServicePort))
	}
}

// checkExec requires a program name, the first element of the command. Later arguments may be empty.
func (c *checker) checkExec(field string, action *ExecAction) {
	if len(action.Command) == 0 {
		c.missing(field+".command", missingOrEmpty, `add the program and its arguments, e.g. ["/bin/healthcheck"]`)
		return
	}

	if strings.TrimSpace(action.Command[0]) == "" {
		c.invalid(field+".command[0]", action.Command[0], "must name the program to run", "put the program path first")
	}
}

func (c *checker) checkProbeTimings(field string, probe *Probe, liveness bool) {
	timings := []probeTiming{
		{name: "initialDelaySeconds", value: probe.InitialDelaySeconds, minimum: 0},
		{name: "periodSeconds", value: probe.PeriodSeconds, minimum: 1},
		{name: "timeoutSeconds", value: probe.TimeoutSeconds, minimum: 1},
		{name: "failureThreshold", value: probe.FailureThreshold, minimum: 1},
		{name: "successThreshold", value: probe.SuccessThreshold, minimum: 1},
	}

	for _, timing := range timings {
		if timing.value == nil || *timing.value >= timing.minimum {
			continue
		}

		c.invalid(field+"."+timing.name, *timing.value, fmt.Sprintf("must be at least %d", timing.minimum),
			fmt.Sprintf("use %d or more", timing.minimum))
	}

	if liveness && probe.SuccessThreshold != nil && *probe.SuccessThreshold > 1 {
		c.invalid(field+".successThreshold", *probe.SuccessThreshold, "must be 1 for a liveness probe",
			"use 1 or remove the field")
	}
}
