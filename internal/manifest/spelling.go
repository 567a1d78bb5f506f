package manifest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// minPrefixLength is the shortest leading part of a field name, such as "tcp" of "tcpSocket", that
// counts as a shortened spelling of it.
const minPrefixLength = 3

// misspelledMembers reports each member of document that is no known field of the object but
// resembles one. The platform ignores unknown fields, so a misspelled "readinesProbe" would
// silently leave the service without a readiness probe. Members that resemble no known field
// stay allowed, because the platform reads more fields than this package checks.
func (c *typeCheck) misspelledMembers(path string, document map[string]any, known []string) {
	for _, name := range slices.Sorted(maps.Keys(document)) {
		if slices.Contains(known, name) {
			continue
		}

		suggestion, ok := closestField(name, known)
		if !ok {
			continue
		}

		fix := fmt.Sprintf("rename it to %q", suggestion)
		if _, set := document[suggestion]; set {
			fix = fmt.Sprintf("remove it, because %q is set too", suggestion)
		}

		c.violations = append(c.violations, Violation{
			Field:   joinPath(path, name),
			Problem: notAFieldProblem(path),
			Fix:     fix,
		})
	}
}

func notAFieldProblem(parent string) string {
	if parent == "" {
		return "is not a manifest field, so the platform ignores it"
	}

	return fmt.Sprintf("is not a field of %s, so the platform ignores it", parent)
}

// closestField returns the known field that name most likely misspells: the one with the smallest
// edit distance, ignoring case, within maxDistance, or else the first one that name abbreviates.
func closestField(name string, known []string) (string, bool) {
	lower := strings.ToLower(name)
	best, bestDistance := "", -1

	for _, field := range known {
		distance := editDistance(lower, strings.ToLower(field))
		if distance > maxDistance(field) {
			continue
		}
		if bestDistance < 0 || distance < bestDistance {
			best, bestDistance = field, distance
		}
	}
	if bestDistance >= 0 {
		return best, true
	}

	for _, field := range known {
		if abbreviates(name, field) {
			return field, true
		}
	}

	return "", false
}

// maxDistance allows two edits in a field name of five or more characters, but one in a shorter
// name, where two edits turn almost any word into another: "host" is two edits from "port".
func maxDistance(field string) int {
	if utf8.RuneCountInString(field) <= 4 {
		return 1
	}

	return 2
}

// abbreviates reports whether name is the first words of the camel-case field, such as
// "initialDelay" of "initialDelaySeconds", ignoring case.
func abbreviates(name, field string) bool {
	if len(name) < minPrefixLength || len(name) >= len(field) || !strings.EqualFold(field[:len(name)], name) {
		return false
	}

	next, _ := utf8.DecodeRuneInString(field[len(name):])
	return unicode.IsUpper(next)
}

// editDistance returns the Damerau-Levenshtein distance between a and b in its optimal string
// alignment form: the number of inserted, deleted or replaced characters and swapped neighbors.
func editDistance(a, b string) int {
	s, t := []rune(a), []rune(b)

	// rows[i][j] is the distance between the first i runes of s and the first j runes of t.
	rows := make([][]int, len(s)+1)
	for i := range rows {
		rows[i] = make([]int, len(t)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}

	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}

			rows[i][j] = min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				rows[i][j] = min(rows[i][j], rows[i-2][j-2]+1)
			}
		}
	}

	return rows[len(s)][len(t)]
}
