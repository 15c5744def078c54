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
// and Polyak averaging. docs/design.md ("Backends") says how a device backend plugs
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
}

// ForwardOnly is an optional capability of a backend: its LNGELU takes a
// nil gp as a forward-only pass, which writes h alone (the same values)
// and leaves xhat and rstd unused (they may be nil). gocore/nn uses such
// passes where nothing is recorded for a JVP or a backward pass. The
// method itself does nothing; implementing it is the declaration.
type ForwardOnly interface{ ForwardOnlyLNGELU() }

// LayerNormEps is the ε of LayerNorm (docs/algorithm.md §7).
const LayerNormEps = 1e-6
