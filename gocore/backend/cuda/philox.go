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
