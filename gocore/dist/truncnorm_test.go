package dist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
)

var inf = math.Inf(1)

// momentIntervals are the intervals whose sample moments are checked:
// the brief's list, then regime boundaries and extra shapes.
var momentIntervals = [][2]float64{
	{-1, 1}, {0, inf}, {2, 3}, {-inf, -5}, {5, 6}, {10, 10.5}, {39, 40}, {-40, -39.9}, {-40, 40},
	{30, inf}, {1, 1 + 1e-9}, {3, 3},
	{-inf, inf}, {-0.3, 0.2}, {-1e-3, 40}, {4.9, 5.1}, {0.2, 0.4}, {-0.75, 0.75}, {-0.7, 0.8001},
	{0, math.Sqrt2}, {0, 1.4143}, {1.5, 4}, {-2.5, -2}, {0.5, 1.5}, {-12, -11}, {1e3, 1e3 + 1e-3},
	{1e4, inf}, {-1e-9, 2e-9},
}

// TestSampleMomentsMatchTheAnalyticOnes draws 200 000 values per interval
// and compares the sample mean and variance with truncNormalMoments in
// standard errors (the variance's from the sample fourth moment).
func TestSampleMomentsMatchTheAnalyticOnes(t *testing.T) {
	const n = 200_000
	xs := make([]float64, n)
	worstM, worstV := 0.0, 0.0
	for k, iv := range momentIntervals {
		lo, hi := iv[0], iv[1]
		rng := rand.New(rand.NewPCG(1, uint64(k)))
		m, v := truncNormalMoments(lo, hi)
		for i := range xs {
			x := TruncNormal(rng, lo, hi)
			if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
				t.Fatalf("[%v, %v]: draw %v", lo, hi, x)
			}
			xs[i] = x
		}
		if lo == hi {
			if m != lo || v != 0 || slices.ContainsFunc(xs, func(x float64) bool { return x != lo }) {
				t.Fatalf("[%v, %v]: moments %v %v, or a draw other than %v", lo, hi, m, v, lo)
			}
			continue
		}
		// Sums of offsets from the exact mean keep far tails free of
		// cancellation.
		var s1 float64
		for _, x := range xs {
			s1 += x - m
		}
		d := s1 / n // sample mean − m
		var s2, s4 float64
		for _, x := range xs {
			e := x - m - d
			s2 += e * e
			s4 += e * e * e * e
		}
		sv := s2 / (n - 1)
		m4 := s4 / n
		zm := d / math.Sqrt(v/n)
		zv := (sv - v) / math.Sqrt(max(m4-sv*sv, 0)/n)
		worstM, worstV = max(worstM, math.Abs(zm)), max(worstV, math.Abs(zv))
		t.Logf("[%-12.10g, %-12.10g]: mean %-12.10g (exact %-12.10g, z %+5.2f)  variance %-10.5g (exact %-10.5g, z %+5.2f)",
			lo, hi, m+d, m, zm, sv, v, zv)
		if math.Abs(zm) > 5 || math.Abs(zv) > 5 {
			t.Errorf("[%v, %v]: sample mean %v variance %v, exact %v %v (z %.2f, %.2f)", lo, hi, m+d, sv, m, v, zm, zv)
		}
	}
	t.Logf("worst |z|: mean %.2f, variance %.2f over %d intervals", worstM, worstV, len(momentIntervals))
}

// quadMoments is the oracle: the mean and variance of N(0, 1) on [lo, hi]
// by composite 20-point Gauss–Legendre (gonum) of the density relative to
// its value at the anchor c, the point of [lo, hi] nearest 0 (anchored).
func quadMoments(lo, hi float64) (mean, variance float64) {
	c, weight, integrate := anchored(lo, hi)
	z := integrate(weight)
	m1 := integrate(func(u float64) float64 { return u * weight(u) }) / z
	m2 := integrate(func(u float64) float64 { return (u - m1) * (u - m1) * weight(u) }) / z
	return c + m1, m2
}

// quadLogMass is the oracle for LogMass: log φ(c) + log ∫ φ(x)/φ(c) dx.
func quadLogMass(lo, hi float64) float64 {
	c, weight, integrate := anchored(lo, hi)
	return -0.5*c*c - 0.5*math.Log(2*math.Pi) + math.Log(integrate(weight))
}

// anchored returns the anchor c of [lo, hi] (its point nearest 0), the
// density relative to its value there in the offset u = x − c,
// φ(x)/φ(c) = exp(−u(c + u/2)), and a composite 20-point Gauss–Legendre
// rule over the offsets of the interval. Mass beyond e^−60 of the peak is
// cut off. Valid for |c| ≤ 1e6.
func anchored(lo, hi float64) (c float64, weight func(float64) float64, integrate func(func(float64) float64) float64) {
	c = max(lo, min(hi, 0))
	ac := math.Abs(c)
	cut := 120 / (ac + math.Sqrt(ac*ac+120)) // u where |c|u + u²/2 = 60
	u0, u1 := max(lo-c, -cut), min(hi-c, cut)
	h := min(0.25, 0.25/ac)
	panels := max(1, int(math.Ceil((u1-u0)/h)))
	weight = func(u float64) float64 { return math.Exp(-u * (c + 0.5*u)) }
	integrate = func(f func(float64) float64) float64 {
		var s float64
		for p := 0; p < panels; p++ {
			a := u0 + (u1-u0)*float64(p)/float64(panels)
			b := u0 + (u1-u0)*float64(p+1)/float64(panels)
			s += quad.Fixed(f, a, b, 20, nil, 0)
		}
		return s
	}
	return c, weight, integrate
}

// LogMass against quadrature, on the moment tests' intervals and more:
// deep tails, narrow intervals far out, bounds on both sides of 0. The
// error is absolute in the log (relative in the mass), beyond the
// rounding of the log itself.
func TestLogMassAgainstQuadrature(t *testing.T) {
	ivs := [][2]float64{
		{-1, 1}, {2, 3}, {-0.5, 4}, {5, 6}, {-3, -2.5}, {0, inf}, {-inf, 0}, {-inf, inf}, {10, 10.5},
		{39, 40}, {-40, -39.9}, {-40, 40}, {30, inf}, {1, 1 + 1e-9}, {-2, -2 + 1e-12}, {2, 2 + 1e-6},
		{1e3, 1e3 + 1e-3}, {1e3, 1e3 + 1e-2}, {-0.1, 5}, {-1.4, 1.41}, {1.9999999, inf}, {2.0000001, inf},
		{1.9999999, 3}, {2.0000001, 3}, {-1e-50, 2e-50}, {0, 1e-60}, {7, 7.2}, {-0.01, 0.02}, {3, 3.000001},
		{41, 79}, {-79, -41}, {200, 200.5}, {1e-3, 2e-3}, {0.5, 40}, {-6, -5.9}, {-inf, -38}, {-2, inf},
	}
	worst := 0.0
	for _, iv := range ivs {
		lo, hi := iv[0], iv[1]
		got, want := LogMass(lo, hi), quadLogMass(lo, hi)
		e := math.Abs(got - want)
		worst = max(worst, e)
		if !(e <= 1e-12+4*ulp(want)) { // the last bits of a large log
			t.Errorf("LogMass(%v, %v) = %.17g, quadrature %.17g (error %.2g)", lo, hi, got, want, e)
		}
		// The mirror image has the same mass.
		if m := LogMass(-hi, -lo); m != got {
			t.Errorf("LogMass(%v, %v) = %v, its mirror %v", lo, hi, got, m)
		}
	}
	t.Logf("worst error over %d intervals: %.2g (in the log)", len(ivs), worst)
	// Closed forms: the half line, the whole line, a point, and tails
	// whose mass is below float64's range.
	for _, c := range []struct{ lo, hi, want float64 }{
		{0, inf, math.Log(0.5)}, {-inf, inf, 0}, {3, 3, math.Inf(-1)}, {-inf, -inf, math.Inf(-1)},
	} {
		if got := LogMass(c.lo, c.hi); got != c.want {
			t.Errorf("LogMass(%v, %v) = %v, want %v", c.lo, c.hi, got, c.want)
		}
	}
	// Far out, log Q(a) = −a²/2 − log a − ½ log 2π − 1/a² + …: finite
	// where the mass itself underflows.
	for _, a := range []float64{40, 1e3, 1e6, 1e100} {
		got := LogMass(a, inf)
		want := -0.5*a*a - math.Log(a) - 0.5*math.Log(2*math.Pi) - 1/(a*a)
		if math.IsInf(got, 0) || math.Abs(got-want) > 4*ulp(want)+3/math.Pow(a, 4) {
			t.Errorf("LogMass(%v, ∞) = %.17g, asymptotic %.17g", a, got, want)
		}
	}
}

func TestLogMassRefusesBadIntervals(t *testing.T) {
	for _, iv := range [][2]float64{{1, 0}, {math.NaN(), 1}, {0, math.NaN()}, {inf, -inf}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LogMass(%v, %v) did not panic", iv[0], iv[1])
				}
			}()
			LogMass(iv[0], iv[1])
		}()
	}
}

func TestMomentsAgainstQuadrature(t *testing.T) {
	ivs := [][2]float64{
		{-1, 1}, {2, 3}, {-0.5, 4}, {5, 6}, {-3, -2.5}, {0, inf}, {-inf, 0}, {-inf, inf}, {10, 10.5},
		{39, 40}, {-40, -39.9}, {-40, 40}, {30, inf}, {1, 1 + 1e-9}, {-2, -2 + 1e-12}, {2, 2 + 1e-6},
		{1e3, 1e3 + 1e-3}, {1e3, 1e3 + 1e-2}, {1e5, inf}, {-0.1, 5}, {-1.4, 1.41}, {-1.4, 1.42},
		// around the regime boundaries: Δ = 1, the Mills ratio's switch at 2
		{0, math.Sqrt2 - 1e-9}, {0, math.Sqrt2 + 1e-9}, {0.5, math.Sqrt(2.25) - 1e-12}, {0.5, 1.5 + 1e-12},
		{1.9999999, inf}, {2.0000001, inf}, {1.9999999, 3}, {2.0000001, 3}, {-1e-50, 2e-50}, {0, 1e-60},
		{7, 7.2}, {-0.01, 0.02}, {3, 3.000001}, {-1.2, 1.7},
	}
	worstM, worstV := 0.0, 0.0
	for _, iv := range ivs {
		lo, hi := iv[0], iv[1]
		m, v := truncNormalMoments(lo, hi)
		qm, qv := quadMoments(lo, hi)
		// Mean error in units of the standard deviation (plus the
		// rounding of the mean itself), variance error relative.
		em := math.Abs(m-qm) / (math.Sqrt(qv) + 4*ulp(qm))
		ev := math.Abs(v-qv) / qv
		if !(qv > 0) || math.IsNaN(ev) {
			t.Fatalf("[%v, %v]: quadrature variance %v", lo, hi, qv)
		}
		worstM, worstV = max(worstM, em), max(worstV, ev)
		if em > 1e-11 || ev > 1e-11 {
			t.Errorf("[%v, %v]: moments %.17g %.17g, quadrature %.17g %.17g (errors %.2g sd, %.2g relative)", lo, hi, m, v, qm, qv, em, ev)
		}
	}
	t.Logf("worst error over %d intervals: mean %.2g standard deviations, variance %.2g relative", len(ivs), worstM, worstV)
}

func ulp(x float64) float64 { return math.Abs(math.Nextafter(x, math.Inf(1)) - x) }

// Far one-sided tails: mean = a + 1/a − 2/a³ + 10/a⁵ − 74/a⁷ + …,
// variance = 1/a² − 6/a⁴ + 50/a⁶ − 518/a⁸ + …; the tolerance is a bound on
// the first omitted term plus rounding.
func TestMomentsFarTailAsymptotics(t *testing.T) {
	for _, a := range []float64{40, 100, 1e3, 1e6, 1e20, 1e100, 1e300} {
		m, v := truncNormalMoments(a, inf)
		nu := 1/a - 2/(a*a*a) + 10/math.Pow(a, 5)
		wv := 1/(a*a) - 6/math.Pow(a, 4) + 50/math.Pow(a, 6)
		em, ev := math.Abs(m-(a+nu)), math.Abs(v-wv)
		t.Logf("[%g, ∞): mean − a = %.17g (asymptotic %.17g), variance %.17g (asymptotic %.17g)", a, m-a, nu, v, wv)
		if em > 2*ulp(a)+80/math.Pow(a, 7) || ev > 1e-14*wv+600/math.Pow(a, 8) || !(v >= 0) {
			t.Errorf("[%v, ∞): mean %.17g variance %.17g, asymptotics %.17g %.17g", a, m, v, a+nu, wv)
		}
		// Mirror image.
		m2, v2 := truncNormalMoments(-inf, -a)
		if m2 != -m || v2 != v {
			t.Errorf("(−∞, %v]: moments %v %v, want %v %v", -a, m2, v2, -m, v)
		}
	}
	// Half-normal: mean √(2/π), variance 1 − 2/π.
	if m, v := truncNormalMoments(0, inf); math.Abs(m-math.Sqrt(2/math.Pi)) > 1e-15 || math.Abs(v-(1-2/math.Pi)) > 1e-15 {
		t.Errorf("[0, ∞): %v %v", m, v)
	}
	// A point and the whole line.
	if m, v := truncNormalMoments(3, 3); m != 3 || v != 0 {
		t.Errorf("[3, 3]: %v %v", m, v)
	}
	if m, v := truncNormalMoments(-inf, inf); m != 0 || v != 1 {
		t.Errorf("(−∞, ∞): %v %v", m, v)
	}
}

// Every draw is finite and inside [lo, hi], and every moment finite with
// a non-negative variance, for intervals from everywhere: huge and tiny
// magnitudes, tiny widths, infinite bounds, signed zeros.
func TestExtremeIntervalsStayInside(t *testing.T) {
	gen := rand.New(rand.NewPCG(11, 12))
	rng := rand.New(rand.NewPCG(13, 14))
	scales := []float64{0, 1e-300, 1e-9, 0.1, 1, 3, 10, 40, 1e3, 1e8, 1e150, 1e300, math.MaxFloat64}
	pick := func() float64 {
		switch gen.IntN(12) {
		case 0:
			return inf
		case 1:
			return -inf
		case 2:
			return math.Copysign(0, -1)
		}
		return scales[gen.IntN(len(scales))] * (2*gen.Float64() - 1) * 2
	}
	var ivs [][2]float64
	for i := 0; i < 20000; i++ {
		lo := pick()
		var hi float64
		switch gen.IntN(4) {
		case 0: // tiny width
			hi = lo + math.Abs(lo)*1e-12*gen.Float64()
		case 1:
			hi = math.Nextafter(lo, inf)
		default:
			hi = pick()
		}
		if math.IsInf(lo, 0) && lo == hi || math.IsNaN(hi) {
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		ivs = append(ivs, [2]float64{lo, hi})
	}
	ivs = append(ivs, [][2]float64{{1e155, inf}, {-inf, -1e155}, {1e160, 1e160 * (1 + 1e-15)},
		{math.MaxFloat64, inf}, {-math.MaxFloat64, math.MaxFloat64}, {1e8, 1e8 + 1e-8}, {5e-324, 1e-323}}...)
	for _, iv := range ivs {
		lo, hi := iv[0], iv[1]
		for k := 0; k < 20; k++ {
			if x := TruncNormal(rng, lo, hi); math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
				t.Fatalf("TruncNormal(%v, %v) = %v", lo, hi, x)
			}
		}
		m, v := truncNormalMoments(lo, hi)
		if math.IsNaN(m) || math.IsInf(m, 0) || m < lo || m > hi || math.IsNaN(v) || v < 0 || v > 1 {
			t.Fatalf("truncNormalMoments(%v, %v) = %v, %v", lo, hi, m, v)
		}
	}
}

func FuzzTruncNormal(f *testing.F) {
	for _, iv := range momentIntervals {
		f.Add(iv[0], iv[1], uint64(1))
	}
	f.Add(1e155, inf, uint64(2))
	f.Fuzz(func(t *testing.T, lo, hi float64, seed uint64) {
		if !(lo <= hi) || math.IsInf(lo, 0) && lo == hi {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		for k := 0; k < 10; k++ {
			if x := TruncNormal(rng, lo, hi); math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
				t.Fatalf("TruncNormal(%v, %v) = %v", lo, hi, x)
			}
		}
		if m, v := truncNormalMoments(lo, hi); math.IsNaN(m) || m < lo || m > hi || !(v >= 0 && v <= 1) {
			t.Fatalf("truncNormalMoments(%v, %v) = %v, %v", lo, hi, m, v)
		}
	})
}

// TestDistributionShape compares the empirical distribution function
// with the exact one (from the quadrature oracle) on a grid of 64 points
// per interval: a Kolmogorov–Smirnov distance on the grid.
func TestDistributionShape(t *testing.T) {
	const n = 100_000
	xs := make([]float64, n)
	worst := 0.0
	for k, iv := range [][2]float64{
		{-1, 1}, {-0.7, 0.8}, {-3, 2}, {0.5, 1.5}, {0, 1}, {2, 3}, {5, 6}, {-40, -39.9}, {39, 40}, {30, 1e3},
		{1e3, 1e3 + 1e-2}, {1, 1 + 1e-9}, {-0.2, 7},
	} {
		lo, hi := iv[0], iv[1]
		rng := rand.New(rand.NewPCG(21, uint64(k)))
		for i := range xs {
			xs[i] = TruncNormal(rng, lo, hi)
		}
		sort.Float64s(xs)
		// Grid on the sample's range; exact F(x) = mass of [lo, x] / mass of [lo, hi].
		c := max(lo, min(hi, 0))
		ac := math.Abs(c)
		cut := 120 / (ac + math.Sqrt(ac*ac+120))
		u0, u1 := max(lo-c, -cut), min(hi-c, cut)
		weight := func(u float64) float64 { return math.Exp(-u * (c + 0.5*u)) }
		mass := func(a, b float64) float64 { // ∫ weight over [a, b], 64 panels
			var s float64
			for p := 0; p < 64; p++ {
				s += quad.Fixed(weight, a+(b-a)*float64(p)/64, a+(b-a)*float64(p+1)/64, 20, nil, 0)
			}
			return s
		}
		z := mass(u0, u1)
		d := 0.0
		for g := 1; g < 64; g++ {
			u := u0 + (u1-u0)*float64(g)/64
			f := mass(u0, u) / z
			emp := float64(sort.SearchFloat64s(xs, c+u)) / n
			d = max(d, math.Abs(emp-f))
		}
		stat := d * math.Sqrt(n)
		worst = max(worst, stat)
		// √n·D > 1.95 has probability 0.001 under the null.
		if stat > 1.95 {
			t.Errorf("[%v, %v]: √n·D = %.3f on the grid", lo, hi, stat)
		}
	}
	t.Logf("worst √n·D on the grid: %.3f (0.1%% critical value 1.95)", worst)
}

// countingSource counts the 64-bit words drawn.
type countingSource struct {
	src rand.Source
	n   int
}

func (c *countingSource) Uint64() uint64 { c.n++; return c.src.Uint64() }

// TestRandomWordsPerDraw bounds the rejection loops' cost: the mean
// number of 64-bit random words per draw over a grid of intervals.
func TestRandomWordsPerDraw(t *testing.T) {
	src := &countingSource{src: rand.NewPCG(31, 32)}
	rng := rand.New(src)
	worst, worstIv := 0.0, [2]float64{}
	bounds := []float64{-inf, -40, -10, -5, -3, -2, -1.5, -1, -0.75, -0.5, -0.2, 0, 1e-6, 0.2, 0.5, 0.75, 1, 1.41, 1.5, 2, 3, 5, 10, 40, inf}
	for _, lo := range bounds {
		for _, hi := range bounds {
			if !(lo < hi) || lo == -inf && hi == -inf {
				continue
			}
			for _, h := range []float64{hi, lo + 1e-6, lo + 0.1} { // also narrow ones
				if math.IsInf(lo, 0) || h > hi {
					h = hi
				}
				src.n = 0
				const draws = 20000
				for i := 0; i < draws; i++ {
					TruncNormal(rng, lo, h)
				}
				if w := float64(src.n) / draws; w > worst {
					worst, worstIv = w, [2]float64{lo, h}
				}
			}
		}
	}
	t.Logf("worst mean: %.2f random words per draw, on [%v, %v]", worst, worstIv[0], worstIv[1])
	if worst > 6 {
		t.Errorf("[%v, %v] needs %.2f random words per draw", worstIv[0], worstIv[1], worst)
	}
}

func TestNoAllocationsAndDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	if a := testing.AllocsPerRun(1000, func() {
		TruncNormal(rng, -0.8, 1.9)
		TruncNormal(rng, 39, 40)
		TruncNormal(rng, 1, 1+1e-9)
	}); a != 0 {
		t.Errorf("TruncNormal allocates %v times", a)
	}
	r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 1000; i++ {
		lo := float64(i%50) - 25
		if x, y := TruncNormal(r1, lo, lo+float64(i%7)*0.3), TruncNormal(r2, lo, lo+float64(i%7)*0.3); x != y {
			t.Fatalf("same seed, draw %d: %v and %v", i, x, y)
		}
	}
}

func TestBadIntervalsPanic(t *testing.T) {
	nan := math.NaN()
	for _, iv := range [][2]float64{{1, 0}, {nan, 1}, {0, nan}, {nan, nan}, {inf, inf}, {-inf, -inf}, {inf, -inf}} {
		for name, f := range map[string]func(){
			"TruncNormal":        func() { TruncNormal(rand.New(rand.NewPCG(1, 1)), iv[0], iv[1]) },
			"truncNormalMoments": func() { truncNormalMoments(iv[0], iv[1]) },
		} {
			func() {
				defer func() {
					if r, ok := recover().(string); !ok || !strings.HasPrefix(r, "dist: ") {
						t.Errorf("%s(%v, %v): recovered %q, want a \"dist: \" panic", name, iv[0], iv[1], r)
					}
				}()
				f()
			}()
		}
	}
}

// proposalIntervals are 4096 intervals as §4's Gaussian-posterior
// proposal makes them: t from the (t, r) sampler's logit-normal clamped
// to [1e−4, 1 − 1e−4], a₀ ~ U[−1, 1], ε ~ N(0, 1), a_t = (1 − t)a₀ + tε,
// [lo, hi] = [(a_t − (1 − t))/t, (a_t + (1 − t))/t].
func proposalIntervals() [][2]float64 {
	rng := rand.New(rand.NewPCG(41, 42))
	ivs := make([][2]float64, 4096)
	for i := range ivs {
		t := 1 / (1 + math.Exp(-(-0.4 + rng.NormFloat64())))
		t = max(1e-4, min(t, 1-1e-4))
		at := (1-t)*(2*rng.Float64()-1) + t*rng.NormFloat64()
		ivs[i] = [2]float64{(at - (1 - t)) / t, (at + (1 - t)) / t}
	}
	return ivs
}

func BenchmarkTruncNormal(b *testing.B) {
	for _, iv := range [][2]float64{
		{-0.8, 1.9}, {-0.3, 0.2}, {-1, 1}, {-inf, inf}, {0.5, 1.5}, {1.5, 4}, {2, 3}, {5, 6}, {12, 13},
		{39, 40}, {30, inf}, {1, 1 + 1e-9},
	} {
		b.Run(fmt.Sprintf("[%g,%g]", iv[0], iv[1]), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			var s float64
			for b.Loop() {
				s += TruncNormal(rng, iv[0], iv[1])
			}
			sink = s
		})
	}
	b.Run("proposal-mix", func(b *testing.B) {
		ivs := proposalIntervals()
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		var s float64
		i := 0
		for b.Loop() {
			iv := ivs[i&4095]
			s += TruncNormal(rng, iv[0], iv[1])
			i++
		}
		sink = s
	})
}

func BenchmarkTruncNormalMoments(b *testing.B) {
	for _, iv := range [][2]float64{{-0.8, 1.9}, {1, 1.5}, {5, 6}, {2.5, inf}} {
		b.Run(fmt.Sprintf("[%g,%g]", iv[0], iv[1]), func(b *testing.B) {
			b.ReportAllocs()
			var s float64
			for b.Loop() {
				m, v := truncNormalMoments(iv[0], iv[1])
				s += m + v
			}
			sink = s
		})
	}
}

var sink float64
