package critic

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/par"
)

// Paper sizes (docs/algorithm.md §8, HalfCheetah): obs 17, act 6, 101 atoms,
// 3×256, batch 256; the actor scores 256 states × 48 candidates. Run with
// go test -tags openblas -run '^$' -bench . ./gocore/critic.
//
// GFLOP/s counts the matrix products from the shapes: a forward pass is
// Spec.FLOPs() per row, a backward pass without input gradient twice that
// less the first layer's input-gradient product.

func benchTwin(b *testing.B, shards int) *Twin {
	cfg := DefaultConfig(17, 6)
	pool := par.NewPool(shards)
	b.Cleanup(pool.Close)
	c, err := New(cpu.New[float32](), cfg, rand.New(rand.NewPCG(1, 2)), pool)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

func benchShards(b *testing.B, f func(b *testing.B, shards int)) {
	for _, s := range []int{1, 2} {
		b.Run(fmt.Sprintf("shards=%d", s), func(b *testing.B) { f(b, s) })
	}
}

func BenchmarkStep256(b *testing.B) {
	benchShards(b, func(b *testing.B, shards int) {
		c := benchTwin(b, shards)
		rows := 256
		bt := randBatch(c.Config, rows, 5)
		rho := make([]float32, rows*c.Config.Atoms)
		c.TargetDistribution(rho, bt.nextObs, bt.nextAct, bt.logp, bt.rew, bt.notDone, 0.01, rows)
		if _, err := c.Step(bt.obs, bt.act, rho, rows); err != nil {
			b.Fatal(err)
		}
		spec := c.Online[0].Spec
		in0 := spec.Inputs[0] + spec.Inputs[1]
		flops := 2 * float64(rows) * float64(3*spec.FLOPs()-2*in0*spec.Hidden[0])
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := c.Step(bt.obs, bt.act, rho, rows); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func BenchmarkTargetDistribution256(b *testing.B) {
	benchShards(b, func(b *testing.B, shards int) {
		c := benchTwin(b, shards)
		rows := 256
		bt := randBatch(c.Config, rows, 5)
		rho := make([]float32, rows*c.Config.Atoms)
		c.TargetDistribution(rho, bt.nextObs, bt.nextAct, bt.logp, bt.rew, bt.notDone, 0.01, rows)
		flops := 2 * float64(rows) * float64(c.Target[0].Spec.FLOPs())
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c.TargetDistribution(rho, bt.nextObs, bt.nextAct, bt.logp, bt.rew, bt.notDone, 0.01, rows)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}

func BenchmarkValues12288(b *testing.B) {
	benchShards(b, func(b *testing.B, shards int) {
		c := benchTwin(b, shards)
		const states, repeat = 256, 48
		rows := states * repeat
		bt := randBatch(c.Config, rows, 6)
		dst := make([]float32, rows)
		c.Values(dst, bt.obs, repeat, bt.act, rows)
		flops := 2 * float64(rows) * float64(c.Online[0].Spec.FLOPs())
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			c.Values(dst, bt.obs, repeat, bt.act, rows)
		}
		b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
