package deploy

import (
	"context"
	"fmt"
	"io"
	"strings"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/credentials"
	"hello-microservice/internal/manifest"
)

// BootstrapOptions configures Bootstrap.
type BootstrapOptions struct {
	Manifest   *manifest.Manifest // names the application and sets the isolation
	BaseURL    string             // written as C8Y_BASEURL, without credentials
	DotenvPath string             // the .env file to update
	PageSize   int                // the page size for finding the application; 0 means DefaultPageSize

	// Out receives a summary of what was written, without the password. Nil discards it.
	Out io.Writer
}

// Bootstrap finds the tenant's deployed application of the manifest's name and reads its
// bootstrap user. It writes the variables the service reads at start into the .env file:
// C8Y_BASEURL, C8Y_BOOTSTRAP_TENANT, C8Y_BOOTSTRAP_USER, C8Y_BOOTSTRAP_PASSWORD,
// C8Y_MICROSERVICE_ISOLATION, APPLICATION_NAME and, when the application has a key,
// APPLICATION_KEY. Other lines of the file are kept, and the file is left readable by its
// owner only.
//
// NOTE: a PER_TENANT service also reads its tenant's service user from C8Y_TENANT, C8Y_USER
// and C8Y_PASSWORD, the names the deploy credentials use in .env. Bootstrap does not write
// them, so such a service started from .env gets the deploying user instead.
func Bootstrap(ctx context.Context, client *c8y.Client, opts BootstrapOptions) error {
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	name := opts.Manifest.Name

	tenant, err := client.CurrentTenant(ctx)
	if err != nil {
		return err
	}
	app, err := FindApplication(ctx, client, name, tenant.Name, opts.PageSize)
	if err != nil {
		return err
	}
	if app == nil {
		return fmt.Errorf("tenant %s owns no application called %q: deploy it first with go tool task deploy", tenant.Name, name)
	}
	user, err := client.BootstrapUser(ctx, app.ID)
	if err != nil {
		return err
	}

	values := map[string]string{
		"C8Y_BASEURL":                opts.BaseURL,
		"C8Y_BOOTSTRAP_TENANT":       user.Tenant,
		"C8Y_BOOTSTRAP_USER":         user.User,
		"C8Y_BOOTSTRAP_PASSWORD":     user.Password.Reveal(),
		"C8Y_MICROSERVICE_ISOLATION": opts.Manifest.EffectiveIsolation(),
		"APPLICATION_NAME":           app.Name,
	}
	order := []string{"C8Y_BASEURL", "C8Y_BOOTSTRAP_TENANT", "C8Y_BOOTSTRAP_USER", "C8Y_BOOTSTRAP_PASSWORD",
		"C8Y_MICROSERVICE_ISOLATION", "APPLICATION_NAME"}
	if app.Key != "" {
		values["APPLICATION_KEY"] = app.Key
		order = append(order, "APPLICATION_KEY")
	}
	if err := credentials.WriteDotenv(opts.DotenvPath, values, order); err != nil {
		return err
	}

	fmt.Fprintf(out, "application %s (id %s) of tenant %s: bootstrap user %s\n", app.Name, app.ID, tenant.Name, user.User)
	fmt.Fprintf(out, "wrote %s to %s (mode 0600); the password is not shown\n", strings.Join(order, ", "), opts.DotenvPath)
	return nil
}
