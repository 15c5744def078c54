// Command pendulum trains an MFPO agent (the SmallConfig preset) on
// Pendulum-v1's dynamics, written in Go (gocore/envs), and prints the
// learning curve and the final evaluation: the main job of `make demo`.
//
//	go run -tags openblas ./examples/pendulum [-steps 15000] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/envs"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

func main() {
	steps := flag.Int("steps", 15_000, "environment steps")
	seed := flag.Uint64("seed", 1, "random seed")
	shards := flag.Int("shards", 2, "batch slices computed in parallel")
	flag.Parse()
	if err := run(*steps, *seed, *shards); err != nil {
		fmt.Fprintln(os.Stderr, "pendulum:", err)
		os.Exit(1)
	}
}

func run(steps int, seed uint64, shards int) error {
	cfg := mfpo.SmallConfig()
	cfg.Seed, cfg.Shards = seed, shards
	a, err := mfpo.New(cfg, policy.Spaces{ObsDim: 3, ActDim: 1})
	if err != nil {
		return err
	}
	defer a.Close()
	env := envs.NewPendulum()
	fmt.Printf("mfpo %s\n", buildinfo.JSON())
	fmt.Printf("MFPO (small preset: %v networks, batch %d, K1 %d, K2 %d) on Pendulum, %d steps\n",
		cfg.Hidden, cfg.BatchSize, cfg.PolicySamples, cfg.PosteriorSamples, steps)
	start := time.Now()
	var recent []float64
	err = mfpo.Train(a, env, steps, rand.New(rand.NewPCG(seed, 1)), func(e mfpo.Episode) bool {
		recent = append(recent, e.Return)
		if e.Index%5 == 0 {
			var m float64
			for _, r := range recent {
				m += r
			}
			m /= float64(len(recent))
			recent = recent[:0]
			fmt.Printf("step %6d  episodes %3d  mean return %8.1f  updates %6d (%.0f/s)  α %.4f  entropy %6.2f  ESS %4.1f/%4.1f\n",
				e.Step, e.Index, m, e.Updates, float64(e.Updates)/time.Since(start).Seconds(),
				e.Stats.Alpha, e.Stats.Entropy, e.Stats.ESSPolicy, e.Stats.ESSPosterior)
		}
		return true
	})
	if err != nil {
		return err
	}
	ret, err := mfpo.Evaluate(a, env, 10, policy.BestOfN, seed, rand.New(rand.NewPCG(seed, 2)))
	if err != nil {
		return err
	}
	fmt.Printf("evaluation (best-of-%d, 10 episodes): mean return %.1f (a random policy scores about −1200; solved is above −200)\n",
		cfg.EvalCandidates, ret)
	fmt.Printf("trained in %s\n", time.Since(start).Round(time.Second))
	return nil
}
