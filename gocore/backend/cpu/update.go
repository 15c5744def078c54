package cpu

import (
	"fmt"
	"math"
)

// AdamTo is Adam out of place (backend.Backend): the same arithmetic as
// Adam, element for element.
func (CPU[T]) AdamTo(pDst, mDst, vDst, params, grad, m, v []T, step, epsHat, beta1, beta2 T) {
	n := len(params)
	for _, x := range [][]T{pDst, mDst, vDst, grad, m, v} {
		if len(x) != n {
			panic(fmt.Sprintf("backend/cpu: AdamTo: %d params, an operand has %d elements", n, len(x)))
		}
	}
	pDst, mDst, vDst, params, m, v = pDst[:n], mDst[:n], vDst[:n], params[:n], m[:n], v[:n]
	for i, g := range grad[:n] {
		mi := beta1*m[i] + (1-beta1)*g
		vi := beta2*v[i] + (1-beta2)*g*g
		mDst[i], vDst[i] = mi, vi
		pDst[i] = params[i] - step*mi/(T(math.Sqrt(float64(vi)))+epsHat)
	}
}

// PolyakTo sets dst = τ·online + (1−τ)·target (backend.Backend).
func (CPU[T]) PolyakTo(dst, target, online []T, tau T) {
	if len(target) != len(online) || len(dst) != len(online) {
		panic(fmt.Sprintf("backend/cpu: PolyakTo: dst has %d parameters, target %d, online %d", len(dst), len(target), len(online)))
	}
	keep := 1 - tau
	for i, v := range online {
		dst[i] = tau*v + keep*target[i]
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
