//go:build !linux

package runtimecheck

import (
	"context"
	"runtime"

	"hello-microservice/internal/verify"
)

// Missing describes the prerequisites of Run that this machine lacks: Linux.
func Missing() string {
	return "the runtime check needs Linux with runc, and this is " + runtime.GOOS
}

// Run reports the runtime check as skipped, or failed with opts.Require, because runc
// runs on Linux only.
func Run(ctx context.Context, opts Options) (*verify.Report, error) {
	report := &verify.Report{}
	reason := Missing()

	if opts.Require {
		report.Fail(CheckRuntime, "%s; fix: run it on Linux as root, or unset %s", reason, RequireVariable)
		return report, nil
	}
	report.Skip(CheckRuntime, "%s", reason)

	return report, nil
}
