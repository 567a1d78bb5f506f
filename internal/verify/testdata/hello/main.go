// Command hello is a minimal program with a main.version variable, for building test images.
package main

import "fmt"

// version is set with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	fmt.Println("hello", version)
}
