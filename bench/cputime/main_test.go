package main

import (
	"bytes"
	"strings"
	"testing"
)

// The smoke run: every row is printed (its numbers mean nothing).
func TestSmoke(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, true, 1); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "cpu_"); n != 7 {
		t.Fatalf("%d rows, want 7 (update and 3 modes × 2 policies):\n%s", n, out.String())
	}
}
