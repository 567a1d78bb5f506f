//go:build linux

package runtimecheck

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"hello-microservice/internal/manifest"
	"hello-microservice/internal/verify"
)

// cleanupTimeout bounds the cleanup after the checks, which runs even when ctx is canceled.
const cleanupTimeout = 30 * time.Second

// tools holds the paths of the programs the check runs.
type tools struct {
	runc, skopeo, umoci, ip string
}

// session is one run of the runtime check: the names it created and what it must remove.
type session struct {
	tools    tools
	report   *verify.Report
	manifest *manifest.Manifest
	secrets  []secret

	workDir     string // holds the image, the OCI layout, the bundle, runc's state and the log
	containerID string
	netnsName   string
	netnsAdded  bool
	container   *container
}

// Run unpacks the image of the ZIP into a runc bundle, starts it in a network namespace of
// its own and checks it. It reports a missing prerequisite as one skipped "runtime" check,
// or as a failure with opts.Require. The error is for a canceled ctx or a failure to
// create temporary files. The container, the namespace and the files are removed in
// either case.
func Run(ctx context.Context, opts Options) (*verify.Report, error) {
	report := &verify.Report{}

	found, missing := findTools(exec.LookPath, os.Geteuid())
	if missing != "" {
		reportMissing(report, missing, opts.Require)
		return report, nil
	}

	workDir, err := os.MkdirTemp("", "runtimecheck-*")
	if err != nil {
		return report, fmt.Errorf("creating the work folder: %w", err)
	}
	suffix := randomHex(6)
	s := &session{
		tools:       found,
		report:      report,
		workDir:     workDir,
		containerID: "verify-" + suffix,
		netnsName:   "verify-" + suffix,
	}
	defer s.cleanup(ctx)

	err = s.check(ctx, opts.ZIPPath)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return report, ctxErr
	}

	return report, err
}

// Missing describes the prerequisites of Run that this machine lacks, or returns "" when
// it has them all.
func Missing() string {
	_, missing := findTools(exec.LookPath, os.Geteuid())
	return missing
}

// findTools returns the programs the check needs, found with lookPath, or a description of
// what is missing. uid is the effective user id of this process.
func findTools(lookPath func(string) (string, error), uid int) (tools, string) {
	var problems []string
	if uid != 0 {
		problems = append(problems, fmt.Sprintf("not running as root (uid %d)", uid))
	}

	var found tools
	for _, tool := range []struct {
		name string
		path *string
	}{
		{"runc", &found.runc},
		{"skopeo", &found.skopeo},
		{"umoci", &found.umoci},
		{"ip", &found.ip},
	} {
		path, err := lookPath(tool.name)
		if err != nil {
			problems = append(problems, tool.name+" is not installed (not in PATH)")
			continue
		}
		*tool.path = path
	}

	return found, strings.Join(problems, ", ")
}

func reportMissing(report *verify.Report, missing string, require bool) {
	if require {
		report.Fail(CheckRuntime, "cannot start the image: %s; fix: run as root with runc, skopeo, umoci and iproute2 installed, or unset %s", missing, RequireVariable)
		return
	}

	report.Skip(CheckRuntime, "the image was not started: %s (run as root with runc, skopeo, umoci and iproute2 installed for this check)", missing)
}

// check runs the steps in order; a step that fails reports it and stops the dependent ones.
func (s *session) check(ctx context.Context, zipPath string) error {
	bundle, ok, err := s.unpack(ctx, zipPath)
	if err != nil || !ok {
		s.skipRest("the image could not be unpacked")
		return err
	}

	if err := s.addNamespace(ctx); err != nil {
		s.report.Fail(CheckStart, "creating the network namespace %s: %v", s.netnsName, err)
		s.skipRest("the container did not start")
		return nil
	}

	if err := s.writeRuntimeConfig(bundle); err != nil {
		s.report.Fail(CheckUnpack, "editing the bundle's config.json: %v", err)
		s.skipRest("the container did not start")
		return nil
	}

	if !s.start(ctx, bundle) {
		s.skipRest("the container did not start")
		return nil
	}

	client := newNamespaceClient(s.netnsPath())
	for _, step := range []func(context.Context, *http.Client){s.checkProbes, s.checkRootPath, s.checkEnvironment} {
		step(ctx, client)
		if err := ctx.Err(); err != nil {
			return err
		}
	}

	s.stop(ctx)
	s.checkLog()
	return nil
}

// skipRest reports every runtime check that has not run as skipped.
func (s *session) skipRest(reason string) {
	for _, name := range []string{CheckUnpack, CheckStart, CheckLiveness, CheckReadiness, CheckRootPath, CheckEnvironment, CheckStop, CheckLog} {
		if _, ok := s.report.Find(name); !ok {
			s.report.Skip(name, "not checked because %s", reason)
		}
	}
}

// cleanup stops and deletes the container, deletes the namespace and removes the work
// folder. It runs even when ctx is canceled, with a time limit of its own.
func (s *session) cleanup(ctx context.Context) {
	cleanupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()

	if s.container != nil {
		s.container.kill(cleanupCtx, s)
	}
	if s.netnsAdded {
		if output, err := exec.CommandContext(cleanupCtx, s.tools.ip, "netns", "delete", s.netnsName).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "runtimecheck: deleting network namespace %s: %v: %s\n", s.netnsName, err, output)
		}
	}
	if err := os.RemoveAll(s.workDir); err != nil {
		fmt.Fprintf(os.Stderr, "runtimecheck: removing %s: %v\n", s.workDir, err)
	}
}

// addNamespace creates the container's network namespace with its loopback interface up.
func (s *session) addNamespace(ctx context.Context) error {
	if output, err := exec.CommandContext(ctx, s.tools.ip, "netns", "add", s.netnsName).CombinedOutput(); err != nil {
		return fmt.Errorf("ip netns add: %w: %s", err, strings.TrimSpace(string(output)))
	}
	s.netnsAdded = true

	output, err := exec.CommandContext(ctx, s.tools.ip, "netns", "exec", s.netnsName, s.tools.ip, "link", "set", "lo", "up").CombinedOutput()
	if err != nil {
		return fmt.Errorf("setting lo up: %w: %s", err, strings.TrimSpace(string(output)))
	}

	return nil
}

// netnsPath returns the file where ip netns add mounts the namespace.
func (s *session) netnsPath() string {
	return filepath.Join("/var/run/netns", s.netnsName)
}

// randomHex returns 2n random hexadecimal digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b)
}

// commandError adds the last lines of a command's output to its error.
func commandError(name string, err error, output []byte) error {
	lines := strings.Split(strings.TrimSpace(string(output)), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}

	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return fmt.Errorf("%s failed with %v: %s", name, exitErr.ProcessState, strings.Join(lines, " | "))
	}

	return fmt.Errorf("%s: %w", name, err)
}
