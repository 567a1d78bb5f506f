package manifest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// jsonKind is the JSON type that a manifest field must have.
type jsonKind int

const (
	kindString jsonKind = iota + 1
	kindInteger
	kindBoolean
	kindObject
	kindArray
)

// field is the expected JSON type of one manifest field, with the members of an object or the element of an array.
type field struct {
	name    string
	kind    jsonKind
	members []field
	element *field

	// others names the members of an object that the platform or Kubernetes reads but this package
	// does not check. They are accepted as they are and never taken for a misspelled member.
	others []string
}

func stringField(name string) field  { return field{name: name, kind: kindString} }
func integerField(name string) field { return field{name: name, kind: kindInteger} }
func booleanField(name string) field { return field{name: name, kind: kindBoolean} }

func objectField(name string, members ...field) field {
	return field{name: name, kind: kindObject, members: members}
}

// withOthers returns the object field f with the unchecked member names others.
func (f field) withOthers(others ...string) field {
	f.others = others
	return f
}

func arrayField(name string, element field) field {
	return field{name: name, kind: kindArray, element: &element}
}

// otherManifestFields returns the top-level fields that the platform reads but Manifest does not keep:
// those of the microservice_application_manifest schema in Cumulocity's OpenAPI spec, keepOriginalImage from
// the documentation, and requestResources, the spec's name of requestedResources, which renamedFields reports.
//
// NOTE: the platform may read fields that neither source lists. Such a field passes unless it resembles a field
// of manifestFields or of this list, in which case it is reported as misspelled.
func otherManifestFields() []string {
	return []string{"billingMode", "extensions", "keepOriginalImage", "requestResources"}
}

// manifestFields returns the known top-level fields in the order that violations are reported.
// It mirrors the json tags of Manifest.
func manifestFields() []field {
	resources := []field{stringField("cpu"), stringField("memory")}

	return []field{
		stringField("apiVersion"),
		stringField("name"),
		stringField("version"),
		objectField("provider", stringField("name"), stringField("domain"), stringField("support")),
		stringField("isolation"),
		stringField("scale"),
		integerField("replicas"),
		objectField("resources", resources...),
		objectField("requestedResources", resources...),
		arrayField("requiredRoles", stringField("")),
		arrayField("roles", stringField("")),
		probeField("livenessProbe"),
		probeField("readinessProbe"),
		stringField("contextPath"),
		arrayField("settings", objectField("",
			stringField("key"), stringField("defaultValue"), booleanField("editable"), booleanField("inheritFromOwner"),
		).withOthers("valueSchema")),
		stringField("settingsCategory"),
	}
}

func probeField(name string) field {
	return objectField(name,
		// host and httpHeaders are fields of the Kubernetes probe actions.
		objectField("httpGet", stringField("path"), integerField("port"), stringField("scheme")).withOthers("host", "httpHeaders"),
		objectField("tcpSocket", integerField("port")).withOthers("host"),
		objectField("exec", arrayField("command", stringField(""))),
		integerField("initialDelaySeconds"),
		integerField("periodSeconds"),
		integerField("timeoutSeconds"),
		integerField("failureThreshold"),
		integerField("successThreshold"),
	)
}

// typeCheck collects the violations of a JSON type check and the paths of the rejected values.
type typeCheck struct {
	violations []Violation
	rejected   []string
}

// object returns the members of document that are known and of the expected type, and reports
// the unknown members that look like misspelled known ones. A null member counts as absent.
func (c *typeCheck) object(path string, document map[string]any, members []field, others []string) map[string]any {
	known := slices.Clone(others)
	for _, member := range members {
		known = append(known, member.name)
	}
	c.misspelledMembers(path, document, known)

	typed := make(map[string]any, len(members))
	for _, member := range members {
		value := document[member.name]
		if value == nil {
			continue
		}

		if checked, ok := c.value(joinPath(path, member.name), value, member); ok {
			typed[member.name] = checked
		}
	}

	return typed
}

// value returns the type-checked copy of value, or false after recording a violation.
func (c *typeCheck) value(path string, value any, expected field) (any, bool) {
	if !hasKind(value, expected.kind) {
		c.reject(path, value, expected.kind)
		return nil, false
	}

	switch expected.kind {
	case kindObject:
		return c.object(path, value.(map[string]any), expected.members, expected.others), true
	case kindArray:
		return c.array(path, value.([]any), *expected.element), true
	default:
		return value, true
	}
}

// array keeps a rejected element as null, so the indices of later elements stay the same.
func (c *typeCheck) array(path string, items []any, element field) []any {
	typed := make([]any, len(items))
	for i, item := range items {
		typed[i], _ = c.value(fmt.Sprintf("%s[%d]", path, i), item, element)
	}

	return typed
}

func (c *typeCheck) reject(path string, value any, expected jsonKind) {
	c.rejected = append(c.rejected, path)
	c.violations = append(c.violations, Violation{
		Field:   path,
		Value:   jsonText(value),
		Problem: fmt.Sprintf("must be %s, found %s", kindName(expected), describeJSON(value)),
		Fix:     typeFix(value, expected),
	})
}

// renamedFields reports requestResources, the name that the OpenAPI spec uses.
// The documentation, the SDKs and real manifests use requestedResources.
func (c *typeCheck) renamedFields(document map[string]any) {
	value, ok := document["requestResources"]
	if !ok {
		return
	}

	c.violations = append(c.violations, Violation{
		Field:   "requestResources",
		Value:   jsonText(value),
		Problem: "is not read by the platform, which expects requestedResources",
		Fix:     "rename to requestedResources",
	})
}

// merge adds the rule violations that are not on a value the type check already rejected.
// A rejected value is left out of the Manifest, so rules would otherwise report it a second time as missing.
// The result is sorted by top-level field in the order of manifestFields, then by path with array indices compared as numbers.
func (c *typeCheck) merge(rules []Violation) []Violation {
	all := slices.Clone(c.violations)
	for _, violation := range rules {
		if !c.isRejected(violation.Field) {
			all = append(all, violation)
		}
	}

	ranks := topLevelRanks()
	slices.SortStableFunc(all, func(a, b Violation) int {
		if order := cmp.Compare(ranks.of(a.Field), ranks.of(b.Field)); order != 0 {
			return order
		}
		return comparePaths(a.Field, b.Field)
	})

	return all
}

// comparePaths orders two field paths byte by byte, except that runs of digits compare as numbers,
// so "roles[2]" sorts before "roles[10]".
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		digitsA, digitsB := leadingDigits(a), leadingDigits(b)
		if digitsA == "" || digitsB == "" {
			if order := cmp.Compare(a[0], b[0]); order != 0 {
				return order
			}
			a, b = a[1:], b[1:]
			continue
		}

		if order := cmp.Compare(len(digitsA), len(digitsB)); order != 0 {
			return order
		}
		if order := cmp.Compare(digitsA, digitsB); order != 0 {
			return order
		}
		a, b = a[len(digitsA):], b[len(digitsB):]
	}

	return cmp.Compare(len(a), len(b))
}

func leadingDigits(text string) string {
	end := strings.IndexFunc(text, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		return text
	}

	return text[:end]
}

// isRejected reports whether path is a rejected value or lies inside one.
func (c *typeCheck) isRejected(path string) bool {
	for _, rejected := range c.rejected {
		if path == rejected || strings.HasPrefix(path, rejected+".") || strings.HasPrefix(path, rejected+"[") {
			return true
		}
	}

	return false
}

type fieldRanks map[string]int

func topLevelRanks() fieldRanks {
	ranks := fieldRanks{}
	for i, known := range manifestFields() {
		ranks[known.name] = i
		if known.name == "requestedResources" {
			ranks["requestResources"] = i
		}
	}

	return ranks
}

// of returns the rank of the top-level field in path. Unknown fields come last.
func (r fieldRanks) of(path string) int {
	name, _, _ := strings.Cut(path, ".")
	name, _, _ = strings.Cut(name, "[")
	if rank, ok := r[name]; ok {
		return rank
	}

	return len(r)
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}

	return parent + "." + name
}

func hasKind(value any, kind jsonKind) bool {
	switch kind {
	case kindString:
		_, ok := value.(string)
		return ok
	case kindInteger:
		number, ok := value.(json.Number)
		return ok && isInteger(string(number))
	case kindBoolean:
		_, ok := value.(bool)
		return ok
	case kindObject:
		_, ok := value.(map[string]any)
		return ok
	case kindArray:
		_, ok := value.([]any)
		return ok
	default:
		return false
	}
}

// isInteger reports whether text is a decimal integer that fits a Go int.
func isInteger(text string) bool {
	_, err := strconv.ParseInt(text, 10, strconv.IntSize)
	return err == nil
}

func kindName(kind jsonKind) string {
	switch kind {
	case kindString:
		return "a string"
	case kindInteger:
		return "an integer"
	case kindBoolean:
		return "true or false"
	case kindObject:
		return "an object"
	case kindArray:
		return "an array"
	default:
		return "unknown"
	}
}

// describeJSON names the JSON type of a value decoded with json.Decoder.UseNumber.
func describeJSON(value any) string {
	switch typed := value.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return describeNumber(typed)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return fmt.Sprintf("%T", value)
	}
}

func describeNumber(number json.Number) string {
	if isInteger(string(number)) {
		return "a number"
	}

	if !strings.ContainsAny(string(number), ".eE") {
		return "an integer that is too large"
	}

	return "a number with a fraction or exponent"
}

// typeFix suggests how to write value as the expected kind.
func typeFix(value any, expected jsonKind) string {
	text, isString := value.(string)

	switch expected {
	case kindInteger:
		if isString && isInteger(text) {
			return "remove the quotes: " + text
		}
		return "write a whole number without quotes, fraction or exponent"
	case kindString:
		switch value.(type) {
		case json.Number, bool:
			return fmt.Sprintf("put the value in quotes: %q", jsonText(value))
		}
		return "use a string in double quotes"
	case kindBoolean:
		if isString && (text == "true" || text == "false") {
			return "remove the quotes: " + text
		}
		return "use true or false without quotes"
	case kindObject:
		return "use a JSON object {...}"
	case kindArray:
		if isString {
			return fmt.Sprintf("put the value in an array: [%s]", jsonText(value))
		}
		return "use a JSON array [...]"
	default:
		return ""
	}
}
