package cpu

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/blas"
)

// CPU is the CPU backend: buffers are Go memory, operations run
// synchronously on the calling goroutine (parallelism is the caller's
// shards), matrix products go to gocore/blas and the float32 elementwise
// kernels to vector code where the CPU has it.
type CPU[T Float] struct{}

var _ backend.Backend[float32] = CPU[float32]{}

// New returns the CPU backend for element type T.
func New[T Float]() CPU[T] { return CPU[T]{} }

// Name is "cpu/" and the kernel path the element type runs on
// ("cpu/avx512", "cpu/avx2", "cpu/go"; float64 is always "cpu/go").
func (CPU[T]) Name() string { return "cpu/" + vecLevel[T]().String() }

// Alloc returns n zeroed elements of Go memory.
func (CPU[T]) Alloc(n int) []T { return make([]T, n) }

// Sync returns at once: every operation has completed when it returns.
func (CPU[T]) Sync() {}

// Gemm is blas.Gemm.
//
// A few rows by a matrix (m ≤ oneRowMax, B not transposed, α = 1,
// β ∈ {0, 1}: a layer's forward pass on one observation and its time
// rows, as in acting) run row by row on the vector paths' own kernel,
// which streams B from cache with one fused multiply-add chain per output
// in index order (the same bits on AVX2 and AVX-512; not the BLAS's bits,
// which packs B first at these sizes). On the vector paths the other
// products with α = 1 and β ∈ {0, 1} run on the blocked kernels of
// gemm.go, with the same arithmetic per element; everything else is the
// BLAS.
func (CPU[T]) Gemm(transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	lv := vecLevel[T]()
	if lv == levelGo || m < 1 || n < 1 || k < 1 || alpha != 1 || (beta != 0 && beta != 1) {
		blas.Gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m == 1 {
		ldc = n // not used
	}
	blas.CheckOperands(transA, transB, m, n, k, a, lda, b, ldb, c, ldc) // the kernels do not check
	if m > oneRowMax || transB {
		vecGemm(lv, transA, transB, m, n, k, f32(a), lda, f32(b), ldb, beta == 1, f32(c), ldc)
		return
	}
	// Row i of op(A): a[i·lda:] with stride 1, or column i, a[i:] with
	// stride lda.
	rowStart, incx := lda, 1
	if transA {
		rowStart, incx = 1, lda
	}
	for i := 0; i < m; i++ {
		vecMatVec(lv, f32(c[i*ldc:]), f32(a[i*rowStart:]), f32(b), k, n, incx, ldb, beta == 1)
	}
}

// oneRowMax is the most rows Gemm runs row by row on the vector paths:
// up to it streaming B once a row costs less than filling a tile of the
// blocked kernel (12 or 6 rows) with padding.
const oneRowMax = 4

// Copy sets dst = src.
func (CPU[T]) Copy(dst, src []T) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("backend/cpu: Copy: dst has %d elements, src %d", len(dst), len(src)))
	}
	copy(dst, src)
}

// CopyRows copies a block of columns; a nil src writes zeros.
func (CPU[T]) CopyRows(dst []T, ldd int, src []T, lds int, rows, w int) {
	checkRows("CopyRows", dst, ldd, rows, w)
	if src == nil {
		for r := 0; r < rows; r++ {
			clear(dst[r*ldd : r*ldd+w])
		}
		return
	}
	checkRows("CopyRows", src, lds, rows, w)
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:r*ldd+w], src[r*lds:r*lds+w])
	}
}

// AddRows adds a block of columns.
func (CPU[T]) AddRows(dst []T, ldd int, src []T, lds int, rows, w int) {
	checkRows("AddRows", dst, ldd, rows, w)
	checkRows("AddRows", src, lds, rows, w)
	for r := 0; r < rows; r++ {
		d := dst[r*ldd : r*ldd+w]
		for k, v := range src[r*lds : r*lds+w] {
			d[k] += v
		}
	}
}

// RepeatRows repeats each row rep times.
func (CPU[T]) RepeatRows(dst, src []T, rows, rep, w int) {
	checkRows("RepeatRows", src, w, rows, w)
	checkRows("RepeatRows", dst, w, rows*rep, w)
	for i := 0; i < rows; i++ {
		s := src[i*w : (i+1)*w]
		for r := 0; r < rep; r++ {
			copy(dst[(i*rep+r)*w:(i*rep+r+1)*w], s)
		}
	}
}

// Fill sets x to v.
func (CPU[T]) Fill(x []T, v T) {
	for i := range x {
		x[i] = v
	}
}

// Axpy sets y += α·x.
func (CPU[T]) Axpy(y []T, alpha T, x []T) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Clamp limits x to [lo, hi].
func (CPU[T]) Clamp(x []T, lo, hi T) {
	for i, v := range x {
		x[i] = min(max(v, lo), hi)
	}
}

// RowSumSquares sets dst[i] = c + α·Σ_k x[i,k]², the squares summed in
// order in T.
func (CPU[T]) RowSumSquares(dst, x []T, rows, w int, alpha, c T) {
	checkRows("RowSumSquares", x, w, rows, w)
	checkRows("RowSumSquares", dst, 1, rows, 1)
	for i := 0; i < rows; i++ {
		var sq T
		for _, v := range x[i*w : (i+1)*w] {
			sq += v * v
		}
		dst[i] = c + alpha*sq
	}
}

// SumRows accumulates the column sums of dy into db, row by row (the
// same bits on every path).
func (CPU[T]) SumRows(db, dy []T, rows int) {
	w := len(db)
	checkRows("SumRows", dy, w, rows, w)
	if lv := vecLevel[T](); lv != levelGo && w > 0 {
		vecSumRows(lv, f32(db), f32(dy), rows)
		return
	}
	for i := 0; i < rows; i++ {
		for j, v := range dy[i*w : (i+1)*w] {
			db[j] += v
		}
	}
}

// SetRows sets every row of y to b.
func (CPU[T]) SetRows(y, b []T, rows int) {
	w := len(b)
	checkRows("SetRows", y, w, rows, w)
	for i := 0; i < rows; i++ {
		copy(y[i*w:(i+1)*w], b)
	}
}

var _ backend.ForwardOnly = CPU[float32]{}

// ForwardOnlyLNGELU declares that LNGELU takes a nil gp
// (backend.ForwardOnly).
func (CPU[T]) ForwardOnlyLNGELU() {}

// LNGELU is the fused hidden-layer kernel (backend.Backend).
// A forward-only pass (nil gp) computes z and x̂ in h's rows instead of
// xhat's.
func (CPU[T]) LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta []T, rows, w int) {
	checkRows("LNGELU", x, w, rows, w)
	checkRows("LNGELU", h, w, rows, w)
	record := gp != nil
	if record {
		checkRows("LNGELU", gp, w, rows, w)
	}
	if gamma == nil {
		if bias != nil {
			panic("backend/cpu: LNGELU: a bias without LayerNorm")
		}
		if record {
			gp = gp[:rows*w]
		}
		geluRow(h[:rows*w], gp, x[:rows*w])
		return
	}
	if record {
		checkRows("LNGELU", xhat, w, rows, w)
		checkRows("LNGELU", rstd, 1, rows, 1)
	} else {
		xhat, rstd = h, nil
	}
	if w == 0 {
		return
	}
	checkVec("LNGELU", "gamma", gamma, w)
	checkVec("LNGELU", "beta", beta, w)
	if bias != nil {
		checkVec("LNGELU", "bias", bias, w)
	}
	if lv := vecLevel[T](); lv != levelGo && rows > 0 && w > 0 {
		vecLNGELU(lv, f32(h), f32(gp), f32(xhat), f32(rstd), f32(x), f32(bias), f32(gamma), f32(beta), rows, w)
		return
	}
	for i := 0; i < rows; i++ {
		z := xhat[i*w : (i+1)*w]
		if xi := x[i*w : (i+1)*w]; &xi[0] != &z[0] {
			copy(z, xi)
		}
		if bias != nil {
			for j, b := range bias[:w] {
				z[j] += b
			}
		}
		y := h[i*w : (i+1)*w]
		r := lnForwardRow(y, z, gamma, beta)
		if !record {
			geluRow(y, nil, y)
			continue
		}
		rstd[i] = r
		geluRow(y, gp[i*w:(i+1)*w], y)
	}
}

// LNGELUJVP is the tangent of LNGELU (backend.Backend).
func (CPU[T]) LNGELUJVP(dy, dx, xhat, rstd, gp, gamma []T, rows, p, w int) {
	checkRows("LNGELUJVP", dx, w, rows*p, w)
	checkRows("LNGELUJVP", dy, w, rows*p, w)
	checkRows("LNGELUJVP", gp, w, rows, w)
	if p < 0 {
		panic(fmt.Sprintf("backend/cpu: LNGELUJVP: %d tangents", p))
	}
	lv := vecLevel[T]()
	if gamma != nil {
		checkRows("LNGELUJVP", xhat, w, rows, w)
		checkRows("LNGELUJVP", rstd, 1, rows, 1)
		checkVec("LNGELUJVP", "gamma", gamma, w)
		if lv != levelGo && rows > 0 && p > 0 && w > 0 {
			vecLNGELUJVP(lv, f32(dy), f32(dx), f32(xhat), f32(rstd), f32(gp), f32(gamma), rows, p, w)
			return
		}
	}
	for i := 0; i < rows*p; i++ {
		r := i / p
		t, d := dy[i*w:(i+1)*w], dx[i*w:(i+1)*w]
		if gamma == nil {
			mulRow(t, d, gp[r*w:(r+1)*w])
			continue
		}
		lnJVPRow(t, d, xhat[r*w:(r+1)*w], rstd[r], gamma, gp[r*w:(r+1)*w])
	}
}

// LNGELUBackward is the gradient of LNGELU (backend.Backend).
func (CPU[T]) LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma []T, rows, w int) {
	checkRows("LNGELUBackward", dh, w, rows, w)
	checkRows("LNGELUBackward", dx, w, rows, w)
	checkRows("LNGELUBackward", gp, w, rows, w)
	if gamma == nil {
		mulRow(dx[:rows*w], dh[:rows*w], gp[:rows*w])
		return
	}
	checkRows("LNGELUBackward", xhat, w, rows, w)
	checkRows("LNGELUBackward", rstd, 1, rows, 1)
	checkVec("LNGELUBackward", "gamma", gamma, w)
	checkVec("LNGELUBackward", "dgamma", dgamma, w)
	checkVec("LNGELUBackward", "dbeta", dbeta, w)
	if lv := vecLevel[T](); lv != levelGo && rows > 0 && w > 0 {
		vecLNGELUBackward(lv, f32(dx), f32(dgamma), f32(dbeta), f32(dh), f32(xhat), f32(rstd), f32(gp), f32(gamma), rows, w)
		return
	}
	for i := 0; i < rows; i++ {
		lnBackwardRow(dx[i*w:(i+1)*w], dgamma, dbeta, dh[i*w:(i+1)*w], xhat[i*w:(i+1)*w], rstd[i], gamma, gp[i*w:(i+1)*w])
	}
}

// Adam applies one Adam step in place (backend.Backend): AdamTo with each
// destination its source.
func (c CPU[T]) Adam(params, grad, m, v []T, step, epsHat, beta1, beta2 T) {
	c.AdamTo(params, m, v, params, grad, m, v, step, epsHat, beta1, beta2)
}

// Polyak sets target ← τ·online + (1−τ)·target: PolyakTo in place.
func (c CPU[T]) Polyak(target, online []T, tau T) {
	c.PolyakTo(target, target, online, tau)
}

// FirstNonFinite is the index of the first NaN or infinity, or −1.
func (CPU[T]) FirstNonFinite(x []T) int {
	for i, v := range x {
		if v-v != 0 { // NaN for NaN and ±Inf, 0 otherwise
			return i
		}
	}
	return -1
}

// checkVec panics unless the per-column vector x has w elements or more.
func checkVec[T Float](op, what string, x []T, w int) {
	if len(x) < w {
		panic(fmt.Sprintf("backend/cpu: %s: %s has %d elements, want %d", op, what, len(x), w))
	}
}

// checkRows panics unless x holds rows rows of w elements at stride ld.
func checkRows[T Float](op string, x []T, ld, rows, w int) {
	if rows < 0 || w < 0 || ld < w {
		panic(fmt.Sprintf("backend/cpu: %s: %d rows of %d at stride %d", op, rows, w, ld))
	}
	if rows > 0 && w > 0 && len(x) < (rows-1)*ld+w {
		panic(fmt.Sprintf("backend/cpu: %s: an operand has %d elements, %d rows of %d at stride %d need %d", op, len(x), rows, w, ld, (rows-1)*ld+w))
	}
}
