package cpu

import (
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
)

// Float is the element type: float32 in production, float64 for the
// reference.
type Float = backend.Float

// tanhInPlace replaces every x[j] by tanh(x[j]).
func tanhInPlace[T Float](x []T) {
	switch x := any(x).(type) {
	case []float32:
		tanh32InPlace(x)
	case []float64:
		for j, v := range x {
			x[j] = math.Tanh(v)
		}
	}
}

// tanh32 coefficients: tanh(x) ≈ x·P(y)/Q(y), y = x²/81, on |x| ≤ 9, with
// P of degree 6 and Q = 1 + q0·y + q1·y² + q2·y³. Fitted for this project
// by iteratively reweighted least squares on the relative error; the
// largest relative error in float32 arithmetic over (0, 9) is 3.5e-7 (3
// ulp). From ±9 on, tanh rounds to ±1 in float32 (to within one ulp), and
// the clamp to ±9 followed by z/9 gives exactly ±1 there: the rational's
// few ulp below 1 would otherwise leave 1 − tanh² ≈ 4e-7 in GELU′, which
// grows as x³ in its tails.
const (
	tanhP0 = 0.9999999975807141
	tanhP1 = 10.599691343386814
	tanhP2 = 20.37961702264372
	tanhP3 = 5.939482277230373
	tanhP4 = -0.8741016730276652
	tanhP5 = 0.18523496718193136
	tanhP6 = -0.024195618299436714
	tanhQ0 = 37.59968784338564
	tanhQ1 = 160.77169810659305
	tanhQ2 = 135.48018134213524
)

func tanh32InPlace(x []float32) {
	for j, v := range x {
		v = min(max(v, -9), 9)
		y := v * v * (1.0 / 81)
		if y >= 1 { // v = ±9
			x[j] = v * (1.0 / 9)
			continue
		}
		p := ((((((tanhP6*y+tanhP5)*y+tanhP4)*y+tanhP3)*y+tanhP2)*y+tanhP1)*y + tanhP0)
		q := (((tanhQ2*y+tanhQ1)*y+tanhQ0)*y + 1)
		x[j] = v * p / q
	}
}
