package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// defaultDisplayName names the manifest in messages when it was not read from a file.
const defaultDisplayName = "cumulocity.json"

// maxValueLength is the length in bytes beyond which a Violation's Value is cut, so a large object stays readable.
const maxValueLength = 60

// Violation is one broken rule in a manifest.
type Violation struct {
	// Field is the JSON path of the field, such as "livenessProbe.httpGet.port" or "requiredRoles[1]".
	Field string

	// Value is the JSON text of the offending value, so a string keeps its quotes.
	// It is empty when the field is missing, and when the field's name is the problem.
	Value string

	// Problem states the rule that the value breaks.
	Problem string

	// Fix is the change that makes the platform accept the field.
	Fix string
}

// String formats the violation as `field value: problem; fix: fix`.
func (v Violation) String() string {
	var text strings.Builder

	text.WriteString(v.Field)
	if v.Value != "" {
		text.WriteString(" ")
		text.WriteString(v.Value)
	}

	text.WriteString(": ")
	text.WriteString(v.Problem)
	if v.Fix != "" {
		text.WriteString("; fix: ")
		text.WriteString(v.Fix)
	}

	return text.String()
}

// ValidationError is the list of every violation found in one manifest.
type ValidationError struct {
	// Path is the manifest file, or empty when the manifest was parsed from memory.
	Path string

	Violations []Violation
}

// Error lists the violations one per line under a header that names the file and counts them.
func (e *ValidationError) Error() string {
	problems := "problems"
	if len(e.Violations) == 1 {
		problems = "problem"
	}

	var text strings.Builder
	fmt.Fprintf(&text, "%s is invalid (%d %s):", displayName(e.Path), len(e.Violations), problems)
	for _, violation := range e.Violations {
		text.WriteString("\n  ")
		text.WriteString(violation.String())
	}

	return text.String()
}

func displayName(path string) string {
	if path == "" {
		return defaultDisplayName
	}

	return path
}

// jsonText returns value as compact JSON without HTML escaping, cut to maxValueLength.
func jsonText(value any) string {
	var buffer bytes.Buffer
	encoder := json.NewEncoder(&buffer)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(value); err != nil {
		return fmt.Sprint(value)
	}

	return truncate(strings.TrimSuffix(buffer.String(), "\n"))
}

func truncate(text string) string {
	if len(text) <= maxValueLength {
		return text
	}

	cut := maxValueLength
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}

	return text[:cut] + "..."
}
