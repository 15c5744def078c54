package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TruncNormal draws x ~ N(0, 1) conditioned on lo ≤ x ≤ hi. The bounds may
// be infinite; it panics on lo > hi or a NaN bound.
func TruncNormal(rng *rand.Rand, lo, hi float64) float64 {
	if !(lo <= hi) {
		panic(fmt.Sprintf("dist: TruncNormal: interval [%v, %v] is empty or NaN", lo, hi))
	}
	switch {
	case lo == hi:
		return lo
	case hi <= 0:
		return -upperTail(rng, -hi, -lo)
	case lo >= 0:
		return upperTail(rng, lo, hi)
	}
	// lo < 0 < hi: the inverse CDF around the mode.
	plo, phi := cdf(lo), cdf(hi)
	x := quantile(plo + rng.Float64()*(phi-plo))
	return min(max(x, lo), hi)
}

// upperTail draws from N(0, 1) truncated to [a, b], 0 ≤ a < b.
func upperTail(rng *rand.Rand, a, b float64) float64 {
	switch {
	case (b-a)*b <= 1:
		for {
			x := a + (b-a)*rng.Float64()
			if rng.Float64() <= math.Exp((a*a-x*x)/2) {
				return min(x, b)
			}
		}
	case a < 5:
		qa, qb := tail(a), tail(b)
		x := tailQuantile(qa - rng.Float64()*(qa-qb))
		return min(max(x, a), b)
	}
	lambda := (a + math.Sqrt(a*a+4)) / 2
	for {
		x := a + rng.ExpFloat64()/lambda
		if x <= b && rng.Float64() <= math.Exp(-(x-lambda)*(x-lambda)/2) {
			return x
		}
	}
}

// cdf is Φ(x); tail is Φc(x) = 1 − Φ(x); quantile and tailQuantile their
// inverses.
func cdf(x float64) float64          { return 0.5 * math.Erfc(-x/math.Sqrt2) }
func tail(x float64) float64         { return 0.5 * math.Erfc(x/math.Sqrt2) }
func quantile(p float64) float64     { return -math.Sqrt2 * math.Erfcinv(2*p) }
func tailQuantile(q float64) float64 { return math.Sqrt2 * math.Erfcinv(2*q) }
func density(x float64) float64      { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }

// TruncNormalMoments returns the mean and variance of N(0, 1) truncated
// to [lo, hi] (lo < hi; the bounds may be infinite).
func TruncNormalMoments(lo, hi float64) (mean, variance float64) {
	if !(lo < hi) {
		panic(fmt.Sprintf("dist: TruncNormalMoments: interval [%v, %v] is empty, a point or NaN", lo, hi))
	}
	if hi <= 0 {
		m, v := TruncNormalMoments(-hi, -lo)
		return -m, v
	}
	if lo < 0 {
		// Straddling the mode: Z = Φ(hi) − Φ(lo) is not small.
		z := cdf(hi) - cdf(lo)
		m := (densityOrZero(lo) - densityOrZero(hi)) / z
		s := (xDensity(lo) - xDensity(hi)) / z
		return m, 1 + s - m*m
	}
	// 0 ≤ lo < hi: divide through by φ(lo), with e = φ(hi)/φ(lo):
	// Z/φ(lo) = R(lo) − e·R(hi), mean = (1 − e)/(Z/φ(lo)),
	// E[x²] − 1 = (lo − hi·e)/(Z/φ(lo)).
	e := 0.0
	if !math.IsInf(hi, 1) {
		e = math.Exp((lo*lo - hi*hi) / 2)
	}
	rhi := 0.0
	if e > 0 {
		rhi = mills(hi)
	}
	z := mills(lo) - e*rhi
	m := (1 - e) / z
	s := lo
	if e > 0 {
		s -= hi * e
	}
	s /= z
	return m, 1 + s - m*m
}

func densityOrZero(x float64) float64 {
	if math.IsInf(x, 0) {
		return 0
	}
	return density(x)
}

func xDensity(x float64) float64 {
	if math.IsInf(x, 0) {
		return 0
	}
	return x * density(x)
}

// mills is the Mills ratio R(x) = Φc(x)/φ(x) for x ≥ 0: directly below 5,
// by its continued fraction 1/(x + 1/(x + 2/(x + 3/(x + …)))) above.
func mills(x float64) float64 {
	if x < 5 {
		return tail(x) / density(x)
	}
	f := x
	for k := 60; k >= 1; k-- {
		f = x + float64(k)/f
	}
	return 1 / f
}
