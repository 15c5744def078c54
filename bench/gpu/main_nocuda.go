//go:build !cuda

package main

import (
	"fmt"
	"os"

	"github.com/mfpo/mfpo/gocore/backend/cuda"
)

// main without the tag cuda says what is missing (the status of no GPU).
func main() {
	fmt.Fprintln(os.Stderr, "gpu benchmark:", cuda.ErrNotBuilt)
	os.Exit(3)
}
