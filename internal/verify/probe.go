package verify

import (
	"fmt"
	"strings"

	"hello-microservice/internal/manifest"
)

// checkProbePrograms runs the "probe programs" check: the program of every exec probe is an
// executable regular file of the merged layers, found the way the entrypoint is. The kubelet
// runs it inside the container, and the distroless base and the built-in one have no shell
// or coreutils, so a probe of /bin/true or /bin/sh fails on every attempt.
//
// NOTE: a script's interpreter (#!) is not looked up, so a script whose interpreter is
// missing from the image passes this check.
func (a *archiveRun) checkProbePrograms(fs *rootfs, config *imageConfig, m *manifest.Manifest) {
	if m == nil {
		a.report.Skip(CheckProbePrograms, "not checked because %s cannot be read (see %q)", ManifestEntry, CheckManifest)
		return
	}

	probes := []struct {
		field string
		probe *manifest.Probe
	}{
		{"livenessProbe", m.LivenessProbe},
		{"readinessProbe", m.ReadinessProbe},
	}

	var found, problems []string
	for _, p := range probes {
		if p.probe == nil || p.probe.Exec == nil || len(p.probe.Exec.Command) == 0 || strings.TrimSpace(p.probe.Exec.Command[0]) == "" {
			continue
		}

		role := fmt.Sprintf("the program of %s.exec", p.field)
		resolved, ref, problem := findProgram(fs, p.probe.Exec.Command[0], config, role)
		if problem != "" {
			problems = append(problems, problem)
			continue
		}
		found = append(found, fmt.Sprintf("%s.exec runs %s (regular file, mode %04o, layer %d)", p.field, resolved, ref.entry.mode&0o7777, ref.layer+1))
	}

	switch {
	case len(problems) > 0:
		a.report.Fail(CheckProbePrograms, "%s; fix: run a program that the image contains, or use an httpGet probe on the service's health path (the image has no shell or coreutils unless its base adds them)",
			strings.Join(problems, "; "))
	case len(found) == 0:
		a.report.Pass(CheckProbePrograms, "%s has no exec probe", ManifestEntry)
	default:
		a.report.Pass(CheckProbePrograms, "%s", strings.Join(found, "; "))
	}
}
