package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// metric is one measured figure with one value per run.
type metric struct {
	group  string // service, build or size
	name   string
	unit   string
	values []float64
	target *target // nil when the figure has no target
}

// target is a limit that the median of a metric is compared with.
type target struct {
	limit  float64
	atMost bool   // true: the median must not exceed limit; false: it must reach limit
	text   string // the limit as the page shows it, for example "≤ 15"
}

// summary is the minimum, median and maximum of a metric's values.
type summary struct {
	min, median, max float64
}

func summarize(values []float64) summary {
	if len(values) == 0 {
		return summary{math.NaN(), math.NaN(), math.NaN()}
	}
	sorted := slices.Sorted(slices.Values(values))
	n := len(sorted)
	median := sorted[n/2]
	if n%2 == 0 {
		median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return summary{min: sorted[0], median: median, max: sorted[n-1]}
}

// verdict compares the median with the target: "met", or by how much it was missed.
func (m metric) verdict() string {
	if m.target == nil {
		return ""
	}
	median := summarize(m.values).median
	if m.target.atMost && median <= m.target.limit || !m.target.atMost && median >= m.target.limit {
		return "met"
	}
	miss := math.Abs(median - m.target.limit)
	unit := " " + m.unit
	if m.unit == "ratio" {
		unit = ""
	}
	return fmt.Sprintf("missed by %s%s (%.0f%%)", formatValue(miss), unit, 100*miss/m.target.limit)
}

// ratios divides a by b run by run.
func ratios(a, b []float64) []float64 {
	out := make([]float64, min(len(a), len(b)))
	for i := range out {
		out[i] = a[i] / b[i]
	}
	return out
}

// formatValue shows about three significant digits without an exponent.
func formatValue(v float64) string {
	switch abs := math.Abs(v); {
	case math.IsNaN(v):
		return "n/a"
	case abs >= 100:
		return fmt.Sprintf("%.0f", v)
	case abs >= 10:
		return fmt.Sprintf("%.1f", v)
	case abs >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

// report collects the metrics and the facts checked during a run.
type report struct {
	machine  machine
	settings []string // the run's settings, one line each
	metrics  []metric
	notes    []string // checks and observations, one line each
}

func (r *report) add(m metric) { r.metrics = append(r.metrics, m) }

func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// printTable writes the metrics as an aligned text table.
func (r *report) printTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "group\tmetric\tunit\tmin\tmedian\tmax\ttarget\tverdict\t")
	for _, m := range r.metrics {
		s := summarize(m.values)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", m.group, m.name, m.unit,
			formatValue(s.min), formatValue(s.median), formatValue(s.max), targetText(m), m.verdict())
	}
	return tw.Flush()
}

// writeMarkdown writes the whole report to path, replacing the file.
func (r *report) writeMarkdown(path string) error {
	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	b.WriteString("Written by `go run ./scripts/bench`; every run replaces this file. ")
	b.WriteString("[benchmarks.md](benchmarks.md) describes the method and discusses the figures.\n\n")
	r.machine.writeMarkdown(&b)
	b.WriteString("\nSettings:\n\n")
	for _, line := range r.settings {
		fmt.Fprintf(&b, "- %s\n", line)
	}

	for _, group := range []string{"service", "build", "size"} {
		r.writeGroup(&b, group)
	}

	if len(r.notes) > 0 {
		b.WriteString("\n## Checks\n\n")
		for _, line := range r.notes {
			fmt.Fprintf(&b, "- %s\n", line)
		}
	}

	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func (r *report) writeGroup(b *strings.Builder, group string) {
	var rows []metric
	for _, m := range r.metrics {
		if m.group == group {
			rows = append(rows, m)
		}
	}
	if len(rows) == 0 {
		return
	}

	fmt.Fprintf(b, "\n## %s\n\n", strings.ToUpper(group[:1])+group[1:])
	b.WriteString("| metric | unit | min | median | max | target | verdict (median) |\n")
	b.WriteString("|---|---|--:|--:|--:|---|---|\n")
	for _, m := range rows {
		s := summarize(m.values)
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n", m.name, m.unit,
			formatValue(s.min), formatValue(s.median), formatValue(s.max), targetText(m), m.verdict())
	}
}

func targetText(m metric) string {
	if m.target == nil {
		return ""
	}
	return m.target.text
}
