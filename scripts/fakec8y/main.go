// Command fakec8y runs the in-memory fake Cumulocity platform on a loopback address, for
// trying the service without a tenant. It prints the platform URL and the fake credentials
// of the bootstrap user and of each tenant's service user and human user.
//
// Usage:
//
//	go run ./scripts/fakec8y [-addr 127.0.0.1:0] [-tenants t100,t200] [-log] [-- command args...]
//
// With a command after "--", it runs the command with the platform variables set
// (C8Y_BASEURL, the bootstrap user, MULTI_TENANT isolation, the application name and key)
// and stops the fake when the command ends, with the command's exit code:
//
//	go run ./scripts/fakec8y -tenants t100 -- go run .
//
// The credentials are random placeholders made up at start; they open nothing but this
// process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"hello-microservice/internal/c8yfake"
)

const application = "hello-microservice"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		os.Exit(exitErr.ExitCode())
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakec8y:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("fakec8y", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:0", "loopback `address` to listen on; port 0 picks a free port")
	tenantList := flags.String("tenants", "t100,t200", "comma-separated `ids` of the tenants subscribed at start")
	logRequests := flags.Bool("log", false, "log each request to stderr")
	serviceURL := flags.String("service", "", "`URL` of the service under test; when set, example requests for it are printed")
	if err := flags.Parse(args); err != nil {
		return err
	}
	tenantIDs, err := parseTenants(*tenantList)
	if err != nil {
		return err
	}

	listener, err := listenLoopback(*addr)
	if err != nil {
		return err
	}
	baseURL := "http://" + listener.Addr().String()

	// Set up the platform and print what a client needs to reach it.
	opts := c8yfake.Options{Application: application}
	if *logRequests {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	fake := c8yfake.New(opts)
	env := platformEnv(baseURL, fake.Bootstrap())
	users := printCredentials(stdout, env, fake, tenantIDs)
	if *serviceURL != "" {
		printExamples(stdout, *serviceURL, users)
	}

	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()
	defer srv.Close()

	if command := flags.Args(); len(command) > 0 {
		return runCommand(ctx, command, env, stdout, stderr)
	}
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", listener.Addr(), err)
	case <-ctx.Done():
		return nil
	}
}

// parseTenants splits the -tenants list and rejects ids that are not tenant ids.
func parseTenants(list string) ([]string, error) {
	var ids []string
	for _, id := range strings.Split(list, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if strings.ContainsAny(id, "/: ") {
			return nil, fmt.Errorf("tenant id %q is invalid: it must not contain '/', ':' or spaces", id)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// listenLoopback listens on addr, which must be a loopback address: the fake accepts
// made-up credentials and must not be reachable from other machines.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q is invalid: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("address %q is not a loopback IP address: use 127.0.0.1 so that only this machine can reach the fake", addr)
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return listener, nil
}

// platformEnv returns the variables the platform sets for a MULTI_TENANT microservice,
// pointing at the fake.
func platformEnv(baseURL string, bootstrap c8yfake.Credentials) []string {
	return []string{
		"C8Y_BASEURL=" + baseURL,
		"C8Y_BOOTSTRAP_TENANT=" + bootstrap.Tenant,
		"C8Y_BOOTSTRAP_USER=" + bootstrap.User,
		"C8Y_BOOTSTRAP_PASSWORD=" + bootstrap.Password,
		"C8Y_MICROSERVICE_ISOLATION=MULTI_TENANT",
		"APPLICATION_NAME=" + application,
		"APPLICATION_KEY=" + application + "-key",
	}
}

// printCredentials subscribes the tenants, adds a human user "admin" to each and prints
// the platform variables and every user's credentials.
func printCredentials(w io.Writer, env []string, fake *c8yfake.Platform, tenantIDs []string) []c8yfake.Credentials {
	fmt.Fprintln(w, "# Fake Cumulocity platform; all credentials below are made-up placeholders.")
	var humans []c8yfake.Credentials
	for _, line := range env {
		fmt.Fprintln(w, line)
	}
	for _, id := range tenantIDs {
		service := fake.Subscribe(id)
		// A tenant administrator: the service's roles plus application management, so that
		// task deploy and task bootstrap can be tried against the fake too.
		human := fake.AddUser(id, "admin", append(c8yfake.DefaultRoles(), "ROLE_APPLICATION_MANAGEMENT_READ", "ROLE_APPLICATION_MANAGEMENT_ADMIN")...)
		fmt.Fprintf(w, "# tenant %s: service user %s/%s password %s\n", id, service.Tenant, service.User, service.Password)
		fmt.Fprintf(w, "# tenant %s: human user %s/%s password %s\n", id, human.Tenant, human.User, human.Password)
		humans = append(humans, human)
	}
	return humans
}

// printExamples prints curl commands that call the service as the human users of the
// first two tenants, the way the gateway passes their credentials through.
func printExamples(w io.Writer, serviceURL string, users []c8yfake.Credentials) {
	serviceURL = strings.TrimSuffix(serviceURL, "/")
	fmt.Fprintln(w, "# Example requests, once the service is up:")
	for _, u := range users[:min(2, len(users))] {
		auth := fmt.Sprintf("'%s/%s:%s'", u.Tenant, u.User, u.Password)
		fmt.Fprintf(w, "curl -u %s %s/subscription\n", auth, serviceURL)
		fmt.Fprintf(w, "curl -u %s -X POST '%s/measurements?count=3'\n", auth, serviceURL)
		fmt.Fprintf(w, "curl -u %s %s/device\n", auth, serviceURL)
	}
}

// runCommand runs the command with the platform variables added to the environment and
// ends it when ctx is done.
func runCommand(ctx context.Context, command, env []string, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 25 * time.Second

	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	return nil
}
