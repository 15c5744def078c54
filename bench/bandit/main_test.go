package main

import (
	"io"
	"strings"
	"testing"
)

// The smoke run: every setting once at toy sizes, and a report with a row
// per setting and per probed time.
func TestSmoke(t *testing.T) {
	var out strings.Builder
	o := smoke()
	if err := study(&out, o, io.Discard); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"| ess | -0.5 |", "| balance | +0 |", "| balance | +0.25 | 0.99 |", "| ess | -0.5 | 1 |"} {
		if !strings.Contains(s, want) {
			t.Fatalf("the report lacks %q:\n%s", want, s)
		}
	}
}
