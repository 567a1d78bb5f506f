// Command hellocgo is hello built with cgo, so that the go command links it dynamically
// against the C library.
package main

// #include <stdlib.h>
import "C"

import "fmt"

// version is set with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	C.srand(1)
	fmt.Println("hello", version)
}
