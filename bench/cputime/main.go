// Command cputime times one Update and single-observation acting at the
// paper's defaults (HalfCheetah sizes: obs 17, act 6) in wall time and in
// the process's CPU time (getrusage, all threads), the second not counting
// the time other processes hold the cores: on a shared machine it is the
// steadier measure of the work done. It uses only the public API of
// gocore/mfpo and gocore/policy, so the same file builds at older
// commits for a before/after comparison (bench/RESULTS.md, "§8 savings").
//
//	go run -tags openblas ./bench/cputime            # update and act
//	go run -tags openblas ./bench/cputime -smoke     # seconds; the test runs it
//
// Each figure is the median over -rounds rounds; a row is
// "what mode wall_µs cpu_µs" per call (Update in ms).
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

func main() {
	smoke := flag.Bool("smoke", false, "the small preset and a few calls (numbers mean nothing)")
	rounds := flag.Int("rounds", 5, "rounds per figure (the median is reported)")
	flag.Parse()
	if err := run(os.Stdout, *smoke, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "cputime:", err)
		os.Exit(1)
	}
}

// cpuTime is the process's user + system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(x []float64) float64 {
	sort.Float64s(x)
	return x[len(x)/2]
}

// timed returns the median wall and CPU time per call of f (in units of
// unit) over rounds rounds of n calls.
func timed(rounds, n int, unit time.Duration, f func(i int) error) (wall, cpu float64, err error) {
	var w, c []float64
	for r := 0; r < rounds; r++ {
		t0, c0 := time.Now(), cpuTime()
		for i := 0; i < n; i++ {
			if err := f(i); err != nil {
				return 0, 0, err
			}
		}
		w = append(w, float64(time.Since(t0))/float64(n)/float64(unit))
		c = append(c, float64(cpuTime()-c0)/float64(n)/float64(unit))
	}
	return median(w), median(c), nil
}

func run(out io.Writer, smoke bool, rounds int) error {
	cfg, updates, acts := mfpo.DefaultConfig(), 4, 4000
	if smoke {
		cfg, updates, acts, rounds = mfpo.SmallConfig(), 1, 10, 1
	}
	const obsDim, actDim = 17, 6
	a, err := mfpo.New(cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim})
	if err != nil {
		return err
	}
	defer a.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	obs, act, next := make([]float32, obsDim), make([]float32, actDim), make([]float32, obsDim)
	for i := 0; i < 4*cfg.BatchSize; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*rng.Float64() - 1)
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, false); err != nil {
			return err
		}
	}
	update := func(int) error { _, err := a.Update(); return err }
	if err := update(0); err != nil {
		return err
	}
	w, c, err := timed(rounds, updates, time.Millisecond, update)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "update - wall_ms %.2f cpu_ms %.2f\n", w, c)

	copied, err := a.CopyPolicy()
	if err != nil {
		return err
	}
	dst := make([]float32, actDim)
	for _, mode := range []policy.Mode{policy.Sample, policy.Deterministic, policy.BestOfN} {
		for _, p := range []struct {
			name string
			p    *policy.Policy
		}{{"copied", copied}, {"agent", a.ActingPolicy()}} {
			n := acts
			if mode == policy.BestOfN {
				n = max(1, acts/10)
			}
			act := func(i int) error { return p.p.Act(dst, obs, 1, mode, uint64(i)) }
			if err := act(0); err != nil {
				return err
			}
			w, c, err := timed(rounds, n, time.Microsecond, act)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "act/%s/%s - wall_us %.2f cpu_us %.2f\n", mode, p.name, w, c)
		}
	}
	return nil
}
