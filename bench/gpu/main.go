//go:build cuda

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/mfpo/mfpo/gocore/backend/cuda"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// result is one line of the JSON report.
type result struct {
	Name   string  `json:"name"`
	Median float64 `json:"median_ms,omitempty"`
	Rate   float64 `json:"rate,omitempty"`
	Unit   string  `json:"unit,omitempty"`
	Note   string  `json:"note,omitempty"`
}

var (
	smoke = flag.Bool("smoke", false, "a few repeats of each measurement (the tests' smoke run)")
	jsonF = flag.String("json", "", "also write the results as JSON lines to this file")
	out   []result
)

func report(r result) {
	out = append(out, r)
	switch {
	case r.Note != "" && r.Rate == 0:
		fmt.Printf("%-40s %s\n", r.Name, r.Note)
	default:
		fmt.Printf("%-40s %10.4f ms  %10.3f %s %s\n", r.Name, r.Median, r.Rate, r.Unit, r.Note)
	}
}

// median times f (which issues work and syncs) over reps runs.
func median(reps int, f func()) float64 {
	f() // warm up: JIT, page migration, cuBLAS heuristics
	ts := make([]float64, reps)
	for i := range ts {
		start := time.Now()
		f()
		ts[i] = time.Since(start).Seconds()
	}
	sort.Float64s(ts)
	return ts[reps/2]
}

func main() {
	flag.Parse()
	reps, inner := 21, 50
	if *smoke {
		reps, inner = 3, 2
	}
	g, err := cuda.Open(cuda.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gpu benchmark:", err)
		os.Exit(3)
	}
	defer g.Close()
	fmt.Println("device:", g.Name())
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(x []float32) []float32 {
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}

	// SGEMM on the update's dominant shape: the rollouts' hidden layers,
	// B·K1 = 4096 rows through 256×256 weights.
	sgemm := 0.0
	for _, tf32 := range []bool{false, true} {
		b := g
		if tf32 {
			if b, err = cuda.Open(cuda.Options{TF32: true}); err != nil {
				report(result{Name: "SGEMM TF32", Note: err.Error()})
				continue
			}
			defer b.Close()
		}
		const m, n, k = 4096, 256, 256
		a, w, c := fill(b.Alloc(m*k)), fill(b.Alloc(k*n)), b.Alloc(m*n)
		sec := median(reps, func() {
			for range inner {
				b.Gemm(false, false, m, n, k, 1, a, k, w, n, 0, c, n)
			}
			b.Sync()
		}) / float64(inner)
		rate := 2 * m * n * k / sec / 1e12
		name := "SGEMM 4096×256·256×256"
		if tf32 {
			name += " TF32"
		} else {
			sgemm = rate
		}
		report(result{Name: name, Median: sec * 1e3, Rate: rate, Unit: "TFLOP/s"})
	}

	// The fused layer kernel on the same rows.
	{
		const rows, w = 4096, 256
		x, h, gp, xh, rs := fill(g.Alloc(rows*w)), g.Alloc(rows*w), g.Alloc(rows*w), g.Alloc(rows*w), g.Alloc(rows)
		bias, gamma, beta := fill(g.Alloc(w)), fill(g.Alloc(w)), fill(g.Alloc(w))
		sec := median(reps, func() {
			for range inner {
				g.LNGELU(h, gp, xh, rs, x, bias, gamma, beta, rows, w)
			}
			g.Sync()
		}) / float64(inner)
		report(result{Name: "LNGELU 4096×256", Median: sec * 1e3, Rate: 4 * rows * w * 4 / sec / 1e9, Unit: "GB/s"})
	}

	// The paper-default update on the CUDA backend.
	update(g, reps, sgemm)

	if *jsonF != "" {
		f, err := os.Create(*jsonF)
		if err == nil {
			enc := json.NewEncoder(f)
			for _, r := range out {
				_ = enc.Encode(r)
			}
			err = f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gpu benchmark:", err)
			os.Exit(1)
		}
	}
}

// update times Agent.Update at the paper's defaults on HalfCheetah's sizes
// (17, 6), one shard (the device serialises the work), and reports it
// against the SGEMM rate; an update that cannot run on the device (an
// operand in host memory) is reported, not hidden.
func update(g *cuda.CUDA, reps int, sgemm float64) {
	defer func() {
		if r := recover(); r != nil {
			report(result{Name: "update (paper defaults)", Note: fmt.Sprintf("not runnable on CUDA: %v", r)})
		}
	}()
	cfg := mfpo.DefaultConfig()
	cfg.Shards = 1
	const obsDim, actDim = 17, 6
	a, err := mfpo.NewOn(g, cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim}, 0)
	if err != nil {
		report(result{Name: "update (paper defaults)", Note: err.Error()})
		return
	}
	defer a.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	obs, act, next := make([]float32, obsDim), make([]float32, actDim), make([]float32, obsDim)
	for range 4 * cfg.BatchSize {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*rng.Float64() - 1)
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, false); err != nil {
			report(result{Name: "update (paper defaults)", Note: err.Error()})
			return
		}
	}
	sec := median(reps, func() {
		if _, err := a.Update(); err != nil {
			panic(err)
		}
		g.Sync()
	})
	f := mfpo.UpdateFLOPs(cfg, obsDim, actDim)
	tf := f / sec / 1e12
	report(result{Name: "update (paper defaults)", Median: sec * 1e3, Rate: 1 / sec, Unit: "updates/s",
		Note: fmt.Sprintf("%.3f TFLOP/s, %.1f%% of SGEMM", tf, 100*tf/sgemm)})
}
