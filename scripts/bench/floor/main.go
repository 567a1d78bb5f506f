// Command floor is the smallest net/http server that responds like the service. It serves
// fixed responses (status, Content-Type and body) read from a JSON file, so the benchmark
// can compare the service with what a bare Go HTTP server costs for the same bytes.
//
// Usage:
//
//	SERVER_PORT=8080 floor -responses responses.json
//
// The file maps each path to its response, for example
// {"/health": {"status": 200, "contentType": "application/json; charset=utf-8", "body": "{\"status\":\"UP\"}"}}.
// The server listens on 127.0.0.1 only and stops on SIGTERM or an interrupt.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Response is one fixed HTTP response.
type Response struct {
	Status      int    `json:"status"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	flags := flag.NewFlagSet("floor", flag.ContinueOnError)
	responsesPath := flags.String("responses", "", "JSON `file` that maps each path to its status, Content-Type and body")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *responsesPath == "" {
		return errors.New("missing -responses: name the JSON file of responses to serve")
	}

	responses, err := readResponses(*responsesPath)
	if err != nil {
		return err
	}
	port := os.Getenv("SERVER_PORT")
	if port == "" {
		return errors.New("missing SERVER_PORT: set the port to listen on")
	}

	listener, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return fmt.Errorf("listening on 127.0.0.1:%s: %w", port, err)
	}
	srv := &http.Server{Handler: newMux(responses), ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(listener) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", listener.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	return nil
}

func readResponses(path string) (map[string]Response, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading responses: %w", err)
	}
	var responses map[string]Response
	if err := json.Unmarshal(data, &responses); err != nil {
		return nil, fmt.Errorf("decoding responses %s: %w", path, err)
	}
	if len(responses) == 0 {
		return nil, fmt.Errorf("invalid responses %s: no path listed", path)
	}
	return responses, nil
}

// newMux serves GET on each listed path with its fixed response. The body is converted to
// bytes once, so a request costs no more than net/http itself.
func newMux(responses map[string]Response) *http.ServeMux {
	mux := http.NewServeMux()
	for path, response := range responses {
		body := []byte(response.Body)
		contentType := []string{response.ContentType}
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = contentType
			w.WriteHeader(response.Status)
			w.Write(body)
		})
	}
	return mux
}
