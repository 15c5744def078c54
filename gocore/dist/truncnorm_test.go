package dist

import (
	"math"
	"math/rand/v2"
	"testing"
)

var intervals = [][2]float64{
	{-1, 1}, {0, math.Inf(1)}, {2, 3}, {math.Inf(-1), -5}, {5, 6}, {10, 10.5}, {39, 40},
	{-40, -39.9}, {-40, 40}, {30, math.Inf(1)}, {-0.3, 0.2}, {-1e-3, 40}, {4.9, 5.1}, {0.2, 0.4},
	{math.Inf(-1), math.Inf(1)},
}

func TestSampleMomentsMatchTheAnalyticOnes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	for _, iv := range intervals {
		lo, hi := iv[0], iv[1]
		m, v := TruncNormalMoments(lo, hi)
		// Moments of x − c, c a finite point of the interval, to keep the
		// sums free of cancellation far in the tails.
		c := math.Max(lo, math.Min(hi, 0))
		var s, s2 float64
		for i := 0; i < n; i++ {
			x := TruncNormal(rng, lo, hi)
			if math.IsNaN(x) || math.IsInf(x, 0) || x < lo || x > hi {
				t.Fatalf("[%v, %v]: draw %v", lo, hi, x)
			}
			s += x - c
			s2 += (x - c) * (x - c)
		}
		mean := s/n + c
		variance := s2/n - (s/n)*(s/n)
		zm := (mean - m) / math.Sqrt(v/n)
		// The sample variance's standard deviation is σ²·√((κ − 1)/n); the
		// kurtosis κ is 3 for a normal and at most 9 (an exponential) for
		// these shapes.
		zv := (variance - v) / (v * math.Sqrt(8.0/n))
		t.Logf("[%v, %v]: mean %.6g (exact %.6g, z %.2f), variance %.4g (exact %.4g, z %.2f)", lo, hi, mean, m, zm, variance, v, zv)
		if math.Abs(zm) > 5 || math.Abs(zv) > 5 {
			t.Fatalf("[%v, %v]: sample mean %v variance %v, exact %v %v", lo, hi, mean, variance, m, v)
		}
	}
}

func TestNarrowAndDegenerateIntervals(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, iv := range [][2]float64{{1, 1 + 1e-9}, {-40, -40 + 1e-12}, {3, 3}, {-2, -2}, {1e6, 1e6 + 1}, {1e4, 1e4 + 1e-3}} {
		var s float64
		for i := 0; i < 1000; i++ {
			x := TruncNormal(rng, iv[0], iv[1])
			if x < iv[0] || x > iv[1] || math.IsNaN(x) {
				t.Fatalf("[%v, %v]: draw %v", iv[0], iv[1], x)
			}
			s += x
		}
		if mid := (iv[0] + iv[1]) / 2; math.Abs(s/1000-mid) > (iv[1]-iv[0])/2+1e-12 {
			t.Fatalf("[%v, %v]: mean %v", iv[0], iv[1], s/1000)
		}
	}
}

func TestMomentsAgainstQuadrature(t *testing.T) {
	// Simpson's rule on the normalised density, for moderate intervals.
	for _, iv := range [][2]float64{{-1, 1}, {2, 3}, {-0.5, 4}, {5, 6}, {-3, -2.5}} {
		lo, hi := iv[0], iv[1]
		const k = 20000
		h := (hi - lo) / k
		var z, m1, m2 float64
		for i := 0; i <= k; i++ {
			x := lo + float64(i)*h
			w := 2.0
			if i == 0 || i == k {
				w = 1
			} else if i%2 == 1 {
				w = 4
			}
			p := w * math.Exp(-x*x/2)
			z += p
			m1 += p * x
			m2 += p * x * x
		}
		mean, variance := m1/z, m2/z-(m1/z)*(m1/z)
		gm, gv := TruncNormalMoments(lo, hi)
		if math.Abs(gm-mean) > 1e-9 || math.Abs(gv-variance) > 1e-9 {
			t.Fatalf("[%v, %v]: moments %v %v, quadrature %v %v", lo, hi, gm, gv, mean, variance)
		}
	}
	// Far one-sided tails: mean ≈ a + 1/a − 2/a³ (+10/a⁵), variance ≈
	// 1/a² − 6/a⁴ + 50/a⁶, up to the next term and the rounding of
	// 1 + E[x²] − 1 − mean² (about ε·a²).
	for _, a := range []float64{30, 39, 100} {
		m, v := TruncNormalMoments(a, math.Inf(1))
		if math.Abs(m-(a+1/a-2/(a*a*a))) > 20/math.Pow(a, 5)+1e-12 || math.Abs(v-(1/(a*a)-6/math.Pow(a, 4)+50/math.Pow(a, 6))) > 1000/math.Pow(a, 8)+4e-16*a*a {
			t.Fatalf("[%v, ∞): mean %v, variance %v", a, m, v)
		}
	}
}

func TestFarTail(t *testing.T) {
	// [1e4, ∞): the excess over the bound is about exponential with mean
	// 1/1e4.
	rng := rand.New(rand.NewPCG(5, 6))
	var s float64
	for i := 0; i < 100_000; i++ {
		x := TruncNormal(rng, 1e4, math.Inf(1))
		if !(x >= 1e4) || math.IsInf(x, 0) {
			t.Fatalf("draw %v", x)
		}
		s += x - 1e4
	}
	if m := s / 100_000; math.Abs(m*1e4-1) > 0.02 {
		t.Fatalf("mean excess %v, want about 1e-4", m)
	}
}

func TestBadIntervalsPanic(t *testing.T) {
	for _, iv := range [][2]float64{{1, 0}, {math.NaN(), 1}, {0, math.NaN()}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("TruncNormal(%v, %v) did not panic", iv[0], iv[1])
				}
			}()
			TruncNormal(rand.New(rand.NewPCG(1, 1)), iv[0], iv[1])
		}()
	}
}

func BenchmarkTruncNormal(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, iv := range [][2]float64{{-0.8, 1.9}, {1.5, 4}, {12, 13}} {
		b.Run("", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				TruncNormal(rng, iv[0], iv[1])
			}
		})
	}
}
