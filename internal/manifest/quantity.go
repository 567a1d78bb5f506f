package manifest

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// quantityError is the error of ParseCPU and ParseMemory.
type quantityError struct {
	resource string // "CPU" or "memory"
	value    string
	problem  string
	fix      string
}

func (e *quantityError) Error() string {
	return fmt.Sprintf("invalid %s quantity %q: %s; fix: %s", e.resource, e.value, e.problem, e.fix)
}

// ParseCPU converts a CPU quantity to millicores, so both "0.5" and "500m" return 500.
// It accepts whole or decimal cores and whole millicores with the suffix m.
// It rejects signs, exponents, a missing digit around the decimal point and a precision finer than 1m.
func ParseCPU(s string) (milli int64, err error) {
	if millicores, ok := strings.CutSuffix(s, "m"); ok {
		return parseCPUDigits(s, millicores, 1)
	}

	whole, fraction, hasPoint := strings.Cut(s, ".")
	if !hasPoint {
		return parseCPUDigits(s, whole, 1000)
	}

	return parseDecimalCores(s, whole, fraction)
}

func parseCPUDigits(s, digits string, scale int64) (int64, error) {
	if !isDigits(digits) {
		return 0, cpuSyntaxError(s)
	}

	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > math.MaxInt64/scale {
		return 0, &quantityError{resource: "CPU", value: s, problem: "is too large", fix: "use a value such as \"2\" or \"2000m\""}
	}

	return n * scale, nil
}

func parseDecimalCores(s, whole, fraction string) (int64, error) {
	cores, err := parseCPUDigits(s, whole, 1000)
	if err != nil {
		return 0, err
	}

	if !isDigits(fraction) {
		return 0, cpuSyntaxError(s)
	}

	fraction = strings.TrimRight(fraction, "0")
	if len(fraction) > 3 {
		return 0, &quantityError{resource: "CPU", value: s, problem: "must not be finer than 1m (0.001 CPU)", fix: "round to three decimal places"}
	}

	thousandths, _ := strconv.ParseInt(fraction+strings.Repeat("0", 3-len(fraction)), 10, 64)
	if cores > math.MaxInt64-thousandths {
		return 0, &quantityError{resource: "CPU", value: s, problem: "is too large", fix: "use a value such as \"2\" or \"2000m\""}
	}

	return cores + thousandths, nil
}

func cpuSyntaxError(s string) error {
	return &quantityError{
		resource: "CPU",
		value:    s,
		problem:  "must be a number of cores such as \"0.5\" or a whole number of millicores such as \"500m\"",
		fix:      "write the cores with digits on both sides of the point, or the millicores followed by m",
	}
}

// ParseMemory converts a memory quantity to bytes.
// It accepts a whole number followed by one of the units k or K, M, G, T (powers of 1000) or Ki, Mi, Gi, Ti (powers of 1024).
// A number without a unit is a count of bytes.
func ParseMemory(s string) (int64, error) {
	digitsEnd := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if digitsEnd < 0 {
		digitsEnd = len(s)
	}
	number, unit := s[:digitsEnd], s[digitsEnd:]

	if !isDigits(number) {
		return 0, memorySyntaxError(s)
	}

	multiplier, err := memoryMultiplier(s, unit)
	if err != nil {
		return 0, err
	}

	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || n > math.MaxInt64/multiplier {
		return 0, &quantityError{resource: "memory", value: s, problem: "is too large", fix: "use a value such as \"512M\" or \"1Gi\""}
	}

	return n * multiplier, nil
}

func memoryMultiplier(s, unit string) (int64, error) {
	switch unit {
	case "":
		return 1, nil
	case "K", "k":
		// Kubernetes writes the decimal kilo as "k"; both spellings are accepted.
		return 1e3, nil
	case "M":
		return 1e6, nil
	case "G":
		return 1e9, nil
	case "T":
		return 1e12, nil
	case "Ki":
		return 1 << 10, nil
	case "Mi":
		return 1 << 20, nil
	case "Gi":
		return 1 << 30, nil
	case "Ti":
		return 1 << 40, nil
	}

	if strings.HasPrefix(unit, ".") {
		return 0, &quantityError{
			resource: "memory",
			value:    s,
			problem:  "must be a whole number",
			fix:      "use a smaller unit instead of decimals, e.g. \"512M\" instead of \"0.5G\"",
		}
	}

	return 0, &quantityError{
		resource: "memory",
		value:    s,
		problem:  fmt.Sprintf("has the unknown unit %q", unit),
		fix:      "use one of the units K, M, G, T, Ki, Mi, Gi or Ti, e.g. \"256M\" or \"128Mi\"",
	}
}

func memorySyntaxError(s string) error {
	return &quantityError{
		resource: "memory",
		value:    s,
		problem:  "must be a whole number of bytes with an optional unit",
		fix:      "write digits followed by a unit, e.g. \"256M\" or \"128Mi\"",
	}
}

// isDigits reports whether text is a non-empty string of ASCII digits, so it has no sign or space.
func isDigits(text string) bool {
	return text != "" && strings.Trim(text, "0123456789") == ""
}

// quantityViolation converts an error of ParseCPU or ParseMemory into a violation of field.
func quantityViolation(field, value string, err error) Violation {
	violation := Violation{Field: field, Value: jsonText(value), Problem: err.Error()}

	var quantity *quantityError
	if errors.As(err, &quantity) {
		violation.Problem = quantity.problem
		violation.Fix = quantity.fix
	}

	return violation
}
