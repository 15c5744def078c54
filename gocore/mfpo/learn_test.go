package mfpo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/envs"
	"github.com/mfpo/mfpo/gocore/policy"
)

// End-to-end learning on the Go tasks of gocore/envs, with presets small
// enough for CI.

func TestLearnPendulum(t *testing.T) {
	skipShort(t)
	cfg := SmallConfig()
	cfg.Seed = 1
	a := newTiny(t, cfg, 3, 1)
	env := envs.NewPendulum()
	rng := rand.New(rand.NewPCG(1, 2))
	const steps = 12_000
	err := Train(a, env, steps, rng, func(e Episode) bool {
		if e.Index%10 == 0 {
			t.Logf("step %6d  episode %3d  return %8.1f  α %.4f  H %.2f  ESS %.1f/%.1f  Q %.1f",
				e.Step, e.Index, e.Return, e.Stats.Alpha, e.Stats.Entropy, e.Stats.ESSPolicy, e.Stats.ESSPosterior, e.Stats.MeanQ)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	ret, err := Evaluate(a, env, 10, policy.BestOfN, 3, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Pendulum after %d steps: mean return over 10 evaluation episodes %.1f (random ≈ −1200)", steps, ret)
	if ret < -400 {
		t.Fatalf("Pendulum mean return %.1f, want ≥ −400", ret)
	}
}

func TestLearnTwoOptimaBandit(t *testing.T) {
	skipShort(t)
	// One-step task, reward max of two Gaussian bumps at ±0.6. The soft-
	// optimal policy ∝ exp(Q/α) is bimodal; a Gaussian policy cannot be.
	// With rewards of order 1 the paper's α = 0.01 is nearly greedy and the
	// policy settles on one optimum (the ESS mix then trusts the collapsed
	// policy proposal near t = 1), so this test asks for more entropy:
	// H̄ = +0.25 per dimension, α from 0.1 with a faster temperature.
	cfg := SmallConfig()
	cfg.VMin, cfg.VMax = -2, 2
	cfg.LearningStarts = 1000
	cfg.TargetEntropyPerDim = 0.25
	cfg.InitAlpha, cfg.AlphaLR = 0.1, 3e-3
	cfg.Seed = 4
	env, err := envs.NewTwoOptimaBandit(envs.DefaultTwoOptimaBanditConfig())
	if err != nil {
		t.Fatal(err)
	}
	a := newTiny(t, cfg, 1, 1)
	if err := Train(a, env, 3000, rand.New(rand.NewPCG(4, 6)), nil); err != nil {
		t.Fatal(err)
	}
	obs := []float32{1}
	act := make([]float32, 1)
	var near [2]int
	const n = 2000
	var reward float64
	for i := 0; i < n; i++ {
		a.Act(act, obs, 1, policy.Sample, uint64(i))
		reward += env.Reward(act)
		for k, opt := range env.Optima() {
			if math.Abs(float64(act[0]-opt[0])) < 0.25 {
				near[k]++
			}
		}
	}
	f0, f1 := float64(near[0])/n, float64(near[1])/n
	t.Logf("policy mass within 0.25 of +0.6: %.2f, of −0.6: %.2f; mean reward %.3f; α %.4f", f0, f1, reward/n, a.Alpha())
	if f0 < 0.15 || f1 < 0.15 || f0+f1 < 0.6 {
		t.Fatalf("mass near the optima %.2f and %.2f: want both ≥ 0.15 and together ≥ 0.6", f0, f1)
	}
}
