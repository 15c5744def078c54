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
