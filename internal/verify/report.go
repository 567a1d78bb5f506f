package verify

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Status is the outcome of one check.
type Status string

// Check outcomes. A skipped check neither passes nor fails: its message gives the reason.
const (
	StatusPass Status = "PASS"
	StatusFail Status = "FAIL"
	StatusSkip Status = "SKIP"
)

// Check is the outcome of one named check with a message for the user.
// A failure's message states what is wrong and, after "fix:", what to change.
type Check struct {
	Name    string
	Status  Status
	Message string
}

// String formats the check as "PASS name: message", indenting any further lines of the message.
func (c Check) String() string {
	line := string(c.Status) + " " + c.Name
	if c.Message == "" {
		return line
	}

	return line + ": " + strings.ReplaceAll(c.Message, "\n", "\n    ")
}

// Report is the list of checks in the order they ran.
type Report struct {
	Checks []Check
}

// Pass records a passed check.
func (r *Report) Pass(name, format string, args ...any) {
	r.add(name, StatusPass, format, args...)
}

// Fail records a failed check.
func (r *Report) Fail(name, format string, args ...any) {
	r.add(name, StatusFail, format, args...)
}

// Skip records a check that did not run, with the reason.
func (r *Report) Skip(name, format string, args ...any) {
	r.add(name, StatusSkip, format, args...)
}

func (r *Report) add(name string, status Status, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Status: status, Message: fmt.Sprintf(format, args...)})
}

// Append adds the checks of other after those of r.
func (r *Report) Append(other *Report) {
	if other != nil {
		r.Checks = append(r.Checks, other.Checks...)
	}
}

// Find returns the first check with the given name.
func (r *Report) Find(name string) (Check, bool) {
	for _, check := range r.Checks {
		if check.Name == name {
			return check, true
		}
	}

	return Check{}, false
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool {
	return len(r.Failures()) > 0
}

// Failures returns the failed checks in order.
func (r *Report) Failures() []Check {
	var failed []Check
	for _, check := range r.Checks {
		if check.Status == StatusFail {
			failed = append(failed, check)
		}
	}

	return failed
}

// Err returns nil when no check failed, and otherwise an error listing every failed check.
func (r *Report) Err() error {
	failed := r.Failures()
	if len(failed) == 0 {
		return nil
	}

	lines := make([]string, len(failed))
	for i, check := range failed {
		lines[i] = check.String()
	}

	return errors.New(plural(len(failed), "check", "checks") + " failed:\n" + strings.Join(lines, "\n"))
}

// Write prints one line per check, as Check.String formats it.
func (r *Report) Write(w io.Writer) error {
	for _, check := range r.Checks {
		if _, err := fmt.Fprintln(w, check); err != nil {
			return err
		}
	}

	return nil
}

// has reports whether a check with the given name was recorded.
func (r *Report) has(name string) bool {
	_, ok := r.Find(name)
	return ok
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}

	return fmt.Sprintf("%d %s", n, many)
}
