// Command summary reads `go test -bench` output on standard input (several
// -count runs of the same benchmarks) and prints a Markdown table of the
// median of each metric per benchmark.
//
//	go test -run '^$' -bench . -count 5 ./gocore/nn | go run ./bench/summary
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// columns lists the metrics shown, in order, with their headings.
var columns = []struct{ unit, heading string }{
	{"ns/op", "median time"},
	{"µs/action", "µs/action"},
	{"µs/median", "µs per call, median"},
	{"updates/s", "updates/s"},
	{"GFLOP/update", "GFLOP/update"},
	{"GFLOP/s", "GFLOP/s"},
	{"sgemm_GFLOP/s", "SGEMM GFLOP/s (same shapes, same run)"},
	{"frac_sgemm", "fraction of SGEMM"},
	{"sgemm2_GFLOP/s", "2-core SGEMM GFLOP/s (same run)"},
	{"frac_sgemm2", "fraction of 2-core SGEMM"},
	{"MB/file", "MB/file"},
	{"MB/s", "MB/s"},
	{"allocs/op", "allocs/op"},
}

func main() {
	if err := summarize(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "summary:", err)
		os.Exit(1)
	}
}

func summarize(r io.Reader, w io.Writer) error {
	values := map[string]map[string][]float64{}
	var order []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		if values[name] == nil {
			values[name] = map[string][]float64{}
			order = append(order, name)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return fmt.Errorf("%q: %v", sc.Text(), err)
			}
			values[name][f[i+1]] = append(values[name][f[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(order) == 0 {
		return fmt.Errorf("no benchmark results in the input")
	}
	// Only the columns some benchmark reports.
	var shown []int
	for i, c := range columns {
		for _, name := range order {
			if len(values[name][c.unit]) > 0 {
				shown = append(shown, i)
				break
			}
		}
	}
	fmt.Fprint(w, "| benchmark | runs |")
	for _, i := range shown {
		fmt.Fprintf(w, " %s |", columns[i].heading)
	}
	fmt.Fprint(w, "\n|---|---|")
	for range shown {
		fmt.Fprint(w, "---|")
	}
	fmt.Fprintln(w)
	for _, name := range order {
		fmt.Fprintf(w, "| %s | %d |", name, len(values[name]["ns/op"]))
		for _, i := range shown {
			c := columns[i]
			vs := values[name][c.unit]
			if len(vs) == 0 {
				fmt.Fprint(w, " – |")
				continue
			}
			fmt.Fprintf(w, " %s |", format(c.unit, median(vs)))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func format(unit string, v float64) string {
	switch unit {
	case "ns/op":
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2f ms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.1f µs", v/1e3)
		}
		return fmt.Sprintf("%.0f ns", v)
	case "frac_sgemm", "frac_sgemm2", "GFLOP/update":
		return fmt.Sprintf("%.2f", v)
	case "allocs/op":
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
