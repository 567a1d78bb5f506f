package manifest

import (
	"fmt"
	"regexp"
	"strings"
)

const maxNameLength = 23

const missingOrEmpty = "missing or empty"

var (
	namePattern         = regexp.MustCompile(`^[a-z0-9-]+$`)
	requiredRolePattern = regexp.MustCompile(`^ROLE_[A-Z0-9_]+$`)
	rolePattern         = regexp.MustCompile(`^ROLE_[A-Z0-9_]+_(READ|ADMIN|CREATE)$`)
	contextPathPattern  = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	lettersPattern      = regexp.MustCompile(`^[A-Za-z]+$`)

	// semverPattern is the regular expression that the SemVer 2.0.0 FAQ on semver.org suggests, minus the build metadata group.
	semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
		`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$`)
)

// Validate checks the manifest against the platform's rules and returns a *ValidationError listing every violation,
// or nil when the manifest is valid.
// A Manifest cannot show JSON types or misspelled field names, so only Parse and Load report those.
func (m *Manifest) Validate() error {
	violations := m.violations()
	if len(violations) == 0 {
		return nil
	}

	return &ValidationError{Violations: violations}
}

func (m *Manifest) violations() []Violation {
	var c checker

	c.checkAPIVersion(m.APIVersion)
	c.checkName(m.Name)
	c.checkVersion(m.Version)
	c.checkProvider(m.Provider)
	c.checkEnum("isolation", m.Isolation, IsolationMultiTenant, IsolationPerTenant)
	c.checkEnum("scale", m.Scale, "NONE", "AUTO")
	c.checkReplicas(m.Replicas)
	c.checkResources(m.Resources, m.RequestedResources)
	c.checkRequiredRoles(m.RequiredRoles)
	c.checkRoles(m.Roles)
	c.checkProbe("livenessProbe", m.LivenessProbe, true)
	c.checkProbe("readinessProbe", m.ReadinessProbe, false)
	c.checkContextPath(m.ContextPath)
	c.checkSettings(m.Settings)
	c.checkSettingsCategory(m.SettingsCategory)

	return c.violations
}

// checker collects the violations of the rules in field order.
type checker struct {
	violations []Violation
}

func (c *checker) add(violation Violation) {
	c.violations = append(c.violations, violation)
}

// missing reports a field that is absent or has its zero value, which the decoded Manifest cannot tell apart.
func (c *checker) missing(field, problem, fix string) {
	c.add(Violation{Field: field, Problem: problem, Fix: fix})
}

func (c *checker) invalid(field string, value any, problem, fix string) {
	c.add(Violation{Field: field, Value: jsonText(value), Problem: problem, Fix: fix})
}

func (c *checker) checkAPIVersion(version string) {
	switch version {
	case "2":
		return
	case "":
		c.missing("apiVersion", missingOrEmpty, `add "apiVersion": "2"`)
	case "1":
		c.invalid("apiVersion", version, "is deprecated and may be rejected by the platform",
			`use "2", which runs the container with only the NET_BIND_SERVICE capability`)
	default:
		c.invalid("apiVersion", version, `must be "2"`, `use "2"`)
	}
}

func (c *checker) checkName(name string) {
	if name == "" {
		c.missing("name", missingOrEmpty+", so the platform would derive the name from the ZIP file name and may reject the upload",
			`add "name", e.g. "hello-service"`)
		return
	}

	if namePattern.MatchString(name) && len(name) <= maxNameLength {
		if strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-") {
			// The name becomes part of Kubernetes object names, which are DNS labels.
			c.invalid("name", name, "must start and end with a letter or digit",
				fmt.Sprintf("remove the leading or trailing hyphen, e.g. %q", strings.Trim(name, "-")))
		}
		return
	}

	c.invalid("name", name, fmt.Sprintf("must match [a-z0-9-], at most %d characters", maxNameLength),
		fmt.Sprintf("use lowercase letters, digits and hyphens, e.g. %q", suggestName(name)))
}

// suggestName turns name into a valid name by replacing every run of other characters with one hyphen.
func suggestName(name string) string {
	var suggestion strings.Builder
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			suggestion.WriteRune(r)
		} else if !strings.HasSuffix(suggestion.String(), "-") {
			suggestion.WriteRune('-')
		}
	}

	trimmed := strings.Trim(suggestion.String(), "-")
	if len(trimmed) > maxNameLength {
		trimmed = strings.TrimRight(trimmed[:maxNameLength], "-")
	}

	if trimmed == "" {
		return "hello-service"
	}

	return trimmed
}

func (c *checker) checkVersion(version string) {
	if version == "" {
		c.missing("version", missingOrEmpty, `add "version", e.g. "1.0.0"`)
		return
	}

	if semverPattern.MatchString(version) {
		return
	}

	release, _, hasBuild := strings.Cut(version, "+")
	if hasBuild && semverPattern.MatchString(release) {
		c.invalid("version", version, "must not contain build metadata (the part after +)",
			fmt.Sprintf("use %q", release))
		return
	}

	fix := `use MAJOR.MINOR.PATCH with an optional prerelease, e.g. "1.0.0" or "1.0.0-SNAPSHOT"`
	if trimmed, ok := strings.CutPrefix(version, "v"); ok && semverPattern.MatchString(trimmed) {
		fix = fmt.Sprintf("remove the leading v: %q", trimmed)
	}

	c.invalid("version", version, "must be a SemVer 2.0 version without build metadata", fix)
}

func (c *checker) checkProvider(provider Provider) {
	c.checkNotBlank("provider.name", provider.Name, `add "provider": {"name": "<the organization that publishes the service>"}`)
}

// checkNotBlank reports a value that is empty or contains only white space.
func (c *checker) checkNotBlank(field, value, fix string) {
	if strings.TrimSpace(value) != "" {
		return
	}

	if value == "" {
		c.missing(field, missingOrEmpty, fix)
		return
	}

	c.invalid(field, value, "must not be blank", fix)
}

// checkEnum accepts an empty value, which means the platform default, or one of allowed.
func (c *checker) checkEnum(field, value string, allowed ...string) {
	if value == "" {
		return
	}

	for _, name := range allowed {
		if value == name {
			return
		}
	}

	quoted := make([]string, len(allowed))
	for i, name := range allowed {
		quoted[i] = fmt.Sprintf("%q", name)
	}
	choices := strings.Join(quoted, " or ")

	fix := "use " + choices
	for _, name := range allowed {
		if strings.EqualFold(value, name) {
			fix = fmt.Sprintf("use %q, in upper case", name)
		}
	}

	c.invalid(field, value, "must be "+choices, fix)
}

func (c *checker) checkReplicas(replicas *int) {
	if replicas == nil || (*replicas >= 1 && *replicas <= 5) {
		return
	}

	c.invalid("replicas", *replicas, "must be between 1 and 5", "use a value from 1 to 5 or remove the field")
}

func (c *checker) checkRequiredRoles(roles []string) {
	for i, role := range roles {
		if requiredRolePattern.MatchString(role) {
			continue
		}

		c.invalid(fmt.Sprintf("requiredRoles[%d]", i), role, "must match ROLE_[A-Z0-9_]+", roleFix(suggestRole(role)))
	}
}

func (c *checker) checkRoles(roles []string) {
	for i, role := range roles {
		if rolePattern.MatchString(role) {
			continue
		}

		suggestion := suggestRole(role)
		if suggestion != "" && !rolePattern.MatchString(suggestion) {
			suggestion += "_READ"
		}

		c.invalid(fmt.Sprintf("roles[%d]", i), role, "must match ROLE_<NAME>_READ, ROLE_<NAME>_ADMIN or ROLE_<NAME>_CREATE with NAME of [A-Z0-9_]+",
			roleFix(suggestion))
	}
}

func roleFix(suggestion string) string {
	if suggestion == "" {
		return "remove the empty entry"
	}

	return fmt.Sprintf("use %q", suggestion)
}

// suggestRole upper-cases role, replaces other characters with underscores and adds the ROLE_ prefix.
// It returns "" for a role without letters or digits.
func suggestRole(role string) string {
	upper := strings.Map(func(r rune) rune {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return '_'
	}, strings.ToUpper(strings.TrimSpace(role)))

	name := strings.Trim(strings.TrimPrefix(upper, "ROLE_"), "_")
	if name == "" {
		return ""
	}

	return "ROLE_" + name
}

func (c *checker) checkContextPath(path string) {
	if path == "" || contextPathPattern.MatchString(path) {
		return
	}

	suggestion := strings.Trim(strings.Map(func(r rune) rune {
		if r < 128 && contextPathPattern.MatchString(string(r)) {
			return r
		}
		return '-'
	}, strings.Trim(path, "/")), "-")

	fix := "use letters, digits and . _ ~ - only, or remove the field to use the name"
	if suggestion != "" {
		fix = fmt.Sprintf("use %q, without slashes", suggestion)
	}

	c.invalid("contextPath", path, "must match [A-Za-z0-9._~-]+", fix)
}

func (c *checker) checkSettings(settings []Setting) {
	for i, setting := range settings {
		prefix := fmt.Sprintf("settings[%d]", i)

		c.checkNotBlank(prefix+".key", setting.Key, `add a "key", e.g. "tracker.interval"`)

		if setting.DefaultValue == "" {
			c.missing(prefix+".defaultValue", missingOrEmpty, `add a non-empty "defaultValue"`)
		}
	}
}

func (c *checker) checkSettingsCategory(category string) {
	if category == "" || lettersPattern.MatchString(category) {
		return
	}

	letters := strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, category)

	fix := `use letters only, e.g. "hello"`
	if letters != "" {
		fix = fmt.Sprintf("use letters only: %q", letters)
	}

	c.invalid("settingsCategory", category, "must contain only letters", fix)
}
