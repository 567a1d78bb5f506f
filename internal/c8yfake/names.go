package c8yfake

import (
	"fmt"
	"strings"
)

// forbiddenNameChars may not appear in fragment and series names on the platform.
const forbiddenNameChars = " .,*[]()@$"

// invalidNameMessage returns the platform's message for the first key of fields that is
// not a valid fragment or series name, or "" when all are valid.
func invalidNameMessage(fields map[string]any) string {
	for _, name := range sortedKeys(fields) {
		if name == "" || strings.ContainsAny(name, forbiddenNameChars) {
			return fmt.Sprintf("Invalid fragment or series name %q: it must not be empty or contain any of %q", name, forbiddenNameChars)
		}
	}
	return ""
}
