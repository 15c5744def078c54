package cpu

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/mfpo/mfpo/gocore/backend"
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
// them between calls (sync.Pool would drop them at a collection), and
// the first call makes streamBatch of them at once, one per shard an
// agent can have, so that drawing allocates nothing later however many
// shards happen to draw at the same moment.
type stream struct {
	pcg *rand.PCG
	rng *rand.Rand
}

// streamBatch is how many streams a call makes when none is free: the
// most shards of an agent (mfpo.MaxShards).
const streamBatch = 64

var streams struct {
	sync.Mutex
	free []stream
}

func getStream(seed [2]uint64) stream {
	streams.Lock()
	if len(streams.free) == 0 {
		for range streamBatch {
			pcg := rand.NewPCG(0, 0)
			streams.free = append(streams.free, stream{pcg, rand.New(pcg)})
		}
	}
	n := len(streams.free)
	s := streams.free[n-1]
	streams.free = streams.free[:n-1]
	streams.Unlock()
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
func (CPU[T]) SNISVelocity(vhat, at, t, cand, q, logp []T, rows, k1, k2, d int, alpha float64, mix backend.ProposalMix, w []float64) (ess1, ess2, sumQ float64) {
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
			cand[s*k*d:(s+1)*k*d], qs, logp[s*k1:(s+1)*k1], k1, k2, alpha, mix, w)
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
// log-likelihoods of the first k1; w is scratch of len ≥
// VelocityScratch(k1, k2, d). The sums run in float64. That is
// backend.ESSMix, the paper's; backend.BalanceMix weighs every candidate
// against the mixture of both proposals instead (balanceRow), and its
// ess1, ess2 split the combined ESS.
func SNISRow[T Float](vhat, at []T, t float64, cand, q, logp []T, k1, k2 int, alpha float64, mix backend.ProposalMix, w []float64) (ess1, ess2 float64) {
	if mix == backend.BalanceMix {
		return balanceRow(vhat, at, t, cand, q, logp, k1, k2, alpha, w)
	}
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
	ess1 = Normalise(w[:k1])
	ess2 = Normalise(w[k1:])
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

// Normalise turns log-weights into weights summing to 1 (a softmax) and
// returns the effective sample size 1/Σw². Non-finite log-weights (an
// infinite Q) make the weights NaN, which the actor loss then reports.
func Normalise(logw []float64) (ess float64) {
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

// VelocityScratch is the length of SNISRow's float64 scratch: the k1 + k2
// log-weights, then (for BalanceMix) k1 kernel terms and d bandwidths of
// the policy density's surrogate.
func VelocityScratch(k1, k2, d int) int { return 2*k1 + k2 + d }

// balanceRow is SNISRow with backend.BalanceMix (docs/algorithm.md §4.1): every
// candidate a_i is weighted against the mixture of both proposals,
//
//	log w_i = Q_i/α − ‖a_t − (1−t)a_i‖²/(2t²) − log(k1·q̂1(a_i) + k2·q2(a_i))
//	          + [i < k1]·(log q̂1(a_i) − log π(a_i)),
//
// normalised over all k1 + k2, and v̂ = (a_t − Σ_i w̃_i a_i)/t. q2 is the
// posterior proposal's exact density (PosteriorLogNorm); q̂1 is
// PolicyKDE, a surrogate for the policy's density π, which the ADN gives
// only at the policy's own samples. The partition k1·q̂1/(k1·q̂1 + k2·q2)
// + k2·q2/(k1·q̂1 + k2·q2) = 1 keeps the estimate consistent for any q̂1;
// with q̂1 = π it is the plain balance heuristic. ess1 and ess2 split the
// combined ESS = 1/Σ_i w̃_i² in proportion to the weight each proposal's
// candidates carry (Σ_{i<k1} w̃_i and the rest); their sum is the
// combined ESS.
func balanceRow[T Float](vhat, at []T, t float64, cand, q, logp []T, k1, k2 int, alpha float64, w []float64) (ess1, ess2 float64) {
	k := k1 + k2
	PolicyKDE(w[:k], cand[:k*len(at)], k1, len(at), w[k:VelocityScratch(k1, k2, len(at))])
	return BalanceWeighted(vhat, at, t, cand, q, logp, k1, k2, alpha, w[:k])
}

// BalanceWeighted is balanceRow once lq1 ([k1+k2]) holds log q̂1 at
// every candidate; it overwrites lq1 with the normalised weights.
func BalanceWeighted[T Float](vhat, at []T, t float64, cand, q, logp []T, k1, k2 int, alpha float64, lq1 []float64) (ess1, ess2 float64) {
	d, k := len(at), k1+k2
	c2 := PosteriorLogNorm(at, t)
	lk1, lk2 := math.Log(float64(k1)), math.Log(float64(k2))
	for i := 0; i < k; i++ {
		var sq float64
		for j, a := range at {
			r := float64(a) - (1-t)*float64(cand[i*d+j])
			sq += r * r
		}
		g := -sq / (2 * t * t) // the Gaussian factor; also log q2 − c2
		lw := float64(q[i])/alpha + g - logAddExp(lk1+lq1[i], lk2+c2+g)
		if i < k1 {
			lw += lq1[i] - float64(logp[i])
		}
		lq1[i] = lw
	}
	w := lq1
	ess := Normalise(w)
	var m1, m2 float64
	for i := 0; i < k1; i++ {
		m1 += w[i]
	}
	for i := k1; i < k; i++ {
		m2 += w[i]
	}
	for j, a := range at {
		var s float64
		for i := 0; i < k; i++ {
			s += w[i] * float64(cand[i*d+j])
		}
		vhat[j] = T((float64(a) - s) / t)
	}
	return m1 * ess, m2 * ess
}

// PosteriorLogNorm is log q2(a_0) + ‖a_t − (1−t)a_0‖²/(2t²): the part of
// the posterior proposal's log-density (§4, Proposal 2) that does not
// depend on a_0. With ε′_j = (a_t,j − (1−t)a_0,j)/t ~ N(0, 1) truncated to
// [L_j, U_j] = [(a_t,j − (1−t))/t, (a_t,j + (1−t))/t] and
// |dε′_j/da_0,j| = (1−t)/t, the density of a_0 on the box is
//
//	q2(a_0) = Π_j (1−t)/t · φ(ε′_j)/(Φ(U_j) − Φ(L_j)),
//
// so this is Σ_j [log((1−t)/t) − ½·log 2π − log(Φ(U_j) − Φ(L_j))].
func PosteriorLogNorm[T Float](at []T, t float64) float64 {
	var c float64
	for _, a := range at {
		x := float64(a)
		c += math.Log((1-t)/t) - 0.5*math.Log(2*math.Pi) - dist.LogMass((x-(1-t))/t, (x+(1-t))/t)
	}
	return c
}

// kdeMinBandwidth is the smallest kernel width of PolicyKDE, for policy
// candidates that coincide in a dimension (k1 = 1, or all clipped to a
// bound).
const kdeMinBandwidth = 1e-3

// PolicyKDE sets lq[i] to log q̂1(cand_i) for every row of cand ([k×d],
// the first k1 the policy's samples): a Gaussian kernel density estimate
// from the k1 policy candidates,
//
//	q̂1(a) = 1/n · Σ_k Π_j N(a_j; a_k,j, h_j²),   h_j = max(σ̂_j·k1^(−1/(d+4)), 1e−3),
//
// σ̂_j the policy candidates' sample standard deviation in dimension j
// (Scott's rule). A policy candidate leaves its own kernel out (n = k1 − 1;
// with k1 = 1 its q̂1 is 0), so that q̂1 at a sample does not depend on
// the sample itself; a posterior candidate uses all n = k1. scratch holds
// ≥ d + k1 floats.
func PolicyKDE[T Float](lq []float64, cand []T, k1, d int, scratch []float64) {
	inv, kern := scratch[:d], scratch[d:d+k1]
	scott := math.Pow(float64(k1), -1/float64(d+4))
	var logNorm float64 // Σ_j log(h_j·√(2π))
	for j := 0; j < d; j++ {
		var m, v float64
		for i := 0; i < k1; i++ {
			m += float64(cand[i*d+j])
		}
		m /= float64(k1)
		for i := 0; i < k1; i++ {
			r := float64(cand[i*d+j]) - m
			v += r * r
		}
		h := max(math.Sqrt(v/float64(max(k1-1, 1)))*scott, kdeMinBandwidth)
		inv[j] = 1 / (2 * h * h)
		logNorm += math.Log(h) + 0.5*math.Log(2*math.Pi)
	}
	for i := range lq {
		x := cand[i*d : (i+1)*d]
		n, top := 0, math.Inf(-1)
		for c := 0; c < k1; c++ {
			if c == i {
				continue
			}
			var e float64
			for j := 0; j < d; j++ {
				r := float64(x[j]) - float64(cand[c*d+j])
				e -= r * r * inv[j]
			}
			kern[n] = e
			n++
			top = max(top, e)
		}
		if n == 0 {
			lq[i] = math.Inf(-1)
			continue
		}
		var s float64
		for _, e := range kern[:n] {
			s += math.Exp(e - top)
		}
		lq[i] = top + math.Log(s/float64(n)) - logNorm
	}
}

// logAddExp is log(eˣ + eʸ) without overflow.
func logAddExp(x, y float64) float64 {
	m := max(x, y)
	if math.IsInf(m, -1) {
		return m
	}
	return m + math.Log1p(math.Exp(-math.Abs(x-y)))
}
