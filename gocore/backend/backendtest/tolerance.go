package backendtest

import (
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
)

// The tolerances of Ops. Every float32 result is compared with the
// float64 CPU backend's result on the same (float32-representable)
// inputs, so the difference is the float32 backend's own error; each
// operation's allowance is a first-order forward error bound of float32
// arithmetic for its formula, computed per element from the inputs:
//
//   - data movement (Copy, CopyRows, RepeatRows, SetRows, Fill, Clamp)
//     and FirstNonFinite: exact;
//   - a sum s = Σ xᵢ of m terms, in any order (sequential, blocked,
//     tree, fused multiply-adds): |ŝ − s| ≤ m·u·Σ|xᵢ|, so elementwise
//     ops get (roundings)·u·(Σ of the magnitudes of their terms) and
//     reductions get (n + a few)·u·Σ|terms| — GEMM (k+2)·u·(|α|·|A||B| +
//     |β|·|C|)ᵢⱼ, SumRows (rows+1)·u·(|db| + Σ|dy|), and so on;
//   - LayerNorm: the bound propagated through mean, centring, variance and
//     1/σ (lnBound), which grows with max|z|/σ — the cancellation of
//     centring a row whose mean is large against its spread;
//   - GELU: the bound of its formula with the tanh error tanhErr, plus
//     the propagated error of its input (geluBound).
//
// Every bound is multiplied by slack and the comparison adds u·|want|
// (the rounding of the result to float32) and floor. Where the bound is
// unbounded (a LayerNorm row whose centring in float32 can lose every
// digit: its spread below u·max|z|·n), only a NaN fails.
const (
	// u is float32's unit roundoff 2⁻²⁴: a correctly rounded float32
	// operation errs by at most u relative to its exact result.
	u = 0x1p-24
	// slack multiplies every first-order bound: it covers the neglected
	// second-order terms and formulas that are equally accurate but
	// arranged differently (1 − tanh² z as (1 − tanh z)(1 + tanh z), a
	// reciprocal square root then a product).
	slack = 2
	// floor is an absolute allowance of every compared value: the
	// smallest normal float32 is 2⁻¹²⁶, and a device backend may flush
	// subnormal results to zero.
	floor = 0x1p-120
	// tanhErr bounds the relative error of a backend's float32 tanh in
	// GELU: the CPU's rational tanh errs by at most 3.5e-7 (tanh.go),
	// CUDA's tanhf by 2 ulp (2.4e-7). Hardware approximations such as
	// PTX tanh.approx.f32 (2⁻¹¹) do not pass.
	tanhErr = 5e-7
	// geluCurv bounds |GELU″| of the tanh form (its largest value is
	// √(2/π) ≈ 0.80, at 0): the propagation of an input error into GELU′.
	geluCurv = 1
)

const (
	geluK = 0.7978845608028654 // √(2/π)
	geluC = 0.044715
)

// geluBound is the error allowance of h = GELU(y) and gp = GELU′(y) for
// an input y computed with error dy, in the tanh form
// h = ½y(1 + th), gp = ½(1 + th) + ½y(1 − th²)·K(1 + 3Cy²),
// th = tanh(K(y + Cy³)).
func geluBound(y, dy float64) (dh, dgp float64) {
	ay := math.Abs(y)
	z := geluK * (y + geluC*y*y*y)
	th := math.Tanh(z)
	ath := math.Abs(th)
	poly := geluK * (1 + 3*geluC*y*y)
	// z takes five roundings (y², y³, C·, +, K·); tanh adds tanhErr.
	dz := 5 * u * geluK * (ay + geluC*ay*ay*ay)
	dth := tanhErr*ath + (1-th*th)*dz
	gp := 0.5*(1+th) + 0.5*y*(1-th*th)*poly
	dh = math.Abs(gp)*dy + 0.5*ay*dth + 3*u*0.5*ay*(1+ath)
	dgp = geluCurv*dy + (0.5+ay*ath*poly)*dth + 8*u*(0.5*(1+ath)+0.5*ay*(1+th*th)*poly)
	return slack * dh, slack * dgp
}

// lnRow is the float64 LayerNorm of one row z of n = len(z): the values
// and the error allowances of x̂ and 1/σ (relative) in float32, where dz
// is the error of z itself (u·|z| when z = x + bias was rounded, else 0).
type lnRow struct {
	xhat, dxhat []float64
	rstd, drel  float64 // 1/σ and its relative error allowance
}

func lnBound(z, dz []float64) lnRow {
	n := float64(len(z))
	var mean, big float64
	for _, v := range z {
		mean += v
		big = math.Max(big, math.Abs(v))
	}
	mean /= n
	var vr float64
	for _, v := range z {
		vr += (v - mean) * (v - mean)
	}
	vr /= n
	rstd := 1 / math.Sqrt(vr+backend.LayerNormEps)
	// mean: n additions and a division, each at most u·max|z| per term.
	dm := (n + 2) * u * big
	dc := make([]float64, len(z))
	var dmax float64
	for j, v := range z {
		dc[j] = dz[j] + dm + u*math.Abs(v-mean)
		dmax = math.Max(dmax, dc[j])
	}
	// variance from the perturbed centred values, plus its own n + 2
	// roundings; then 1/√(var + ε) moves by at most 1/√(1 − r) − 1.
	dvar := (n+2)*u*vr + 2*math.Sqrt(vr)*dmax + dmax*dmax
	r := dvar / (vr + backend.LayerNormEps)
	drel := math.Inf(1)
	if r < 0.5 {
		drel = 1/math.Sqrt(1-r) - 1 + 3*u
	}
	row := lnRow{xhat: make([]float64, len(z)), dxhat: make([]float64, len(z)), rstd: rstd, drel: slack * drel}
	for j, v := range z {
		x := (v - mean) * rstd
		row.xhat[j] = x
		row.dxhat[j] = math.Inf(1) // float32 may lose every digit of x̂
		if !math.IsInf(drel, 0) {
			row.dxhat[j] = slack * (dc[j]*rstd*(1+drel) + math.Abs(x)*(drel+u))
		}
	}
	return row
}

// absOf is |x| elementwise (nil stays nil).
func absOf(x []float64) []float64 {
	if x == nil {
		return nil
	}
	a := make([]float64, len(x))
	for i, v := range x {
		a[i] = math.Abs(v)
	}
	return a
}

// scaled returns c·x elementwise.
func scaled(c float64, x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = c * v
	}
	return y
}
