package cpu

import (
	"fmt"
	"math"
)

// AdamTo is one Adam step out of place (backend.Backend):
//
//	m' = β1·m + (1−β1)·g,  v' = β2·v + (1−β2)·g²,  θ' = θ − step·m'/(√v' + ε̂),
//
// into pDst, mDst, vDst (each may be its own source: Adam in place). The
// vector paths do these operations in this order, without fused
// multiply-adds, and give the same bits.
func (CPU[T]) AdamTo(pDst, mDst, vDst, params, grad, m, v []T, step, epsHat, beta1, beta2 T) {
	n := len(params)
	for _, x := range [][]T{pDst, mDst, vDst, grad, m, v} {
		if len(x) != n {
			panic(fmt.Sprintf("backend/cpu: Adam: %d params, an operand has %d elements", n, len(x)))
		}
	}
	if lv := vecLevel[T](); lv != levelGo && n > 0 {
		vecAdam(lv, f32(pDst), f32(mDst), f32(vDst), f32(params), f32(grad), f32(m), f32(v),
			float32(step), float32(epsHat), float32(beta1), float32(beta2))
		return
	}
	pDst, mDst, vDst, params, m, v = pDst[:n], mDst[:n], vDst[:n], params[:n], m[:n], v[:n]
	// The conversions T(…) round each product, so that no compiler fuses
	// them into multiply-adds (the Go spec allows that otherwise).
	for i, g := range grad[:n] {
		mi := T(beta1*m[i]) + T((1-beta1)*g)
		vi := T(beta2*v[i]) + T((1-beta2)*g*g)
		mDst[i], vDst[i] = mi, vi
		pDst[i] = params[i] - step*mi/(T(math.Sqrt(float64(vi)))+epsHat)
	}
}

// PolyakTo sets dst = τ·online + (1−τ)·target (backend.Backend; dst may
// be target). Every path gives the same bits.
func (CPU[T]) PolyakTo(dst, target, online []T, tau T) {
	if len(target) != len(online) || len(dst) != len(online) {
		panic(fmt.Sprintf("backend/cpu: Polyak: dst has %d parameters, target %d, online %d", len(dst), len(target), len(online)))
	}
	if lv := vecLevel[T](); lv != levelGo && len(dst) > 0 {
		vecPolyak(lv, f32(dst), f32(target), f32(online), float32(tau))
		return
	}
	keep := 1 - tau
	target = target[:len(dst)]
	for i, v := range online[:len(dst)] {
		dst[i] = T(tau*v) + T(keep*target[i]) // T(…): no fused multiply-add
	}
}

// Sum64 is Σ x_i in float64, in index order.
func (CPU[T]) Sum64(x []T) float64 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return s
}

// NoisyActions clamps (t, h) and sets a_t = (1−t)·a0 + t·ε
// (backend.Backend).
func (CPU[T]) NoisyActions(at, t, h, a0, noise []T, rows, d int, guard T) {
	checkRows("NoisyActions", at, d, rows, d)
	checkRows("NoisyActions", a0, d, rows, d)
	checkRows("NoisyActions", noise, d, rows, d)
	checkRows("NoisyActions", t, 1, rows, 1)
	checkRows("NoisyActions", h, 1, rows, 1)
	for s := 0; s < rows; s++ {
		ts := min(max(t[s], guard), 1-guard)
		t[s], h[s] = ts, min(max(h[s], 0), ts)
		for j := s * d; j < (s+1)*d; j++ {
			at[j] = (1-ts)*a0[j] + ts*noise[j]
		}
	}
}
