package dist

import "math"

// truncNormalMoments returns the mean and variance of N(0, 1) conditioned
// on lo ≤ x ≤ hi, the distribution TruncNormal samples: the tests' reference
// for its sample moments. lo == hi gives (lo, 0); it panics like
// TruncNormal. With the interval mirrored so that a + b ≥ 0 (the mean
// changes sign), w = b − a and the drop Δ as in TruncNormal, it works
// without cancellation in three regimes:
//
//   - Δ ≤ 1 (narrow, the drop defined as b²/2 when the interval straddles
//     0): 20-point Gauss–Legendre quadrature of the moments of the offset
//     y = x − a under the weight exp(−y(a + y/2)) on [0, w], the variance
//     formed as a centred second moment. The weight varies by at most a
//     factor e² on the interval, so the rule is exact to rounding, and
//     nothing cancels for any width (down to w = 0).
//   - a < 0, Δ > 1 (a wide interval around 0): Z = 1 − Φ(a) − Q(b), with
//     Q(x) = Φ(−x) = erfc(x/√2)/2, mean = (φ(a) − φ(b))/Z, variance =
//     1 + (aφ(a) − bφ(b))/Z − mean². Z > 0.42 and the variance > 0.1 here.
//   - a ≥ 0, Δ > 1 (a tail): from one-sided tails. With the Mills ratio
//     R(x) = Q(x)/φ(x), the one-sided tail [x, ∞) has mean x + t and
//     variance t(s − t), where R(x) = 1/(x + t), t = 1/(x + s) and
//     s = 2/(x + 3/(x + 4/(x + …))) (Laplace's continued fraction; for
//     x < 2, R comes from math.Erfc and t, s from it). These forms never
//     subtract numbers of the size of x. The interval [a, b] is the tail
//     [a, ∞) less the tail [b, ∞), which has relative weight
//     π = e^−Δ·R(b)/R(a) < e^−1, and the law of total variance gives
//     mean − a = (t_a − π(w + t_b))/(1 − π) and
//     variance = (V_a − π V_b − π(1 − π)(w + t_b − (mean − a))²)/(1 − π).
//     Because π < e^−1 the subtractions lose at most about a decimal
//     digit, whatever a is.
//
// Far out, the one-sided tail [a, ∞) has mean a + 1/a − 2/a³ + … and
// variance 1/a² − 6/a⁴ + …; the tests check this and, for moderate
// intervals, compare with numerical integration.
func truncNormalMoments(lo, hi float64) (mean, variance float64) {
	if !(lo <= hi) {
		panic("dist: truncNormalMoments: want lo ≤ hi and no NaN bound")
	}
	if lo == hi {
		if math.IsInf(lo, 0) {
			panic("dist: truncNormalMoments: empty interval at infinity")
		}
		return lo, 0
	}
	if math.IsInf(lo, -1) && math.IsInf(hi, 1) {
		return 0, 1
	}
	sign, a, b := 1.0, lo, hi
	if lo+hi < 0 {
		sign, a, b = -1, -hi, -lo
	}
	w := b - a
	drop := 0.5 * b * b
	if a >= 0 {
		drop = 0.5 * w * (a + b)
	}
	switch {
	case drop <= narrowDrop:
		mean, variance = narrowMoments(a, w)
	case a < 0:
		mean, variance = centralMoments(a, b)
	default:
		mean, variance = tailMoments(a, b, w, drop)
	}
	return sign * mean, variance
}

// narrowMoments integrates the moments of y = x − a over [0, w] under
// the weight exp(−y(a + y/2)) = φ(a + y)/φ(a) with Gauss–Legendre.
func narrowMoments(a, w float64) (mean, variance float64) {
	h := 0.5 * w
	var z, m1 float64
	var f, y [2 * len(glNodes)]float64
	for i, u := range glNodes {
		for j, s := range [2]float64{-1, 1} {
			k := 2*i + j
			y[k] = h + s*h*u
			f[k] = glWeights[i] * math.Exp(-y[k]*(a+0.5*y[k]))
			z += f[k]
			m1 += f[k] * y[k]
		}
	}
	m1 /= z
	var m2 float64
	for k := range y {
		d := y[k] - m1
		m2 += f[k] * d * d
	}
	return a + m1, m2 / z
}

// centralMoments is for a < 0 < b (b may be +Inf) with the interval
// holding most of the mass near 0.
func centralMoments(a, b float64) (mean, variance float64) {
	z := 1 - 0.5*math.Erfc(-a/math.Sqrt2) - 0.5*math.Erfc(b/math.Sqrt2)
	pa, pb := pdf(a), pdf(b)
	apa, bpb := 0.0, 0.0 // a·φ(a), b·φ(b), 0 at infinite bounds
	if !math.IsInf(a, 0) {
		apa = a * pa
	}
	if !math.IsInf(b, 0) {
		bpb = b * pb
	}
	mean = (pa - pb) / z
	variance = 1 + (apa-bpb)/z - mean*mean
	return mean, variance
}

// tailMoments is for 0 ≤ a < b (b may be +Inf) with e^−drop < e^−1.
func tailMoments(a, b, w, drop float64) (mean, variance float64) {
	ta, sa := mills(a)
	va := ta * (sa - ta)
	if math.IsInf(b, 1) {
		return a + ta, va
	}
	tb, sb := mills(b)
	vb := tb * (sb - tb)
	// π = Q(b)/Q(a) = e^−drop·R(b)/R(a), R(x) = 1/(x + t_x).
	p := math.Exp(-drop) * (a + ta) / (b + tb)
	nu := (ta - p*(w+tb)) / (1 - p)
	dm := w + tb - nu
	variance = (va - p*vb - p*(1-p)*dm*dm) / (1 - p)
	return a + nu, variance
}

// pdf is the standard normal density φ(x).
func pdf(x float64) float64 {
	return math.Exp(-0.5*x*x) / math.Sqrt(2*math.Pi)
}
