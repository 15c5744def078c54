package mfpo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"gonum.org/v1/gonum/integrate/quad"
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

// posteriorMean is E[a_0 | a_t] for a_0 ~ N(m, s²I), a_t = (1−t)a_0 + tε.
func posteriorMean(at []float32, t float64, m []float64, s float64) []float64 {
	e := make([]float64, len(at))
	k := s * s * (1 - t) / ((1-t)*(1-t)*s*s + t*t)
	for j, a := range at {
		e[j] = m[j] + k*(float64(a)-(1-t)*m[j])
	}
	return e
}

func exactVelocity(at []float32, t float64) []float64 {
	v := posteriorMean(at, t, gm, gs)
	for j, a := range at {
		v[j] = (float64(a) - v[j]) / t
	}
	return v
}

// gaussLogPdf is log N(a; m, s²I).
func gaussLogPdf(a []float32, m []float64, s float64) float64 {
	var lp float64
	for j, v := range a {
		z := (float64(v) - m[j]) / s
		lp += -0.5*z*z - math.Log(s) - 0.5*math.Log(2*math.Pi)
	}
	return lp
}

// estimators are the ways snisVelocity is run in these tests: the two
// mixes, and the balance heuristic with the exact policy density in place
// of its surrogate (what BalanceMix would be if the ADN could evaluate
// log π anywhere).
type estimator int

const (
	essMix estimator = iota
	balanceKDE
	balanceExact
)

var estimatorNames = [...]string{"ESS mix", "balance (KDE q̂1)", "balance (exact q1)"}

func (e estimator) String() string { return estimatorNames[e] }

// proposalCase is a target (its Q) and a Gaussian policy proposal
// N(pm, ps²I) with exact log-likelihoods.
type proposalCase struct {
	q  func([]float32) float32
	pm []float64
	ps float64
}

// run draws k1 policy and k2 posterior candidates and runs the estimator.
func (c proposalCase) run(rng *rand.Rand, e estimator, at []float32, t float64, k1, k2 int) (v []float32, ess1, ess2 float64) {
	d := len(at)
	cand := make([]float32, (k1+k2)*d)
	logp := make([]float32, k1)
	for i := 0; i < k1; i++ {
		row := cand[i*d : (i+1)*d]
		for j := range row {
			row[j] = float32(c.pm[j] + c.ps*rng.NormFloat64())
		}
		logp[i] = float32(gaussLogPdf(row, c.pm, c.ps))
	}
	samplePosterior(rng, cand[k1*d:], at, t)
	q := make([]float32, k1+k2)
	for i := range q {
		q[i] = c.q(cand[i*d : (i+1)*d])
	}
	v = make([]float32, d)
	w := make([]float64, velocityScratch(k1, k2, d))
	switch e {
	case essMix:
		ess1, ess2 = snisVelocity(v, at, t, cand, q, logp, k1, k2, alpha, ESSMix, w)
	case balanceKDE:
		ess1, ess2 = snisVelocity(v, at, t, cand, q, logp, k1, k2, alpha, BalanceMix, w)
	case balanceExact:
		for i := 0; i < k1+k2; i++ {
			w[i] = gaussLogPdf(cand[i*d:(i+1)*d], c.pm, c.ps)
		}
		ess1, ess2 = cpu.BalanceWeighted(v, at, t, cand, q, logp, k1, k2, alpha, w[:k1+k2])
	}
	return v, ess1, ess2
}

// gaussianCase is the quadratic Q with the target itself as the policy.
var gaussianCase = proposalCase{q: quadQ, pm: gm, ps: gs}

// estimate runs the ESS mix with k policy samples drawn from the target
// itself (with their exact log-likelihoods) and k posterior samples.
func estimate(rng *rand.Rand, at []float32, t float64, k int) (v []float32, ess1, ess2 float64) {
	return gaussianCase.run(rng, essMix, at, t, k, k)
}

// marginalAt draws a_t from the marginal of the Gaussian target at t.
func marginalAt(rng *rand.Rand, t float64) []float32 {
	at := make([]float32, 2)
	for j := range at {
		at[j] = float32((1-t)*(gm[j]+gs*rng.NormFloat64()) + t*rng.NormFloat64())
	}
	return at
}

// The velocity estimate converges to the analytic one for every
// estimator: the error falls at the Monte Carlo rate to a small value.
func TestImportanceSampledVelocityConverges(t *testing.T) {
	for _, e := range []estimator{essMix, balanceKDE, balanceExact} {
		rng := rand.New(rand.NewPCG(3, 4))
		// The surrogate costs K·K1 kernels per state: three sizes suffice.
		ks, final := []int{8, 64, 512, 4096}, 0.03
		if e == balanceKDE {
			ks, final = ks[:3], 0.05
		}
		for _, tt := range []float64{0.05, 0.3, 0.6, 0.9} {
			at := marginalAt(rng, tt)
			want := exactVelocity(at, tt)
			scale := math.Hypot(want[0], want[1]) + 1
			var errs []float64
			for _, k := range ks {
				// Mean error over repetitions: SNIS has O(1/K) bias and
				// O(1/√K) noise.
				var er float64
				const reps = 20
				for r := 0; r < reps; r++ {
					v, _, _ := gaussianCase.run(rng, e, at, tt, k, k)
					er += math.Hypot(float64(v[0])-want[0], float64(v[1])-want[1]) / scale / reps
				}
				errs = append(errs, er)
			}
			t.Logf("%s, t = %.2f: relative error for K = %v: %.4f", e, tt, ks, errs)
			// The error must fall like the Monte Carlo rate, about √8 for
			// each 8× more samples (allow half of it), to a small value.
			for i := 1; i < len(errs); i++ {
				if errs[i] > errs[i-1]/1.4 {
					t.Fatalf("%s, t = %.2f: the error does not fall with K: %v", e, tt, errs)
				}
			}
			if errs[len(errs)-1] > final {
				t.Fatalf("%s, t = %.2f: the estimate does not converge: errors %v", e, tt, errs)
			}
		}
	}
}

// At the agent's sizes (K1 = 16, K2 = 32) the bias of every estimator,
// the mean of v̂ − v* over many draws for one a_t, is small, beyond 4
// standard errors: at most 2.5% of |v*| + 1 for the balance heuristic,
// 10% for the ESS mix, whose λ comes from the same weights as the two
// estimates it mixes (measured: up to 7% at t = 0.05 for an a_t away from
// the mode, where the balance heuristic's is below 2%).
func TestFiniteKBiasIsSmall(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	const reps = 2000
	limit := [...]float64{essMix: 0.1, balanceKDE: 0.025, balanceExact: 0.025}
	for _, tt := range []float64{0.05, 0.3, 0.6, 0.9, 0.99} {
		for range 3 {
			at := marginalAt(rng, tt)
			want := exactVelocity(at, tt)
			scale := math.Hypot(want[0], want[1]) + 1
			for _, e := range []estimator{essMix, balanceKDE, balanceExact} {
				var sum, sq [2]float64
				for r := 0; r < reps; r++ {
					v, _, _ := gaussianCase.run(rng, e, at, tt, 16, 32)
					for j := range sum {
						d := float64(v[j]) - want[j]
						sum[j] += d
						sq[j] += d * d
					}
				}
				var bias, se float64
				for j := range sum {
					m := sum[j] / reps
					bias += m * m
					se += (sq[j]/reps - m*m) / reps
				}
				bias, se = math.Sqrt(bias)/scale, math.Sqrt(se)/scale
				t.Logf("t = %.2f, a_t = %.3f: %s: bias %.4f (standard error %.4f) of |v*| + 1", tt, at, e, bias, se)
				if bias > limit[e]+4*se {
					t.Errorf("t = %.2f, a_t = %v: %s: bias %.4f ± %.4f of |v*| + 1", tt, at, e, bias, se)
				}
			}
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
			at := marginalAt(rng, tt)
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

// A bimodal Boltzmann target, exp(Q/α) ∝ ½N(a; +m, s²I) + ½N(a; −m, s²I),
// and a policy proposal collapsed onto the first mode, N(+m, s²I) (its
// exact log-likelihoods), near t = 1. Each mode's posterior is Gaussian
// (posteriorMean), and the modes' posterior probabilities are ∝ the
// marginal densities N(a_t; (1−t)c, ((1−t)²s² + t²)I), so E[a_0 | a_t] =
// f·μ₊ + (1 − f)·μ₋ is exact. The estimators' Σ w̃ a_0 = a_t − t·v̂ gives
// their implied mass f̂ on the first mode: the ESS mix trusts the
// collapsed proposal (its weights are nearly equal, λ ≈ 1) and returns
// f̂ near 1 at the paper's ratio K2 = 2·K1 whatever K (λ does not fall
// as both grow); the balance heuristic returns the target's f once the
// posterior proposal, nearly uniform on the box at t ≈ 1, puts a few
// candidates into the other mode: at K = 16 + 32 in one dimension, not
// yet in two (the mode covers about 1% of the box there), at 256 + 512
// in two.
func TestBalanceMixSeesBothModes(t *testing.T) {
	const m, s = 0.5, 0.08
	for _, c := range []struct {
		d, k1, k2 int
		check     bool // whether the balance heuristic must be within 0.1
	}{{1, 16, 32, true}, {2, 16, 32, false}, {2, 256, 512, true}} {
		plus, minus := make([]float64, c.d), make([]float64, c.d)
		for j := range plus {
			plus[j], minus[j] = m, -m
		}
		qBimodal := func(a []float32) float32 {
			lp, lm := gaussLogPdf(a, plus, s), gaussLogPdf(a, minus, s)
			top := max(lp, lm)
			return float32(alpha * (top + math.Log(0.5*math.Exp(lp-top)+0.5*math.Exp(lm-top))))
		}
		pc := proposalCase{q: qBimodal, pm: plus, ps: s}
		rng := rand.New(rand.NewPCG(31, uint64(c.d*1000+c.k1)))
		for _, tt := range []float64{0.95, 0.99} {
			var fHat [3]float64
			var fTrue, lambda float64
			reps := 400
			if c.k1 > 16 {
				reps = 120 // the surrogate costs K·K1 kernels per state
			}
			for r := 0; r < reps; r++ {
				// a_t from the target's marginal at t, half from each mode.
				at := make([]float32, c.d)
				sign := float64(1 - 2*(r%2))
				for j := range at {
					at[j] = float32((1-tt)*(sign*m+s*rng.NormFloat64()) + tt*rng.NormFloat64())
				}
				mp, mm := posteriorMean(at, tt, plus, s), posteriorMean(at, tt, minus, s)
				sd := math.Sqrt((1-tt)*(1-tt)*s*s + tt*tt)
				var lp, lm float64
				for _, a := range at {
					lp += -0.5 * math.Pow((float64(a)-(1-tt)*m)/sd, 2)
					lm += -0.5 * math.Pow((float64(a)+(1-tt)*m)/sd, 2)
				}
				fTrue += 1 / (1 + math.Exp(lm-lp)) / float64(reps)
				for _, e := range []estimator{essMix, balanceKDE, balanceExact} {
					v, e1, e2 := pc.run(rng, e, at, tt, c.k1, c.k2)
					if e == essMix {
						lambda += e1 / (e1 + e2 + 1e-10) / float64(reps)
					}
					// Project Σ w̃ a_0 onto the line through μ₋ and μ₊.
					var num, den float64
					for j, a := range at {
						ea := float64(a) - tt*float64(v[j])
						num += (ea - mm[j]) * (mp[j] - mm[j])
						den += (mp[j] - mm[j]) * (mp[j] - mm[j])
					}
					fHat[e] += num / den / float64(reps)
				}
			}
			t.Logf("d = %d, K = %d + %d, t = %.2f: mass on the policy's mode: target %.3f; ESS mix %.3f (mean λ %.2f); balance with q̂1 %.3f, with exact q1 %.3f",
				c.d, c.k1, c.k2, tt, fTrue, fHat[essMix], lambda, fHat[balanceKDE], fHat[balanceExact])
			if fHat[essMix] < 0.75 {
				t.Errorf("d = %d, K = %d + %d, t = %.2f: the ESS mix gave mass %.3f to the policy's mode; this test expects it fooled (≥ 0.75)", c.d, c.k1, c.k2, tt, fHat[essMix])
			}
			for _, e := range []estimator{balanceKDE, balanceExact} {
				if c.check && math.Abs(fHat[e]-fTrue) > 0.1 || fHat[e] > fHat[essMix]-0.1 {
					t.Errorf("d = %d, K = %d + %d, t = %.2f: %s gave mass %.3f to the policy's mode, the target %.3f", c.d, c.k1, c.k2, tt, e, fHat[e], fTrue)
				}
			}
		}
	}
}

// The balance weights sum to 1 and ess1, ess2 split the combined ESS
// 1/Σw̃² by the weight of each proposal's candidates.
func TestBalanceESSSplitsTheCombinedESS(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const k1, k2, d = 16, 32, 2
	for _, tt := range []float64{0.05, 0.5, 0.95} {
		at := marginalAt(rng, tt)
		cand := make([]float32, (k1+k2)*d)
		logp := make([]float32, k1)
		for i := 0; i < k1; i++ {
			for j := 0; j < d; j++ {
				cand[i*d+j] = float32(gm[j] + gs*rng.NormFloat64())
			}
			logp[i] = float32(gaussLogPdf(cand[i*d:(i+1)*d], gm, gs))
		}
		samplePosterior(rng, cand[k1*d:], at, tt)
		q := make([]float32, k1+k2)
		for i := range q {
			q[i] = quadQ(cand[i*d : (i+1)*d])
		}
		w := make([]float64, velocityScratch(k1, k2, d))
		v := make([]float32, d)
		e1, e2 := snisVelocity(v, at, tt, cand, q, logp, k1, k2, alpha, BalanceMix, w)
		var sum, sq, m1 float64
		for i, x := range w[:k1+k2] {
			sum += x
			sq += x * x
			if i < k1 {
				m1 += x
			}
		}
		if math.Abs(sum-1) > 1e-12 || math.Abs(e1+e2-1/sq) > 1e-9*(e1+e2) || math.Abs(e1/(e1+e2)-m1) > 1e-12 {
			t.Errorf("t = %v: weights sum to %v; ESS %v + %v, combined %v; policy share %v", tt, sum, e1, e2, 1/sq, m1)
		}
	}
}

// posteriorWindow returns the a_0-interval outside which the posterior
// proposal's density in one dimension is below e^−60 of its peak: the
// preimage under a_0 = (a_t − tε′)/(1 − t) of ε′ ∈ [L, U] cut to within
// 120/(|c| + √(c² + 120)) of its point c nearest 0 (|c|u + u²/2 ≤ 60).
func posteriorWindow(at, t float64) (lo, hi float64) {
	L, U := (at-(1-t))/t, (at+(1-t))/t
	c := max(L, min(U, 0))
	cut := 120 / (math.Abs(c) + math.Sqrt(c*c+120))
	e0, e1 := max(L, c-cut), min(U, c+cut)
	return (at - t*e1) / (1 - t), (at - t*e0) / (1 - t)
}

// The posterior proposal's log-density, log q2(a_0) = posteriorLogNorm −
// ‖a_t − (1−t)a_0‖²/(2t²), is a density on the box: in float64 it
// integrates to 1 over a_0 ∈ [−1, 1] (one dimension; q2 is a product over
// dimensions), for times from the guard to 1 − guard and a_t in the box,
// at its edges and far outside (truncation intervals deep in a tail);
// and its mean matches samplePosterior's draws.
func TestPosteriorLogDensityIntegratesToOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	worst := 0.0
	for _, tt := range []float64{1e-4, 0.01, 0.05, 0.3, 0.5, 0.9, 0.99, 1 - 1e-4} {
		for _, a := range []float64{0, 0.5, -0.9, 0.999, -1, 1.5, 3, -3} {
			at := []float32{float32(a)}
			x := float64(at[0])
			c := cpu.PosteriorLogNorm(at, tt)
			density := func(a0 float64) float64 {
				r := x - (1-tt)*a0
				return math.Exp(c - r*r/(2*tt*tt))
			}
			lo, hi := posteriorWindow(x, tt)
			const panels = 200
			var mass, mean float64
			for p := 0; p < panels; p++ {
				a0 := lo + (hi-lo)*float64(p)/panels
				b0 := lo + (hi-lo)*float64(p+1)/panels
				mass += quad.Fixed(density, a0, b0, 20, nil, 0)
				mean += quad.Fixed(func(u float64) float64 { return u * density(u) }, a0, b0, 20, nil, 0)
			}
			// Far outside the box c and the Gaussian term are both about
			// L²/2 (10⁸ at t = 1e−4, a_t = 3): their sum keeps only the
			// absolute precision of their size.
			e := math.Abs(mass - 1)
			worst = max(worst, e)
			if !(lo >= -1-1e-12 && hi <= 1+1e-12) || !(e < 1e-12+4*math.Abs(math.Nextafter(c, 0)-c)) {
				t.Errorf("t = %v, a_t = %v: the density integrates to %.17g over [%v, %v]", tt, a, mass, lo, hi)
			}
			// The sampler draws from it: the sample mean of a_0 within 5
			// standard errors of the density's mean.
			const n = 20000
			draws := make([]float32, n)
			samplePosterior(rng, draws, at, tt)
			var sm, sv float64
			for _, v := range draws {
				sm += float64(v) / n
			}
			for _, v := range draws {
				sv += (float64(v) - sm) * (float64(v) - sm) / (n - 1)
			}
			// float32 draws: allow their rounding beside the sampling error.
			if tol := 5*math.Sqrt(sv/n) + 1e-7; math.Abs(sm-mean) > tol {
				t.Errorf("t = %v, a_t = %v: sample mean %.9g, the density's mean %.9g (tolerance %.2g)", tt, a, sm, mean, tol)
			}
		}
	}
	t.Logf("worst |∫q2 − 1| = %.2g", worst)
}

// policyKDE is a density: from 50 samples in two dimensions of unequal
// spread it integrates to 1 (a fine grid; the integrand is smooth on the
// scale of the bandwidth, so the trapezoid rule is exact to rounding); a
// policy candidate leaves its own kernel out, and k1 = 1 gives it
// q̂1 = 0; with many samples of N(m, s²) it approaches log N.
func TestPolicyKDE(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	const k1, step, lim = 50, 0.01, 2.0
	n := int(2*lim/step) + 1
	cand := make([]float32, 2*(k1+n*n))
	for i := 0; i < k1; i++ {
		cand[2*i], cand[2*i+1] = float32(0.2*rng.NormFloat64()), float32(-0.1+0.05*rng.NormFloat64())
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			r := k1 + i*n + j
			cand[2*r], cand[2*r+1] = float32(-lim+step*float64(i)), float32(-lim+step*float64(j))
		}
	}
	lq := make([]float64, k1+n*n)
	cpu.PolicyKDE(lq, cand, k1, 2, make([]float64, 2+k1))
	var mass float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			w := step * step
			if i == 0 || i == n-1 {
				w /= 2
			}
			if j == 0 || j == n-1 {
				w /= 2
			}
			mass += w * math.Exp(lq[k1+i*n+j])
		}
	}
	t.Logf("∫q̂1 over [−%g, %g]² = %.12f", lim, lim, mass)
	if math.Abs(mass-1) > 1e-6 {
		t.Errorf("the surrogate integrates to %.12f", mass)
	}

	// Leave-one-out: two policy candidates, each sees only the other.
	two := []float32{0, 0.5, 0.25}
	lq = make([]float64, 3)
	cpu.PolicyKDE(lq, two, 2, 1, make([]float64, 3))
	h := math.Sqrt(0.125) * math.Pow(2, -0.2) // σ̂ = √0.125 for {0, 0.5}, Scott's factor 2^(−1/5)
	kern := func(x, c float64) float64 { return -0.5*math.Pow((x-c)/h, 2) - math.Log(h) - 0.5*math.Log(2*math.Pi) }
	want := []float64{kern(0, 0.5), kern(0.5, 0), math.Log(0.5*math.Exp(kern(0.25, 0)) + 0.5*math.Exp(kern(0.25, 0.5)))}
	for i := range want {
		if math.Abs(lq[i]-want[i]) > 1e-12 {
			t.Errorf("candidate %d: log q̂1 = %v, want %v", i, lq[i], want[i])
		}
	}
	lq = make([]float64, 2)
	cpu.PolicyKDE(lq, []float32{0.1, 0.2}, 1, 1, make([]float64, 2))
	if !math.IsInf(lq[0], -1) || math.IsInf(lq[1], 0) || math.IsNaN(lq[1]) {
		t.Errorf("k1 = 1: log q̂1 = %v, want −Inf for the policy's candidate and a number for the other", lq)
	}

	// Many samples: within the estimate's noise (about 0.05 here) and
	// Scott's smoothing of log N.
	const many = 4000
	m, s := []float64{0.3}, 0.2
	points := []float64{0.3, 0.1, 0.5, 0.0, 0.6}
	one := make([]float32, many+len(points))
	for i := 0; i < many; i++ {
		one[i] = float32(m[0] + s*rng.NormFloat64())
	}
	for i, p := range points {
		one[many+i] = float32(p)
	}
	lq = make([]float64, len(one))
	cpu.PolicyKDE(lq, one, many, 1, make([]float64, 1+many))
	for i, p := range points {
		want := gaussLogPdf(one[many+i:many+i+1], m, s)
		t.Logf("a = %.2f: log q̂1 %.4f, log q1 %.4f", p, lq[many+i], want)
		if math.Abs(lq[many+i]-want) > 0.15 {
			t.Errorf("a = %v: log q̂1 = %v, log q1 = %v", p, lq[many+i], want)
		}
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
