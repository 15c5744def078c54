package mfpo

import (
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mfpo/mfpo/gocore/blas"
	"github.com/mfpo/mfpo/gocore/policy"
)

// sgemmRate2 measures the machine's SGEMM rate with two goroutines, one
// per core, each multiplying 1024×256 by 256×256 repeatedly: the median
// over 7 repeats of 100 ms of the combined GFLOP/s (with -short, the smoke
// run of `make bench-smoke`: one repeat of 10 ms).
func sgemmRate2() float64 {
	reps, span := 7, 100*time.Millisecond
	if testing.Short() {
		reps, span = 1, 10*time.Millisecond
	}
	const m, n, k = 1024, 256, 256
	bufs := func() ([]float32, []float32, []float32) {
		r := rand.New(rand.NewPCG(1, 2))
		f := func(s int) []float32 {
			x := make([]float32, s)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			return x
		}
		return f(m * k), f(k * n), f(m * n)
	}
	var rates []float64
	for rep := 0; rep < reps; rep++ {
		var wg sync.WaitGroup
		counts := make([]int, 2)
		start := time.Now()
		for g := 0; g < 2; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				a, b, c := bufs()
				for counts[g] == 0 || time.Since(start) < span {
					blas.Gemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
					counts[g]++
				}
			}(g)
		}
		wg.Wait()
		rates = append(rates, float64(counts[0]+counts[1])*2*m*n*k/time.Since(start).Seconds()/1e9)
	}
	sort.Float64s(rates)
	return rates[len(rates)/2]
}

func benchUpdate(b *testing.B, cfg Config, obsDim, actDim int) {
	a, err := New(cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim})
	if err != nil {
		b.Fatal(err)
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
		a.Store(obs, act, float32(rng.NormFloat64()), next, false)
	}
	if _, err := a.Update(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.Update(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	sec := b.Elapsed().Seconds() / float64(b.N)
	f := UpdateFLOPs(cfg, obsDim, actDim)
	peak := sgemmRate2()
	b.ReportMetric(1/sec, "updates/s")
	b.ReportMetric(f/1e9, "GFLOP/update")
	b.ReportMetric(f/sec/1e9, "GFLOP/s")
	b.ReportMetric(peak, "sgemm2_GFLOP/s")
	b.ReportMetric(f/sec/1e9/peak, "frac_sgemm2")
}

// One full update at the paper's defaults, HalfCheetah sizes, 2 shards.
func BenchmarkUpdatePaper(b *testing.B) { benchUpdate(b, DefaultConfig(), 17, 6) }

// The small preset of the learning tests.
func BenchmarkUpdateSmall(b *testing.B) { benchUpdate(b, SmallConfig(), 17, 6) }

// Single-observation acting at the paper's defaults, HalfCheetah sizes.
func BenchmarkAct(b *testing.B) {
	a, err := New(DefaultConfig(), policy.Spaces{ObsDim: 17, ActDim: 6})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	obs := make([]float32, 17)
	for i := range obs {
		obs[i] = float32(i) / 17
	}
	dst := make([]float32, 6)
	for _, mode := range []policy.Mode{policy.Sample, policy.Deterministic, policy.BestOfN} {
		b.Run(mode.String(), func(b *testing.B) {
			a.Act(dst, obs, 1, mode, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a.Act(dst, obs, 1, mode, uint64(i))
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e3, "µs/action")
		})
	}
}
