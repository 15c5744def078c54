package cpu

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mfpo/mfpo/gocore/dist"
)

// The actor step's per-state kernels (docs/algorithm.md §4): the
// truncated-posterior draws and the self-normalised importance sampling
// with the ESS mix. Both compute in float64.

// TruncPosterior draws the posterior proposals of rows states
// (backend.Backend) from one PCG seeded with seed, in row order.
func (CPU[T]) TruncPosterior(dst []T, ldd int, at, t []T, rows, k, d int, seed [2]uint64) {
	checkRows("TruncPosterior", dst, ldd, rows, k*d)
	checkRows("TruncPosterior", at, d, rows, d)
	checkRows("TruncPosterior", t, 1, rows, 1)
	s := getStream(seed)
	for i := 0; i < rows; i++ {
		SamplePosterior(s.rng, dst[i*ldd:i*ldd+k*d], at[i*d:(i+1)*d], float64(t[i]))
	}
	putStream(s)
}

// SamplePosterior fills dst ([K2×d]) with draws of the Gaussian posterior
// proposal of §4 for one state: per dimension ε′ ~ N(0, 1) truncated to
// [(a_t − (1−t))/t, (a_t + (1−t))/t], a_0 = (a_t − t·ε′)/(1 − t), which is
// the posterior of a_0 under a uniform prior on the box [−1, 1]^d. The
// clip to [−1, 1] only removes rounding.
func SamplePosterior[T Float](rng *rand.Rand, dst, at []T, t float64) {
	d := len(at)
	for k := 0; k < len(dst)/d; k++ {
		row := dst[k*d : (k+1)*d]
		for j, a := range at {
			x := float64(a)
			e := dist.TruncNormal(rng, (x-(1-t))/t, (x+(1-t))/t)
			row[j] = T(min(max((x-t*e)/(1-t), -1), 1))
		}
	}
}

// stream is a seeded generator of TruncPosterior. The free list keeps
// them between calls, so that drawing allocates nothing once the shards
// have run (sync.Pool would drop them at a collection).
type stream struct {
	pcg *rand.PCG
	rng *rand.Rand
}

var streams struct {
	sync.Mutex
	free []stream
}

func getStream(seed [2]uint64) stream {
	streams.Lock()
	var s stream
	if n := len(streams.free); n > 0 {
		s = streams.free[n-1]
		streams.free = streams.free[:n-1]
	}
	streams.Unlock()
	if s.pcg == nil {
		s.pcg = rand.NewPCG(0, 0)
		s.rng = rand.New(s.pcg)
	}
	s.pcg.Seed(seed[0], seed[1])
	return s
}

func putStream(s stream) {
	streams.Lock()
	streams.free = append(streams.free, s)
	streams.Unlock()
}

// SNISVelocity is the velocity estimate of every state in the rows
// (backend.Backend): SNISRow per state, the statistics summed in row
// order.
func (CPU[T]) SNISVelocity(vhat, at, t, cand, q, logp []T, rows, k1, k2, d int, alpha float64, w []float64) (ess1, ess2, sumQ float64) {
	k := k1 + k2
	checkRows("SNISVelocity", vhat, d, rows, d)
	checkRows("SNISVelocity", at, d, rows, d)
	checkRows("SNISVelocity", t, 1, rows, 1)
	checkRows("SNISVelocity", cand, k*d, rows, k*d)
	checkRows("SNISVelocity", q, k, rows, k)
	checkRows("SNISVelocity", logp, k1, rows, k1)
	for s := 0; s < rows; s++ {
		qs := q[s*k : (s+1)*k]
		e1, e2 := SNISRow(vhat[s*d:(s+1)*d], at[s*d:(s+1)*d], float64(t[s]),
			cand[s*k*d:(s+1)*k*d], qs, logp[s*k1:(s+1)*k1], k1, k2, alpha, w)
		ess1 += e1
		ess2 += e2
		for _, v := range qs[:k1] {
			sumQ += float64(v)
		}
	}
	return ess1, ess2, sumQ
}

// SNISRow is the adaptive velocity estimate of §4 for one state:
// self-normalised importance sampling of v*(a_t, t) = E[(a_t − a_0)/t]
// under p*(a_0 | a_t) ∝ exp(Q(a_0)/α)·N(a_t; (1−t)a_0, t²I), with
//
//	proposal 1, the policy (k < k1):    log w = Q/α − ‖a_t − (1−t)a_0‖²/(2t²) − log π(a_0)
//	proposal 2, the posterior (k ≥ k1): log w = Q/α
//
// each normalised separately into v̂¹, v̂² with ESS = 1/Σw̃², and mixed as
// v̂ = λv̂¹ + (1−λ)v̂², λ = ESS¹/(ESS¹ + ESS² + 1e−10). cand holds the
// k1 + k2 candidates ([k×d]), q their values and logp the policy's
// log-likelihoods of the first k1; w is scratch of len ≥ k1 + k2. The
// sums run in float64.
func SNISRow[T Float](vhat, at []T, t float64, cand, q, logp []T, k1, k2 int, alpha float64, w []float64) (ess1, ess2 float64) {
	d := len(at)
	w = w[:k1+k2]
	for k := 0; k < k1; k++ {
		var sq float64
		for j, a := range at {
			r := float64(a) - (1-t)*float64(cand[k*d+j])
			sq += r * r
		}
		w[k] = float64(q[k])/alpha - sq/(2*t*t) - float64(logp[k])
	}
	for k := k1; k < k1+k2; k++ {
		w[k] = float64(q[k]) / alpha
	}
	ess1 = normalise(w[:k1])
	ess2 = normalise(w[k1:])
	lambda := ess1 / (ess1 + ess2 + 1e-10)
	for j, a := range at {
		var v1, v2 float64
		for k := 0; k < k1; k++ {
			v1 += w[k] * float64(cand[k*d+j])
		}
		for k := k1; k < k1+k2; k++ {
			v2 += w[k] * float64(cand[k*d+j])
		}
		// Σ w̃ (a_t − a_0)/t = (a_t − Σ w̃ a_0)/t, as the weights sum to 1.
		v1 = (float64(a) - v1) / t
		v2 = (float64(a) - v2) / t
		vhat[j] = T(lambda*v1 + (1-lambda)*v2)
	}
	return ess1, ess2
}

// normalise turns log-weights into weights summing to 1 (a softmax) and
// returns the effective sample size 1/Σw². Non-finite log-weights (an
// infinite Q) make the weights NaN, which the actor loss then reports.
func normalise(logw []float64) (ess float64) {
	m := math.Inf(-1)
	for _, v := range logw {
		m = math.Max(m, v)
	}
	var s float64
	for i, v := range logw {
		logw[i] = math.Exp(v - m)
		s += logw[i]
	}
	var sq float64
	for i := range logw {
		logw[i] /= s
		sq += logw[i] * logw[i]
	}
	return 1 / sq
}
