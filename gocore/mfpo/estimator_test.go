package mfpo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A quadratic Q makes the improved policy a Gaussian Boltzmann target:
// exp(Q(a_0)/α) ∝ N(a_0; m, s²I) with Q(a_0) = −α‖a_0 − m‖²/(2s²). With
// a_t = (1−t)a_0 + tε its marginal velocity is known in closed form:
// E[a_0|a_t] = m + s²(1−t)/((1−t)²s² + t²)·(a_t − (1−t)m) and
// v*(a_t, t) = (a_t − E[a_0|a_t])/t. The box [−1, 1]² is wide enough
// (m ± 5s inside) for the truncation not to matter.
var (
	gm    = []float64{0.2, -0.1}
	gs    = 0.15
	alpha = 0.01
)

func quadQ(a []float32) float32 {
	var sq float64
	for j, v := range a {
		r := float64(v) - gm[j]
		sq += r * r
	}
	return float32(-alpha * sq / (2 * gs * gs))
}

func exactVelocity(at []float32, t float64) []float64 {
	v := make([]float64, len(at))
	k := gs * gs * (1 - t) / ((1-t)*(1-t)*gs*gs + t*t)
	for j, a := range at {
		mean := gm[j] + k*(float64(a)-(1-t)*gm[j])
		v[j] = (float64(a) - mean) / t
	}
	return v
}

// estimate runs snisVelocity with k policy samples drawn from the target
// itself (with their exact log-likelihoods) and k posterior samples.
func estimate(rng *rand.Rand, at []float32, t float64, k int) (v []float32, ess1, ess2 float64) {
	d := len(at)
	cand := make([]float32, 2*k*d)
	logp := make([]float32, k)
	for i := 0; i < k; i++ {
		var lp float64
		for j := 0; j < d; j++ {
			z := rng.NormFloat64()
			cand[i*d+j] = float32(gm[j] + gs*z)
			lp += -0.5*z*z - math.Log(gs) - 0.5*math.Log(2*math.Pi)
		}
		logp[i] = float32(lp)
	}
	samplePosterior(rng, cand[k*d:], at, t)
	q := make([]float32, 2*k)
	for i := range q {
		q[i] = quadQ(cand[i*d : (i+1)*d])
	}
	v = make([]float32, d)
	ess1, ess2 = snisVelocity(v, at, t, cand, q, logp, k, k, alpha, make([]float64, 2*k))
	return v, ess1, ess2
}

func TestImportanceSampledVelocityConverges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tt := range []float64{0.05, 0.3, 0.6, 0.9} {
		// a_t from the marginal of the target.
		at := make([]float32, 2)
		for j := range at {
			at[j] = float32((1-tt)*(gm[j]+gs*rng.NormFloat64()) + tt*rng.NormFloat64())
		}
		want := exactVelocity(at, tt)
		scale := math.Hypot(want[0], want[1]) + 1
		var errs []float64
		for _, k := range []int{8, 64, 512, 4096} {
			// Mean error over repetitions: SNIS has O(1/K) bias and
			// O(1/√K) noise.
			var e float64
			const reps = 20
			for r := 0; r < reps; r++ {
				v, _, _ := estimate(rng, at, tt, k)
				e += math.Hypot(float64(v[0])-want[0], float64(v[1])-want[1]) / scale / reps
			}
			errs = append(errs, e)
		}
		t.Logf("t = %.2f: relative error for K = 8, 64, 512, 4096: %.4f", tt, errs)
		// The error must fall like the Monte Carlo rate, about √8 for each
		// 8× more samples (allow half of it), to a small value.
		for i := 1; i < len(errs); i++ {
			if errs[i] > errs[i-1]/1.4 {
				t.Fatalf("t = %.2f: the error does not fall with K: %v", tt, errs)
			}
		}
		if errs[3] > 0.03 {
			t.Fatalf("t = %.2f: the estimate does not converge: errors %v", tt, errs)
		}
	}
}

func TestESSMixFollowsTheBetterProposal(t *testing.T) {
	// Near t = 1 the posterior proposal is nearly uniform on the box and
	// its weights exp(Q/α) are peaked, while the policy (here the target
	// itself) has near-equal weights: λ → 1. Near t = 0 the likelihood term
	// makes the policy's weights degenerate while the posterior proposal
	// sits where it matters: λ → 0.
	rng := rand.New(rand.NewPCG(5, 6))
	lambda := func(tt float64) float64 {
		var sum float64
		const reps = 50
		for r := 0; r < reps; r++ {
			at := make([]float32, 2)
			for j := range at {
				at[j] = float32((1-tt)*(gm[j]+gs*rng.NormFloat64()) + tt*rng.NormFloat64())
			}
			_, e1, e2 := estimate(rng, at, tt, 16)
			sum += e1 / (e1 + e2 + 1e-10) / reps
		}
		return sum
	}
	l1, l0 := lambda(0.999), lambda(0.001)
	t.Logf("mean λ at t = 0.999: %.3f; at t = 0.001: %.3f", l1, l0)
	if l1 < 0.8 || l0 > 0.2 {
		t.Fatalf("λ(t→1) = %.3f, want near 1; λ(t→0) = %.3f, want near 0", l1, l0)
	}
}

func TestPosteriorProposalStaysInTheBox(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	dst := make([]float32, 64*3)
	for _, tt := range []float64{1e-4, 0.01, 0.5, 0.99, 1 - 1e-4} {
		for _, at := range [][]float32{{0, 0.5, -0.9}, {3, -3, 0.999}} {
			samplePosterior(rng, dst, at, tt)
			for _, v := range dst {
				if !(v >= -1 && v <= 1) {
					t.Fatalf("t = %v, a_t = %v: posterior sample %v outside [−1, 1]", tt, at, v)
				}
			}
		}
	}
}
