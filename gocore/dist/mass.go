package dist

import "math"

// LogMass returns log(Φ(hi) − Φ(lo)), the log of the standard normal's
// mass on [lo, hi]: the normaliser of the density φ(x)/(Φ(hi) − Φ(lo))
// that TruncNormal samples. It works without cancellation for bounds
// anywhere, infinite ones included, in three regimes (the interval first
// mirrored, if need be, so that lo + hi ≥ 0):
//
//   - lo ≤ 0 (the interval holds 0): (erf(hi/√2) + erf(−lo/√2))/2, two
//     non-negative terms;
//   - lo > 0 and a drop Δ = (hi² − lo²)/2 ≤ 1 (narrow): φ(lo)·∫₀ʷ
//     exp(−y(lo + y/2)) dy, w = hi − lo, by 20-point Gauss–Legendre, exact
//     to rounding because the integrand varies by at most a factor e;
//   - lo > 0, Δ > 1 (a tail): log Q(lo) + log(1 − Q(hi)/Q(lo)), with
//     Q(x) = 1 − Φ(x), log Q(x) = −x²/2 − ½·log 2π − log(x + t_x) from the
//     Mills ratio R(x) = Q(x)/φ(x) = 1/(x + t_x) for x ≥ 2 (math.Erfc
//     below), and Q(hi)/Q(lo) = e^−Δ·(lo + t_lo)/(hi + t_hi) < e^−1.
//
// lo == hi gives −Inf, as does an interval whose mass is below float64's
// range (lo beyond about 1.3e154). It panics when a bound is NaN or
// lo > hi. It allocates nothing.
func LogMass(lo, hi float64) float64 {
	if !(lo <= hi) {
		panic("dist: LogMass: want lo ≤ hi and no NaN bound")
	}
	if lo == hi {
		return math.Inf(-1)
	}
	if lo+hi < 0 { // mirror; (−∞, ∞) has lo + hi NaN and stays
		lo, hi = -hi, -lo
	}
	if lo <= 0 {
		return math.Log(0.5 * (math.Erf(hi/math.Sqrt2) + math.Erf(-lo/math.Sqrt2)))
	}
	logPhi := -0.5*lo*lo - 0.5*math.Log(2*math.Pi) // log φ(lo)
	w := hi - lo
	if drop := 0.5 * w * (lo + hi); drop <= narrowDrop {
		h := 0.5 * w
		var s float64
		for i, u := range glNodes {
			for _, y := range [2]float64{h - h*u, h + h*u} {
				s += glWeights[i] * math.Exp(-y*(lo+0.5*y))
			}
		}
		return logPhi + math.Log(h*s)
	}
	ta, _ := mills(lo)
	var logQ float64
	if lo < 2 {
		logQ = math.Log(0.5 * math.Erfc(lo/math.Sqrt2))
	} else {
		logQ = logPhi - math.Log(lo+ta)
	}
	if math.IsInf(hi, 1) || math.IsInf(logQ, -1) {
		return logQ
	}
	tb, _ := mills(hi)
	logRatio := -0.5*w*(lo+hi) + math.Log((lo+ta)/(hi+tb)) // log Q(hi)/Q(lo) < −1
	return logQ + math.Log(-math.Expm1(logRatio))
}

// mills returns t and s for x ≥ 0, where the Mills ratio is
// R(x) = Q(x)/φ(x) = 1/(x + t) and t = 1/(x + s): the one-sided tail
// [x, ∞) has mean x + t and variance t(s − t).
func mills(x float64) (t, s float64) {
	if x < 2 {
		r := math.Sqrt(math.Pi/2) * math.Erfc(x/math.Sqrt2) * math.Exp(0.5*x*x)
		t = 1/r - x
		return t, 1/t - x
	}
	// s = 2/(x + 3/(x + 4/(x + …))), evaluated backwards from depth n:
	// 16 + 600/x² terms give full double precision for x ≥ 2.
	n := 16
	if x < 1e3 {
		n += int(600 / (x * x))
	}
	f := 0.0
	for k := n; k >= 2; k-- {
		f = float64(k) / (x + f)
	}
	return 1 / (x + f), f
}

// glNodes and glWeights are the non-negative halves of the 20-point
// Gauss–Legendre rule on [−1, 1] (nodes ±u_i, weights w_i).
var glNodes, glWeights = legendre(20)

// legendre computes the n-point Gauss–Legendre rule (n even) by Newton's
// method on P_n from the usual initial guesses, returning the n/2
// positive nodes and their weights.
func legendre(n int) ([10]float64, [10]float64) {
	var nodes, weights [10]float64
	if n != 2*len(nodes) {
		panic("dist: legendre: rule size mismatch")
	}
	for i := range nodes {
		u := math.Cos(math.Pi * (float64(i) + 0.75) / (float64(n) + 0.5))
		var dp float64
		for iter := 0; iter < 100; iter++ {
			// P_n(u) and P_n′(u) by the three-term recurrence.
			p0, p1 := 1.0, u
			for k := 2; k <= n; k++ {
				p0, p1 = p1, ((2*float64(k)-1)*u*p1-(float64(k)-1)*p0)/float64(k)
			}
			dp = float64(n) * (u*p1 - p0) / (u*u - 1)
			du := p1 / dp
			u -= du
			if math.Abs(du) < 1e-16 {
				break
			}
		}
		// Recompute P_n′ at the converged node for the weight.
		p0, p1 := 1.0, u
		for k := 2; k <= n; k++ {
			p0, p1 = p1, ((2*float64(k)-1)*u*p1-(float64(k)-1)*p0)/float64(k)
		}
		dp = float64(n) * (u*p1 - p0) / (u*u - 1)
		nodes[i] = u
		weights[i] = 2 / ((1 - u*u) * dp * dp)
	}
	return nodes, weights
}
