package cuda

import (
	"math"
	"testing"
)

// The known-answer vectors of Random123's kat_vectors for philox4x32_10.
func TestPhiloxKnownAnswers(t *testing.T) {
	cases := []struct {
		c    [4]uint32
		k    [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Philox4x32(c.c, c.k); got != c.want {
			t.Errorf("Philox4x32(%#x, %#x) = %#x, want %#x", c.c, c.k, got, c.want)
		}
	}
}

// NormalAt's stream has the moments of N(0, 1) and differs between seeds
// and counters.
func TestNormalAtIsStandardNormal(t *testing.T) {
	const n = 200000
	var s1, s2, s4 float64
	for e := uint64(0); e < n; e++ {
		z := NormalAt(7, 3, e)
		s1 += z
		s2 += z * z
		s4 += z * z * z * z
	}
	mean, vr, kurt := s1/n, s2/n, s4/n
	// Standard errors: 1/√n for the mean, √(2/n) for the variance, √(96/n) for E z⁴.
	if math.Abs(mean) > 5/math.Sqrt(n) || math.Abs(vr-1) > 5*math.Sqrt(2.0/n) || math.Abs(kurt-3) > 5*math.Sqrt(96.0/n) {
		t.Fatalf("mean %.4f, variance %.4f, E z⁴ %.4f: want 0, 1, 3", mean, vr, kurt)
	}
	if NormalAt(7, 3, 0) == NormalAt(8, 3, 0) || NormalAt(7, 3, 0) == NormalAt(7, 4, 0) {
		t.Fatal("the stream does not depend on the seed or the counter")
	}
	for e := uint64(0); e < 64; e++ {
		if z := NormalAt(1, 1, e); math.IsNaN(z) || math.IsInf(z, 0) {
			t.Fatalf("draw %d is %v", e, z)
		}
	}
}

// TruncNormalAt's draws lie in [a, b] and have the truncated normal's mean
// (φ(a) − φ(b))/(Φ(b) − Φ(a)), in the body, in either tail and (within the
// Rayleigh regime's stated error) beyond −37.
func TestTruncNormalAtMoments(t *testing.T) {
	phi := func(x float64) float64 { return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi) }
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, c := range []struct{ a, b float64 }{{-1, 1}, {-0.5, 3}, {2.5, 3.5}, {-6, -5}, {8, 9}, {-3, math.Inf(1)},
		{math.Inf(-1), -4}, {40, 40.5}, {-41, -40}} {
		const n = 100000
		var s, s2 float64
		for e := uint64(0); e < n; e++ {
			x := TruncNormalAt(5, 1, e, c.a, c.b)
			if !(x >= c.a && x <= c.b) {
				t.Fatalf("[%v, %v]: draw %d is %v", c.a, c.b, e, x)
			}
			s += x
			s2 += x * x
		}
		mean, sd := s/n, math.Sqrt(s2/n-(s/n)*(s/n))
		var want float64
		if math.Abs(c.a) < 37 || math.Abs(c.b) < 37 {
			want = (phi(c.a) - phi(c.b)) / (cdf(c.b) - cdf(c.a))
			if c.a > 0 { // the upper tail, by symmetry (cdf loses precision there)
				want = (phi(c.b) - phi(c.a)) / (cdf(-c.b) - cdf(-c.a))
			}
		} else { // the tail mean over [40, 40.5] mirrored: close to 40 + 1/40
			p := math.Min(math.Abs(c.a), math.Abs(c.b))
			want = math.Copysign(p+1/p, c.a)
		}
		if math.Abs(mean-want) > 5*sd/math.Sqrt(n)+1e-3 {
			t.Errorf("[%v, %v]: mean %.6f, want %.6f (sd %.4f)", c.a, c.b, mean, want, sd)
		}
	}
}

// normInv inverts normCDF wherever p = Φ(x) still holds x's digits (above
// x ≈ 3 the rounding of p near 1 loses them, in any inverse).
func TestNormInvInvertsNormCDF(t *testing.T) {
	for x := -37.5; x <= 3; x += 0.37 {
		if got := normInv(normCDF(x)); math.Abs(got-x) > 1e-9*(1+math.Abs(x)) {
			t.Fatalf("normInv(normCDF(%v)) = %v", x, got)
		}
	}
}
