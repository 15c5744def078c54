//go:build !cuda

package main

import (
	"fmt"
	"os"
)

// main without the tag cuda says how to build the benchmark.
func main() {
	fmt.Fprintln(os.Stderr, "bench/gpu: built without CUDA; build it with make build-cuda (go build -tags cuda,openblas)")
	os.Exit(2)
}
