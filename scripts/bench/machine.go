package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where and when the benchmark ran.
type machine struct {
	started   time.Time
	goVersion string // output of `go version`, the toolchain that builds everything
	cpu       string // model name from /proc/cpuinfo
	cores     int
	kernel    string
	revision  string // the project's git commit, and whether the working tree had changes
	loadStart string // /proc/loadavg when the run started
	loadEnd   string // /proc/loadavg when the run ended
}

func describeMachine(ctx context.Context, dir string) machine {
	m := machine{
		started:   time.Now().UTC(),
		cpu:       cpuModel(),
		cores:     runtime.NumCPU(),
		kernel:    readTrimmed("/proc/sys/kernel/osrelease"),
		revision:  projectRevision(ctx, dir),
		loadStart: loadAverage(),
	}
	out, _, err := command{path: "go", args: []string{"version"}, timeout: time.Minute}.run(ctx)
	if err != nil {
		m.goVersion = "unknown (" + err.Error() + ")"
	} else {
		m.goVersion = strings.TrimSpace(string(out))
	}
	return m
}

func (m *machine) writeMarkdown(b *strings.Builder) {
	fmt.Fprintf(b, "| | |\n|---|---|\n")
	fmt.Fprintf(b, "| date | %s |\n", m.started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(b, "| Go | %s |\n", m.goVersion)
	fmt.Fprintf(b, "| CPU | %s, %d cores |\n", m.cpu, m.cores)
	fmt.Fprintf(b, "| kernel | Linux %s |\n", m.kernel)
	fmt.Fprintf(b, "| project | %s |\n", m.revision)
	fmt.Fprintf(b, "| load average (1, 5, 15 min) | %s at the start, %s at the end |\n", m.loadStart, m.loadEnd)
}

// projectRevision returns the short commit of dir, with a remark when files differ from it.
func projectRevision(ctx context.Context, dir string) string {
	head, _, err := command{path: "git", args: []string{"-C", dir, "rev-parse", "--short", "HEAD"}, timeout: time.Minute}.run(ctx)
	if err != nil {
		return "unknown commit"
	}
	revision := "commit " + strings.TrimSpace(string(head))
	status, _, err := command{path: "git", args: []string{"-C", dir, "status", "--porcelain"}, timeout: time.Minute}.run(ctx)
	if err != nil || len(status) > 0 {
		revision += ", with uncommitted changes"
	}
	return revision
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		key, value, found := strings.Cut(line, ":")
		if found && strings.TrimSpace(key) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown"
}

// loadAverage returns the 1, 5 and 15 minute load averages from /proc/loadavg.
func loadAverage() string {
	fields := strings.Fields(readTrimmed("/proc/loadavg"))
	if len(fields) < 3 {
		return "unknown"
	}
	return strings.Join(fields[:3], ", ")
}

func readTrimmed(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(data))
}
