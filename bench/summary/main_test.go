package main

import (
	"strings"
	"testing"
)

func TestSummarizeTakesMedians(t *testing.T) {
	in := `goos: linux
BenchmarkA-2   10   3000000 ns/op   5.0 GFLOP/s   0 allocs/op
BenchmarkA-2   10   1000000 ns/op   9.0 GFLOP/s   0 allocs/op
BenchmarkA-2   10   2000000 ns/op   7.0 GFLOP/s   0 allocs/op
BenchmarkB-2   99   1500 ns/op   1.5 µs/action   2 allocs/op
PASS`
	var out strings.Builder
	if err := summarize(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"| A | 3 | 2.00 ms | – | 7.0 |", "| B | 1 | 1.5 µs | 1.5 |", "| 2 |"} {
		if strings.Contains(s, "updates/s") {
			t.Fatal("a column no benchmark reports is shown")
		}
		if !strings.Contains(s, want) {
			t.Fatalf("summary lacks %q:\n%s", want, s)
		}
	}
	if err := summarize(strings.NewReader("PASS\n"), &out); err == nil {
		t.Fatal("no error for input without benchmarks")
	}
}
