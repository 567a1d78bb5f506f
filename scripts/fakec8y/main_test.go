package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"hello-microservice/internal/c8y"
	"hello-microservice/internal/config"
)

// TestHelperProcess is the command that the tests run under fakec8y: it lists the
// subscribed tenants with the bootstrap user from the environment and exits with the code
// in FAKEC8Y_HELPER_EXIT.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("FAKEC8Y_HELPER") != "1" {
		t.Skip("runs only as the command of TestRunCommand")
	}
	client, err := c8y.New(os.Getenv("C8Y_BASEURL"))
	if err != nil {
		fmt.Println("helper:", err)
		os.Exit(10)
	}
	bootstrap := c8y.Credentials{
		Tenant:   os.Getenv("C8Y_BOOTSTRAP_TENANT"),
		User:     os.Getenv("C8Y_BOOTSTRAP_USER"),
		Password: config.Secret(os.Getenv("C8Y_BOOTSTRAP_PASSWORD")),
	}
	users, err := client.WithAuth(bootstrap).Subscriptions(context.Background())
	if err != nil {
		fmt.Println("helper:", err)
		os.Exit(11)
	}
	for _, user := range users {
		fmt.Println("subscribed:", user.Tenant)
	}
	code := 0
	fmt.Sscan(os.Getenv("FAKEC8Y_HELPER_EXIT"), &code)
	os.Exit(code)
}

func TestRunCommand(t *testing.T) {
	t.Setenv("FAKEC8Y_HELPER", "1")
	t.Setenv("FAKEC8Y_HELPER_EXIT", "3")
	var stdout, stderr bytes.Buffer

	err := run(t.Context(), []string{"-tenants", "t100, t200", "--", os.Args[0], "-test.run=^TestHelperProcess$"}, &stdout, &stderr)

	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Errorf("run error = %v, want the command's exit code 3; stderr:\n%s", err, stderr.String())
	}
	for _, want := range []string{"subscribed: t100", "subscribed: t200"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestPrintsCredentials(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer

	if err := run(ctx, []string{"-tenants", "t100"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v; stderr:\n%s", err, stderr.String())
	}

	patterns := []string{
		`(?m)^C8Y_BASEURL=http://127\.0\.0\.1:\d+$`,
		`(?m)^C8Y_BOOTSTRAP_PASSWORD=\S+$`,
		`(?m)^C8Y_MICROSERVICE_ISOLATION=MULTI_TENANT$`,
		`(?m)^# tenant t100: service user t100/service_hello-microservice password \S+$`,
		`(?m)^# tenant t100: human user t100/admin password \S+$`,
	}
	for _, pattern := range patterns {
		if !regexp.MustCompile(pattern).MatchString(stdout.String()) {
			t.Errorf("output does not match %s:\n%s", pattern, stdout.String())
		}
	}
}

func TestRejectsAddress(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8111", "localhost:0", "nonsense"} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), []string{"-addr", addr}, &stdout, &stderr); err == nil {
			t.Errorf("run with -addr %s returned no error", addr)
		}
		if stdout.Len() != 0 {
			t.Errorf("run with -addr %s printed credentials:\n%s", addr, stdout.String())
		}
	}
}

func TestRejectsTenantID(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"-tenants", "t1/x"}, &stdout, &stderr); err == nil {
		t.Error("run with the tenant id t1/x returned no error")
	}
}
