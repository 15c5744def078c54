//go:build amd64 && !purego

package cpu

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// supported lists the paths this CPU runs, portable first, best last.
var supported = func() []level {
	s := []level{levelGo}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		s = append(s, levelAVX2)
	}
	if cpu.X86.HasAVX512F {
		s = append(s, levelAVX512)
	}
	return s
}()

// The assembly kernels, one per path (kernels_avx2_amd64.s,
// kernels_avx512_amd64.s). Pointers address operands the caller has
// checked; bias may be nil. Rows are contiguous of n elements (n ≥ 1).

// lnGELU: for each row, z = x + bias into xhat, mean and 1/σ (into
// rstd[i]) by two passes over z, then x̂ = (z − mean)·(1/σ) into xhat,
// y = γ⊙x̂ + β and GELU(y), GELU′(y) into h and gp. A nil gp skips GELU′
// and rstd (then nil too); xhat may be h.
//
//go:noescape
func lnGELUAVX2(h, gp, xhat, rstd, x, bias, gamma, beta *float32, rows, n int, c *vecConsts)

//go:noescape
func lnGELUAVX512(h, gp, xhat, rstd, x, bias, gamma, beta *float32, rows, n int, c *vecConsts)

// lnGELUJVP: for each of rows·p tangent rows (p per recorded row),
// mean ẋ and mean(x̂⊙ċ) = (Σx̂ẋ − mean ẋ·Σx̂)/n in one pass, then
// dy = γ⊙(ẋ − mean ẋ − x̂·mean(x̂⊙ċ))·(1/σ)⊙gp; a non-finite mean ẋ
// makes mean(x̂⊙ċ) NaN, as the portable two-pass sums do.
//
//go:noescape
func lnGELUJVPAVX2(dy, dx, xhat, rstd, gp, gamma *float32, rows, p, n int, c *vecConsts)

//go:noescape
func lnGELUJVPAVX512(dy, dx, xhat, rstd, gp, gamma *float32, rows, p, n int, c *vecConsts)

// lnGELUBackward: for each row, g = gp⊙dh into dx, dγ += g⊙x̂, dβ += g,
// Σγg and Σγg⊙x̂ in one pass, then dx = (γ⊙g − mean(γg) − x̂·mean(γg⊙x̂))·(1/σ).
//
//go:noescape
func lnGELUBackwardAVX2(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma *float32, rows, n int, c *vecConsts)

//go:noescape
func lnGELUBackwardAVX512(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma *float32, rows, n int, c *vecConsts)

// gelu: h = GELU(x), gp = GELU′(x) for n elements (geluRow); a nil gp
// skips GELU′.
//
//go:noescape
func geluAVX2(h, gp, x *float32, n int, c *vecConsts)

//go:noescape
func geluAVX512(h, gp, x *float32, n int, c *vecConsts)

// mul: z = x⊙y for n elements.
//
//go:noescape
func mulAVX2(z, x, y *float32, n int, c *vecConsts)

//go:noescape
func mulAVX512(z, x, y *float32, n int, c *vecConsts)

// adam: the Adam step of CPU.AdamTo for n elements, with c1 = 1 − β1 and
// c2 = 1 − β2, in the portable code's operations and order; each
// destination may be its source (in place).
//
//go:noescape
func adamAVX2(pDst, mDst, vDst, params, grad, m, v *float32, n int, step, epsHat, beta1, beta2, c1, c2 float32, c *vecConsts)

//go:noescape
func adamAVX512(pDst, mDst, vDst, params, grad, m, v *float32, n int, step, epsHat, beta1, beta2, c1, c2 float32, c *vecConsts)

// polyak: dst = τ·online + keep·target for n elements (dst may be target).
//
//go:noescape
func polyakAVX2(dst, target, online *float32, n int, tau, keep float32, c *vecConsts)

//go:noescape
func polyakAVX512(dst, target, online *float32, n int, tau, keep float32, c *vecConsts)

// matVec: y = [y +] x·W for one row x (k elements, stride incx) and W
// k×n (row stride ldw): each y_j one chain of fused multiply-adds from 0
// over i in order, then the add; the same bits on both paths.
//
//go:noescape
func matVecAVX2(y, x, w *float32, k, n, incx, ldw, accumulate int, c *vecConsts)

//go:noescape
func matVecAVX512(y, x, w *float32, k, n, incx, ldw, accumulate int, c *vecConsts)

// gemmTile: one tile of the product (gemm.go): 12×32 on AVX-512 (masks:
// the columns' lanes), 6×16 on AVX2 (the first cols columns); the
// comments in the assembly give the layout.
//
//go:noescape
func gemmTileAVX512(a, b, c *float32, k, lda, ldb, ldc, rows, transA, accumulate, masks int)

//go:noescape
func gemmTileAVX2(a, b, c *float32, k, lda, ldb, ldc, rows, transA, accumulate, cols int, m *vecConsts)

// sinCos2Pi: cos_k, sin_k = sinCos2Pi(t·freq_k) rounded to float32 for
// k < n in whole vectors (8 lanes of float64 on AVX-512, 4 on AVX2), its
// operations in its order (its bits); returns the count done.
//
//go:noescape
func sinCos2PiAVX2(cos, sin, freq *float32, n int, t float64, c *vecConsts) int

//go:noescape
func sinCos2PiAVX512(cos, sin, freq *float32, n int, t float64, c *vecConsts) int

// expShift: x_i = e^(x_i − m) by expShiftScalar's fast path, its bits, a
// vector at a time while every lane is in the fast path's range; returns
// the count done.
//
//go:noescape
func expShiftAVX2(x *float32, n int, m float32, c *vecConsts) int

//go:noescape
func expShiftAVX512(x *float32, n int, m float32, c *vecConsts) int

// sumRows: db += Σ_i dy[i,:] for rows rows of n, rows in order.
//
//go:noescape
func sumRowsAVX2(db, dy *float32, rows, n int, c *vecConsts)

//go:noescape
func sumRowsAVX512(db, dy *float32, rows, n int, c *vecConsts)

// p is the address of x's first element, nil for an empty or nil slice.
func p(x []float32) *float32 {
	if len(x) == 0 {
		return nil
	}
	return unsafe.SliceData(x)
}

func vecLNGELU(lv level, h, gp, xhat, rstd, x, bias, gamma, beta []float32, rows, w int) {
	if lv == levelAVX512 {
		lnGELUAVX512(p(h), p(gp), p(xhat), p(rstd), p(x), p(bias), p(gamma), p(beta), rows, w, &vecTable)
	} else {
		lnGELUAVX2(p(h), p(gp), p(xhat), p(rstd), p(x), p(bias), p(gamma), p(beta), rows, w, &vecTable)
	}
}

func vecLNGELUJVP(lv level, dy, dx, xhat, rstd, gp, gamma []float32, rows, tangents, w int) {
	if lv == levelAVX512 {
		lnGELUJVPAVX512(p(dy), p(dx), p(xhat), p(rstd), p(gp), p(gamma), rows, tangents, w, &vecTable)
	} else {
		lnGELUJVPAVX2(p(dy), p(dx), p(xhat), p(rstd), p(gp), p(gamma), rows, tangents, w, &vecTable)
	}
}

func vecLNGELUBackward(lv level, dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma []float32, rows, w int) {
	if lv == levelAVX512 {
		lnGELUBackwardAVX512(p(dx), p(dgamma), p(dbeta), p(dh), p(xhat), p(rstd), p(gp), p(gamma), rows, w, &vecTable)
	} else {
		lnGELUBackwardAVX2(p(dx), p(dgamma), p(dbeta), p(dh), p(xhat), p(rstd), p(gp), p(gamma), rows, w, &vecTable)
	}
}

func vecGELU(lv level, h, gp, x []float32) {
	if lv == levelAVX512 {
		geluAVX512(p(h), p(gp), p(x), len(x), &vecTable)
	} else {
		geluAVX2(p(h), p(gp), p(x), len(x), &vecTable)
	}
}

func vecMul(lv level, z, x, y []float32) {
	if lv == levelAVX512 {
		mulAVX512(p(z), p(x), p(y), len(x), &vecTable)
	} else {
		mulAVX2(p(z), p(x), p(y), len(x), &vecTable)
	}
}

func vecAdam(lv level, pDst, mDst, vDst, params, grad, m, v []float32, step, epsHat, beta1, beta2 float32) {
	c1, c2 := 1-beta1, 1-beta2
	if lv == levelAVX512 {
		adamAVX512(p(pDst), p(mDst), p(vDst), p(params), p(grad), p(m), p(v), len(m), step, epsHat, beta1, beta2, c1, c2, &vecTable)
	} else {
		adamAVX2(p(pDst), p(mDst), p(vDst), p(params), p(grad), p(m), p(v), len(m), step, epsHat, beta1, beta2, c1, c2, &vecTable)
	}
}

func vecPolyak(lv level, dst, target, online []float32, tau float32) {
	keep := 1 - tau
	if lv == levelAVX512 {
		polyakAVX512(p(dst), p(target), p(online), len(target), tau, keep, &vecTable)
	} else {
		polyakAVX2(p(dst), p(target), p(online), len(target), tau, keep, &vecTable)
	}
}

func vecMatVec(lv level, y, x, w []float32, k, n, incx, ldw int, accumulate bool) {
	acc := b2i(accumulate)
	if lv == levelAVX512 {
		matVecAVX512(p(y), p(x), p(w), k, n, incx, ldw, acc, &vecTable)
	} else {
		matVecAVX2(p(y), p(x), p(w), k, n, incx, ldw, acc, &vecTable)
	}
}

// gemmTile runs path lv's tile kernel on a tile whose first cols columns
// (of at least that many) are C's, B's rows ldb apart.
func gemmTile(lv level, a, b, c *float32, k, lda, ldb, ldc, rows, cols int, transA, accumulate bool) {
	_, tc := gemmTileShape(lv)
	w := min(cols, tc)
	if lv == levelAVX512 {
		gemmTileAVX512(a, b, c, k, lda, ldb, ldc, rows, b2i(transA), b2i(accumulate), 1<<w-1)
		return
	}
	gemmTileAVX2(a, b, c, k, lda, ldb, ldc, rows, b2i(transA), b2i(accumulate), w, &vecTable)
}

// b2i is 1 for true, 0 for false (the kernels' flags).
func b2i(x bool) int {
	if x {
		return 1
	}
	return 0
}

func vecSinCos2Pi(lv level, cos, sin, freq []float32, t float64) int {
	n := len(freq)
	if len(cos) < n || len(sin) < n {
		panic("backend/cpu: vecSinCos2Pi: short output")
	}
	if n == 0 {
		return 0
	}
	if lv == levelAVX512 {
		return sinCos2PiAVX512(p(cos), p(sin), p(freq), n, t, &vecTable)
	}
	return sinCos2PiAVX2(p(cos), p(sin), p(freq), n, t, &vecTable)
}

func vecExpShift(lv level, x []float32, m float32) int {
	if len(x) == 0 {
		return 0
	}
	if lv == levelAVX512 {
		return expShiftAVX512(p(x), len(x), m, &vecTable)
	}
	return expShiftAVX2(p(x), len(x), m, &vecTable)
}

func vecSumRows(lv level, db, dy []float32, rows int) {
	if lv == levelAVX512 {
		sumRowsAVX512(p(db), p(dy), rows, len(db), &vecTable)
	} else {
		sumRowsAVX2(p(db), p(dy), rows, len(db), &vecTable)
	}
}
