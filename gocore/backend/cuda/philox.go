package cuda

import "math"

// Philox4x32 is Philox-4x32-10 (kernels/philox.cuh): ten rounds of the
// multiply-xor bijection on the counter c under the key k.
func Philox4x32(c [4]uint32, k [2]uint32) [4]uint32 {
	const m0, m1, w0, w1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
	for r := 0; r < 10; r++ {
		if r > 0 {
			k[0] += w0
			k[1] += w1
		}
		p0 := uint64(m0) * uint64(c[0])
		p1 := uint64(m1) * uint64(c[2])
		c = [4]uint32{uint32(p1>>32) ^ c[1] ^ k[0], uint32(p1), uint32(p0>>32) ^ c[3] ^ k[1], uint32(p0)}
	}
	return c
}

// Uniform01 maps 32 random bits to (0, 1) as the kernels do:
// (top 24 bits + ½)·2⁻²⁴.
func Uniform01(x uint32) float64 { return (float64(x>>8) + 0.5) / (1 << 24) }

// NormalAt is draw e of the N(0, 1) stream (seed, counter) that the
// kernel normal_fill writes (in float64: the kernel's float32 arithmetic
// agrees to a few float32 ulps): block e/4 of Philox with counter
// (e/4, counter) and key seed, Box–Muller on its words (0, 1) and (2, 3).
func NormalAt(seed, counter uint64, e uint64) float64 {
	b := e / 4
	u := Philox4x32([4]uint32{uint32(b), uint32(b >> 32), uint32(counter), uint32(counter >> 32)},
		[2]uint32{uint32(seed), uint32(seed >> 32)})
	h := (e % 4) / 2
	r := math.Sqrt(-2 * math.Log(Uniform01(u[2*h])))
	s, c := math.Sincos(2 * math.Pi * Uniform01(u[2*h+1]))
	if e%2 == 0 {
		return r * c
	}
	return r * s
}

// Uniform53 maps two random words to (0, 1) with 53 bits, as the kernels
// do.
func Uniform53(hi, lo uint32) float64 {
	return (float64(hi>>5)*(1<<26) + float64(lo>>6) + 0.5) / (1 << 53)
}

// TruncNormal01 is the kernels' draw of N(0, 1) conditioned on [a, b]
// from the uniform u (kernels/philox.cuh, truncnormal01): mirrored so
// that a + b ≤ 0, then the inverse CDF in float64, or, where b < −37 and
// Φ underflows, the tail's Rayleigh inversion (relative density error
// below (q − p)/p on [p, q] = [−b, −a]).
func TruncNormal01(a, b, u float64) float64 {
	flip := a+b > 0
	if flip {
		a, b = -b, -a
	}
	var x float64
	if b < -37 {
		p, q := -b, -a
		x = -math.Sqrt(p*p - 2*math.Log1p(u*math.Expm1(0.5*(p*p-q*q))))
	} else {
		fa, fb := normCDF(a), normCDF(b)
		x = normInv(fa + u*(fb-fa))
	}
	x = min(max(x, a), b)
	if flip {
		return -x
	}
	return x
}

// TruncNormalAt is draw e of the truncated-normal stream (seed, counter)
// that the kernel trunc_normal writes for the standardised bounds [a, b].
func TruncNormalAt(seed, counter, e uint64, a, b float64) float64 {
	w := Philox4x32([4]uint32{uint32(e), uint32(e >> 32), uint32(counter), uint32(counter >> 32)},
		[2]uint32{uint32(seed), uint32(seed >> 32)})
	return TruncNormal01(a, b, Uniform53(w[0], w[1]))
}

// normCDF is Φ(x), to full relative precision in the lower tail.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normInv is Φ⁻¹(p) to about 1e-14 relative, in the tails too (Go's
// Erfcinv is Erfinv(1 − x), which loses a tail's digits): a start from
// Erfcinv or, below 1e-8, the tail's asymptote, then Newton steps on
// log Φ(x) = log p.
func normInv(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	if p >= 1 {
		return math.Inf(1)
	}
	x := -math.Sqrt2 * math.Erfcinv(2*p)
	if p < 1e-8 {
		l := -2 * math.Log(p)
		x = -math.Sqrt(l - math.Log(l) - math.Log(2*math.Pi))
	}
	for range 100 {
		c := normCDF(x)
		step := (math.Log(c) - math.Log(p)) * c / (math.Exp(-x*x/2) / math.Sqrt(2*math.Pi))
		x -= step
		if math.Abs(step) <= 1e-14*(1+math.Abs(x)) {
			break
		}
	}
	return x
}
