// Command badservice breaks the platform's runtime rules on purpose, for the runtime
// check's tests. It logs the bootstrap password and shows it at /environment. It responds
// to every other path with status 500 and exits with status 3 on SIGTERM. "badservice probe" exits with
// status 0 at once, for an exec probe.
package main

import (
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		return
	}

	password := os.Getenv("C8Y_BOOTSTRAP_PASSWORD")
	fmt.Println("starting with password", password)

	mux := http.NewServeMux()
	mux.HandleFunc("/environment", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "{\"password\":%q}\n", password)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	})

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM)

	server := &http.Server{Addr: ":" + os.Getenv("SERVER_PORT"), Handler: mux}
	go func() {
		fmt.Println(server.ListenAndServe())
	}()

	<-signals
	os.Exit(3)
}
