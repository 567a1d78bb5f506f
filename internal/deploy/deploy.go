// Package deploy ships a microservice ZIP to Cumulocity: it checks the ZIP, finds or
// creates the application that the tenant owns, streams the upload, subscribes the tenant
// and waits for the service to come up. Bootstrap writes the application's bootstrap user
// to .env for running the service locally against the tenant.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/manifest"
)

// Options configures Run. Zero durations and page sizes get the defaults.
type Options struct {
	ZIPPath string

	// DryRun prints what would happen and changes nothing: only GET requests are sent.
	DryRun bool

	// NoWait ends the deploy after the subscription, without waiting for the service.
	NoWait bool

	IdleTimeout     time.Duration // see UploadOptions
	ResponseTimeout time.Duration // see UploadOptions
	WaitTimeout     time.Duration // how long to wait for the service to come up
	PollInterval    time.Duration // how often to read its status meanwhile
	PageSize        int           // the page size for finding the application

	// Check runs the pre-flight checks on the ZIP before anything is sent. Nil means
	// CheckArchive.
	Check func(ctx context.Context, zipPath string) error

	// Out receives one line per step. Nil discards them.
	Out io.Writer

	// Progress shows the upload's progress. Nil shows nothing.
	Progress Progress
}

func (o Options) withDefaults() Options {
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = DefaultWaitTimeout
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Check == nil {
		o.Check = CheckArchive
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return o
}

// Result is the outcome of Run.
type Result struct {
	Tenant      string
	Application *c8y.Application // nil in a dry run that found none

	Created           bool // the application was created (or would be, in a dry run)
	AlreadySubscribed bool // the platform responded 409 to the subscription
	Up                bool // the service reported Up
}

// Run deploys the ZIP with client, whose credentials choose the tenant. When only the wait
// for the service failed, it returns the [*WaitError] of WaitUntilUp. Every other error
// means that the deploy itself failed. After a failed upload nothing is subscribed.
func Run(ctx context.Context, client *c8y.Client, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	out := opts.Out
	if opts.DryRun {
		fmt.Fprintln(out, "dry run: only reading from the platform, nothing will be changed")
	}

	if err := opts.Check(ctx, opts.ZIPPath); err != nil {
		return nil, fmt.Errorf("pre-flight checks failed, nothing was sent: %w", err)
	}
	m, err := ReadManifest(opts.ZIPPath)
	if err != nil {
		return nil, err
	}
	info, err := os.Stat(opts.ZIPPath)
	if err != nil {
		return nil, fmt.Errorf("reading the ZIP to upload: %w", err)
	}
	fmt.Fprintf(out, "checked %s: %s %s, %s, pre-flight checks passed\n", opts.ZIPPath, m.Name, m.Version, formatBytes(info.Size()))

	tenant, err := client.CurrentTenant(ctx)
	if err != nil {
		return nil, err
	}
	result := &Result{Tenant: tenant.Name}
	fmt.Fprintf(out, "platform %s, tenant %s\n", client.BaseURL(), tenant.Name)

	app, err := findOrCreate(ctx, client, m, tenant.Name, opts, result)
	if err != nil {
		return result, err
	}
	result.Application = app

	if opts.DryRun {
		printPlan(out, opts, app, tenant.Name, info.Size())
		return result, nil
	}

	fmt.Fprintf(out, "uploading %s (%s) to application %s\n", opts.ZIPPath, formatBytes(info.Size()), app.ID)
	start := time.Now()
	uploadOpts := UploadOptions{IdleTimeout: opts.IdleTimeout, ResponseTimeout: opts.ResponseTimeout, Progress: opts.Progress}
	if _, err := Upload(ctx, client, app.ID, opts.ZIPPath, uploadOpts); err != nil {
		return result, fmt.Errorf("upload failed, the tenant was not subscribed: %w", err)
	}
	fmt.Fprintf(out, "uploaded %s in %.1fs\n", formatBytes(info.Size()), time.Since(start).Seconds())

	if err := subscribe(ctx, client, app.ID, tenant.Name, out, result); err != nil {
		return result, err
	}

	serviceURL := client.BaseURL() + "/service/" + m.EffectiveContextPath() + "/"
	if opts.NoWait {
		fmt.Fprintf(out, "not waiting for the service to come up; it will answer at %s\n", serviceURL)
		return result, nil
	}
	// NOTE: the platform does not document whether the status object shows the old
	// deployment as Up for a moment after a new upload. If it does, the wait ends before
	// the new image runs.
	fmt.Fprintf(out, "waiting up to %s for the service to come up\n", opts.WaitTimeout)
	report := func(status string) { fmt.Fprintf(out, "status: %s\n", status) }
	if err := WaitUntilUp(ctx, client, app.ID, tenant.Name, opts.WaitTimeout, opts.PollInterval, report); err != nil {
		return result, err
	}
	result.Up = true
	fmt.Fprintf(out, "the service is up at %s\n", serviceURL)
	return result, nil
}

// printPlan prints what the rest of a deploy would do, for a dry run. A nil app is one
// that would be created.
func printPlan(out io.Writer, opts Options, app *c8y.Application, tenant string, size int64) {
	target := "the new application"
	if app != nil {
		target = "application " + app.ID
	}
	fmt.Fprintf(out, "would upload %s (%d bytes) to %s\n", opts.ZIPPath, size, target)
	fmt.Fprintf(out, "would subscribe tenant %s to it\n", tenant)
	if !opts.NoWait {
		fmt.Fprintf(out, "would wait up to %s for the service to come up\n", opts.WaitTimeout)
	}
}

// findOrCreate returns the tenant's application of the manifest's name, creating it when
// missing, or nil in a dry run that found none.
func findOrCreate(ctx context.Context, client *c8y.Client, m *manifest.Manifest, tenant string, opts Options, result *Result) (*c8y.Application, error) {
	app, err := FindApplication(ctx, client, m.Name, tenant, opts.PageSize)
	if err != nil {
		return nil, err
	}
	if app != nil {
		fmt.Fprintf(opts.Out, "application %s: found, id %s\n", m.Name, app.ID)
		return app, nil
	}

	result.Created = true
	spec := c8y.Application{
		Name:          m.Name,
		Key:           m.Name + "-key",
		Type:          c8y.ApplicationTypeMicroservice,
		ContextPath:   m.EffectiveContextPath(),
		RequiredRoles: m.RequiredRoles,
		Roles:         m.Roles,
	}
	if opts.DryRun {
		fmt.Fprintf(opts.Out, "application %s: not found, would create it with context path %s\n", m.Name, spec.ContextPath)
		return nil, nil
	}
	created, err := client.CreateApplication(ctx, spec)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(opts.Out, "application %s: not found, created it with id %s\n", m.Name, created.ID)
	return created, nil
}

// subscribe subscribes the tenant to the application. A 409 means that the tenant is
// subscribed already, which is reported and is no failure.
func subscribe(ctx context.Context, client *c8y.Client, applicationID, tenant string, out io.Writer, result *Result) error {
	err := client.SubscribeApplication(ctx, tenant, applicationID)
	switch {
	case err == nil:
		fmt.Fprintf(out, "subscribed tenant %s to application %s\n", tenant, applicationID)
		return nil
	case c8y.IsConflict(err):
		result.AlreadySubscribed = true
		fmt.Fprintf(out, "tenant %s is already subscribed to application %s\n", tenant, applicationID)
		return nil
	}
	return fmt.Errorf("the upload succeeded, but the subscription failed: %w", err)
}

// IsWaitError reports whether err is only the wait for the service failing, after a
// successful upload and subscription.
func IsWaitError(err error) bool {
	var waitErr *WaitError
	return errors.As(err, &waitErr)
}
