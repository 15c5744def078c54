package dist

import (
	"math"
	"math/rand/v2"
)

// Regime thresholds; see the package documentation.
const (
	// uniformWidth is the widest interval around 0 sampled by uniform
	// proposals; wider ones use plain normal rejection.
	uniformWidth = 1.5
	// narrowDrop is the largest density drop Δ = (b² − a²)/2 on an
	// interval right of 0 that is sampled by uniform proposals (and whose
	// moments the tests compute by quadrature).
	narrowDrop = 1.0
)

// TruncNormal draws x ~ N(0, 1) conditioned on lo ≤ x ≤ hi
// (docs/algorithm.md §4, Proposal 2). lo and hi may be infinite; lo == hi
// returns lo. The result is always finite and inside [lo, hi]. It panics
// when a bound is NaN, when lo > hi, or when lo == hi is infinite. It
// allocates nothing.
func TruncNormal(rng *rand.Rand, lo, hi float64) float64 {
	if !(lo <= hi) {
		panic("dist: TruncNormal: want lo ≤ hi and no NaN bound")
	}
	if lo == hi {
		if math.IsInf(lo, 0) {
			panic("dist: TruncNormal: empty interval at infinity")
		}
		return lo
	}
	if lo+hi < 0 { // mirror so that the larger part lies right of 0
		return -sampleRight(rng, -hi, -lo)
	}
	return sampleRight(rng, lo, hi) // also (−∞, ∞): lo + hi is NaN
}

// sampleRight samples N(0, 1) on [a, b] for a < b, b ≥ |a|.
func sampleRight(rng *rand.Rand, a, b float64) float64 {
	w := b - a
	if a < 0 {
		if w <= uniformWidth {
			// Uniform proposal, envelope φ(0).
			for {
				x := a + w*rng.Float64()
				if rng.ExpFloat64() >= 0.5*x*x {
					return min(x, b)
				}
			}
		}
		for {
			if x := rng.NormFloat64(); a <= x && x <= b {
				return x
			}
		}
	}
	if 0.5*w*(a+b) <= narrowDrop {
		// Uniform proposal of the offset y = x − a, envelope φ(a).
		for {
			y := w * rng.Float64()
			if rng.ExpFloat64() >= y*(a+0.5*y) {
				return min(a+y, b)
			}
		}
	}
	return robert(rng, a, b, w)
}

// robert samples N(0, 1) on [a, b], a ≥ 0, w = b − a (possibly +Inf), by
// rejection from the exponential of rate λ = a + d shifted to a and
// truncated to [a, b] (Robert 1995).
func robert(rng *rand.Rand, a, b, w float64) float64 {
	var d float64 // λ − a
	if a < 1e150 {
		d = 2 / (a + math.Sqrt(a*a+4))
	} else {
		d = 1 / a // a² would overflow; d = 1/a to 1 part in 10³⁰⁰
	}
	lam := a + d
	em := min(d, w) - d // offset of the ratio's peak from λ
	em2 := em * em
	for {
		y := rng.ExpFloat64() / lam
		if y > w { // fold: y mod w is the exponential truncated to [0, w]
			y -= w * math.Floor(y/w)
			y = max(0, min(y, w))
		}
		e := y - d
		if 2*rng.ExpFloat64() >= e*e-em2 {
			return min(a+y, b)
		}
	}
}
