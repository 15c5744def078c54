// Package backend is the seam between mfpo's algorithm and the hardware it
// runs on. The networks (gocore/nn), the critics (gocore/critic) and the
// agent's update (gocore/mfpo) are written once against Backend; a backend
// owns every buffer they compute on and runs every operation on those
// buffers.
//
// # Buffers
//
// A buffer is a []T returned by Alloc: backend memory viewed as a Go
// slice. For the CPU backend it is ordinary Go memory; a device backend
// returns memory the device computes on (for CUDA, managed memory mapped
// into the process, so that a slice of it is an address range the kernels
// take as a device pointer). Sub-slices are views: an operation on
// x[lo:hi] touches only those elements. The algorithm never reads or
// writes a buffer's elements between operations except after Sync, and
// only where the contract says a value goes to the host (statistics,
// checks for non-finite values).
//
// # Operations
//
// Operations are issued in program order on the backend's stream and
// return before they complete on an asynchronous backend; Sync waits for
// all of them. Shape mismatches are programmer errors and panic. Every
// matrix is row-major [rows×width]; a tangent matrix carries P tangents
// per row, rows i·P … i·P+P−1 belonging to row i (see gocore/nn).
//
// The operations are the ones the update spends its time in: the matrix
// product, the fused layer kernels (bias, LayerNorm and GELU; forward,
// backward and Jacobian-vector product), the Fourier time features, Adam
// and Polyak averaging (in place and out of place), the critics' C51
// kernels (target distribution, cross-entropy, expected values) and the
// actor step's per-state kernels (noisy actions, truncated-posterior
// draws, importance-sampled velocity). An operation whose result goes to
// the host (FirstNonFinite, Sum64, C51CrossEntropy, SNISVelocity) says so
// and waits for the stream. docs/design.md ("Backends") says how a device backend plugs
// in, and gocore/backend/backendtest is the conformance suite every
// backend passes.
package backend

import "github.com/mfpo/mfpo/gocore/blas"

// Float is the element type: float32 in production, float64 for the
// reference the conformance suite and the derivative checks run on.
type Float = blas.Float

// Backend runs the algorithm's operations on buffers it owns. The methods
// are safe for concurrent use on disjoint destination buffers (the CPU
// backend's shards run them from several goroutines).
type Backend[T Float] interface {
	// Name identifies the backend and, for the CPU, the kernels chosen
	// ("cpu/avx512", "cpu/avx2", "cpu/go").
	Name() string
	// Alloc returns n zeroed elements of backend memory.
	Alloc(n int) []T
	// Sync waits for every operation issued so far.
	Sync()

	// Gemm sets C = α·op(A)·op(B) + β·C (op(X) = X or Xᵀ), op(A) m×k,
	// op(B) k×n, C m×n, with row strides lda, ldb, ldc.
	Gemm(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int)

	// Copy sets dst = src (len(src) elements).
	Copy(dst, src []T)
	// CopyRows copies rows rows of w elements from src (row stride lds)
	// to dst (row stride ldd): the column blocks of concatenated inputs.
	// A nil src writes zeros.
	CopyRows(dst []T, ldd int, src []T, lds int, rows, w int)
	// AddRows adds src ([rows×w], stride lds) into dst (stride ldd).
	AddRows(dst []T, ldd int, src []T, lds int, rows, w int)
	// RepeatRows sets dst[i·rep + r] = src[i] for rows rows of w
	// elements and r < rep: one state per rep consecutive rows.
	RepeatRows(dst, src []T, rows, rep, w int)
	// Fill sets every element of x to v.
	Fill(x []T, v T)
	// Axpy sets y += α·x.
	Axpy(y []T, alpha T, x []T)
	// Clamp limits every element of x to [lo, hi] (NaN stays NaN).
	Clamp(x []T, lo, hi T)
	// RowSumSquares sets dst[i] = c + α·Σ_k x[i,k]² for rows rows of w
	// elements (dst [rows]): with α = −½ and c = −(d/2)·log 2π the
	// standard-normal log-density of each row.
	RowSumSquares(dst, x []T, rows, w int, alpha, c T)
	// SumRows accumulates db += Σ_i dy[i,:] for rows rows of len(db).
	SumRows(db, dy []T, rows int)
	// SetRows sets every row of y ([rows×len(b)]) to b.
	SetRows(y, b []T, rows int)

	// LNGELU is the fused hidden-layer kernel of §7 for rows rows of width
	// w: with z = x + bias (bias nil: z = x), c = z − mean z,
	// σ = √(mean c² + ε), x̂ = c/σ, y = γ⊙x̂ + β, h = GELU(y), it writes
	// h, x̂ (into xhat), 1/σ (rstd, [rows]) and GELU′(y) (gp). With a nil
	// gamma it skips the LayerNorm (h = GELU(z); xhat and rstd unused).
	// A backend that implements ForwardOnly also takes a nil gp.
	LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta []T, rows, w int)
	// LNGELUJVP sets the tangents dy ([rows·P×w]) from dx of the
	// recorded LNGELU: ẏ = gp ⊙ γ ⊙ (ċ − x̂·mean(x̂⊙ċ))/σ, ċ = ẋ − mean ẋ.
	// dy may alias dx. A nil gamma is GELU alone: ẏ = gp ⊙ ẋ.
	LNGELUJVP(dy, dx, xhat, rstd, gp, gamma []T, rows, p, w int)
	// LNGELUBackward sets dx from the gradient dh of the recorded LNGELU
	// and accumulates dgamma, dbeta: with g = gp⊙dh, dγ += Σ g⊙x̂,
	// dβ += Σ g, dx = (γ⊙g − mean(γ⊙g) − x̂·mean(γ⊙g⊙x̂))/σ. dx may
	// alias dh. A nil gamma is GELU alone: dx = gp ⊙ dh.
	LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma []T, rows, w int)

	// Fourier sets out ([rows×2F]) = [cos 2πtW, sin 2πtW] from t
	// ([rows]) and freq W ([F]).
	Fourier(out, t, freq []T, rows int)
	// FourierJVP sets dout ([rows·P×2F]) = [−sin f⊙ḟ, cos f⊙ḟ],
	// ḟ = 2πW·ṫ, from dt ([rows·P]) and the recorded out.
	FourierJVP(dout, dt, out, freq []T, rows, p int)
	// FourierBackward accumulates dfreq += Σ_rows 2π·t·g and, when dt is
	// not nil, sets dt = Σ_k 2π·W_k·g_k, with g = −sin f⊙dcos + cos f⊙dsin.
	FourierBackward(dt, dfreq, dout, t, out, freq []T, rows int)

	// Adam applies one step to params from grad with moments m, v:
	// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − step·m/(√v + ε̂),
	// where the caller folds the bias corrections into step and ε̂.
	Adam(params, grad, m, v []T, step, epsHat, beta1, beta2 T)
	// Polyak sets target ← τ·online + (1−τ)·target.
	Polyak(target, online []T, tau T)
	// FirstNonFinite is the index of the first NaN or infinity of x, or
	// −1; it waits for the stream (its answer goes to the host).
	FirstNonFinite(x []T) int

	// AdamTo is Adam out of place: from params, grad and the moments m, v
	// it writes the stepped parameters into pDst and the new moments into
	// mDst, vDst (each may alias its source; with all three aliased it is
	// Adam). An update keeps the state before a step this way, to undo
	// the step by swapping buffers back (docs/design.md).
	AdamTo(pDst, mDst, vDst, params, grad, m, v []T, step, epsHat, beta1, beta2 T)
	// PolyakTo sets dst = τ·online + (1−τ)·target (dst may alias target:
	// then it is Polyak).
	PolyakTo(dst, target, online []T, tau T)
	// Sum64 is Σ x_i accumulated in float64; it waits for the stream (a
	// reduction whose result goes to the host). The CPU adds in index
	// order; another backend may add in another order.
	Sum64(x []T) float64

	// The critics' operations (docs/algorithm.md §3). A C51 row holds A =
	// len(sup.Z) logits or probabilities. Softmaxes subtract the row's
	// maximum first and sum in float64; the CPU's float32 exponential is
	// a polynomial of about 1 ulp.

	// C51Target writes the target distributions of rows transitions into
	// rho ([rows×A]) from both target critics' logits at (s′, a′),
	// logits0 and logits1 ([rows×A], overwritten: they are its scratch),
	// with rewards r, not-done flags m and log π(a′|s′) logp ([rows]
	// each). Per row, for k = 0, 1:
	//
	//	p_k  = softmax(logits_k)
	//	Tz_j = r + γ·m·(z_j − α·logp)            (in T)
	//	ρ_k  = the projection of p_k at Tz onto the support:
	//	       t = clip(Tz_j, Min, Max), b = (t − Min)/Delta, l = ⌊b⌋;
	//	       b integral (or l ≥ A−1): ρ[min(l, A−1)] += p_j,
	//	       else ρ[l] += p_j·(l + 1 − b), ρ[l+1] += p_j·(b − l);
	//	       a NaN b sets ρ[0] = NaN
	//
	// and rho = ρ_1 if Σ_j ρ_1j·z_j < Σ_j ρ_0j·z_j or is NaN (sums in
	// float64), else ρ_0, when clipped; (ρ_0 + ρ_1)/2 otherwise.
	C51Target(rho, logits0, logits1 []T, sup Support[T], reward, notDone, logp []T, gamma, alpha T, clipped bool, rows int)
	// C51CrossEntropy returns Σ_i −Σ_j ρ_ij·log softmax(logits_i)_j over
	// rows rows of logits and rho ([rows×atoms]) and overwrites each row
	// of logits with the gradient of scale times its loss,
	// scale·(softmax_j·Σ_k ρ_k − ρ_j). The sum is in float64, in row
	// order; it waits for the stream (the loss goes to the host).
	C51CrossEntropy(logits, rho []T, scale T, rows, atoms int) float64
	// C51Values sets q[i] = min(Q_0, Q_1) (useMin) or (Q_0 + Q_1)/2 for
	// rows rows of both critics' logits ([rows×A]), with
	// Q_k = Σ_j softmax(logits_k)_j·z_j; it overwrites the logits with
	// e^(l − max l).
	C51Values(q, logits0, logits1, z []T, rows int, useMin bool)

	// The actor step's operations (docs/algorithm.md §4).

	// NoisyActions clamps t to [g, 1−g] and then h to [0, t], in place,
	// and sets a_t = (1−t)·a0 + t·ε for rows states of d actions (at,
	// a0, noise [rows×d]; t, h [rows]).
	NoisyActions(at, t, h, a0, noise []T, rows, d int, guard T)
	// TruncPosterior draws k samples of the Gaussian posterior proposal of
	// §4 for each of rows states, into the rows of dst (row i's k×d draws
	// start at dst[i·ldd]), from a_t (at [rows×d]) and t ([rows], in
	// (0, 1)): per dimension ε′ ~ N(0, 1) truncated to
	// [(a_t − (1−t))/t, (a_t + (1−t))/t], a_0 = clip((a_t − t·ε′)/(1 − t),
	// −1, 1), in float64. The draws are a function of seed and the call:
	// the CPU draws them in row order from one math/rand/v2 PCG seeded
	// with (seed[0], seed[1]) through gocore/dist.TruncNormal (so a call's
	// draws depend on its row range, which the shards fix); a device
	// backend draws from a counter-based generator keyed by seed and the
	// row's index within the call.
	TruncPosterior(dst []T, ldd int, at, t []T, rows, k, d int, seed [2]uint64)
	// SNISVelocity sets the velocity targets v̂ ([rows×d]) of rows states
	// by self-normalised importance sampling and the ESS mix of §4: state
	// i's k1 + k2 candidates are the rows of cand[i·(k1+k2)·d : …] (the
	// policy's k1, then the posterior's k2), q[i·(k1+k2) : …] their
	// values, logp[i·k1 : …] the policy's log-likelihoods, and at, t its
	// a_t and t. Per state, in float64,
	//
	//	log w¹_k = Q_k/α − ‖a_t − (1−t)a_0^k‖²/(2t²) − log π(a_0^k),   k < k1
	//	log w²_k = Q_k/α,                                               k ≥ k1
	//	w̃ = softmax within each proposal,  ESS = 1/Σ w̃²,
	//	v̂ⁱ = (a_t − Σ_k w̃ⁱ_k a_0^k)/t,  λ = ESS¹/(ESS¹ + ESS² + 1e−10),
	//	v̂ = λ·v̂¹ + (1 − λ)·v̂².
	//
	// It returns Σ ESS¹ and Σ ESS² over the rows and Σ of the policy
	// candidates' Q (the statistics), in float64 in row order, and so
	// waits for the stream. w is host scratch of ≥ cpu.VelocityScratch(k1, k2, d) float64 for the
	// CPU (one per concurrent call); a backend that needs none ignores it.
	//
	// With mix = BalanceMix the two proposals are not normalised apart:
	// every candidate is weighted against the mixture of both proposal
	// densities (docs/algorithm.md §4.1) and ESS¹, ESS² split the combined
	// ESS by the weight each proposal's candidates carry.
	SNISVelocity(vhat, at, t, cand, q, logp []T, rows, k1, k2, d int, alpha float64, mix ProposalMix, w []float64) (ess1, ess2, sumQ float64)
}

// Support is the C51 support of docs/algorithm.md §3 as the operations
// take it: the atoms z_j = Min + j·Delta, j < len(Z), in a buffer Z of the
// backend (Z[0] = Min, Z[len(Z)−1] = Max).
type Support[T Float] struct {
	Z               []T
	Min, Max, Delta T
}

// ForwardOnly is an optional capability of a backend: its LNGELU takes a
// nil gp as a forward-only pass, which writes h alone (the same values)
// and leaves xhat and rstd unused (they may be nil). gocore/nn uses such
// passes where nothing is recorded for a JVP or a backward pass. The
// method itself does nothing; implementing it is the declaration.
type ForwardOnly interface{ ForwardOnlyLNGELU() }

// LayerNormEps is the ε of LayerNorm (docs/algorithm.md §7).
const LayerNormEps = 1e-6

// ProposalMix is how SNISVelocity combines its two proposals.
type ProposalMix uint8

const (
	// ESSMix normalises each proposal apart and mixes the two estimates
	// by their effective sample sizes (the paper's rule, §4).
	ESSMix ProposalMix = iota
	// BalanceMix is multiple importance sampling with the balance
	// heuristic (§4.1).
	BalanceMix
)
