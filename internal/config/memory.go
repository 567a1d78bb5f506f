package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// memoryUnits are the suffixes of Kubernetes memory quantities, in bytes. The platform
// passes the container's memory limit in this form, for example "512M" or "1Gi".
var memoryUnits = map[string]float64{
	"":   1,
	"k":  1e3,
	"K":  1e3,
	"M":  1e6,
	"G":  1e9,
	"T":  1e12,
	"P":  1e15,
	"E":  1e18,
	"Ki": 1 << 10,
	"Mi": 1 << 20,
	"Gi": 1 << 30,
	"Ti": 1 << 40,
	"Pi": 1 << 50,
	"Ei": 1 << 60,
}

// ParseMemory converts a Kubernetes memory quantity such as "512M", "1G", "256Mi" or
// "1.5Gi" to bytes. A number without a unit is a count of bytes. Fractions of a byte are
// rounded down.
func ParseMemory(s string) (int64, error) {
	digitsEnd := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if digitsEnd < 0 {
		digitsEnd = len(s)
	}
	number, unit := s[:digitsEnd], s[digitsEnd:]

	multiplier, ok := memoryUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: use a whole or decimal number followed by one of K, M, G, T, Ki, Mi, Gi, Ti, for example 512M or 1Gi", unit)
	}

	if number == "" || strings.Count(number, ".") > 1 || strings.HasPrefix(number, ".") || strings.HasSuffix(number, ".") {
		return 0, fmt.Errorf("%q is not a number of bytes: write digits followed by a unit, for example 512M or 1Gi", s)
	}

	value, err := strconv.ParseFloat(number, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number of bytes: %w", s, err)
	}

	bytes := value * multiplier
	if bytes >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large: use a value below 8Ei", s)
	}
	return int64(bytes), nil
}

// softLimitPercent is the share of the container's memory limit given to the Go runtime's
// soft limit. The rest covers memory that the soft limit does not count (the binary mapped
// into memory, allocations outside the Go runtime) and the time the garbage collector
// needs to react, so that the kernel's out-of-memory killer is not reached first.
const softLimitPercent = 80

// SoftMemoryLimit returns the Go runtime's soft memory limit for a container limited to
// limit bytes: 80% of it.
func SoftMemoryLimit(limit int64) int64 {
	return limit / 100 * softLimitPercent
}
