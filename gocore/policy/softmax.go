package policy

import "math"

// The expected value of a critic's output row, as gocore/critic computes
// it for critic.Twin.Values (its softmaxMean, expShift and exp32 are
// unexported there; these are copies, so that best-of-N here chooses the
// candidate mfpo.Agent.Act chooses — TestMatchesAgent checks it).

// softmaxMean returns Σ softmax(logits)_j·z_j and overwrites logits with
// the unnormalised e^(logit − max); the sums run in float64. Any NaN in the
// row gives NaN.
func softmaxMean(logits, z []float32) float32 {
	expShift(logits, rowMax(logits))
	z = z[:len(logits)]
	var s, sz float64
	for j, e := range logits {
		s += float64(e)
		sz += float64(e) * float64(z[j])
	}
	return float32(sz / s)
}

// rowMax is the largest element (NaN when x[0] is NaN). A NaN elsewhere
// is skipped here but still reaches the caller's result through l − max.
func rowMax(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// exp32 is e^x in float32 (Cephes' expf: reduction by ln 2 in two parts,
// a degree-5 polynomial, scaling by 2^n through the exponent bits);
// relative error about 1 ulp. It returns 0 below −87.3 (where e^x is
// subnormal), +Inf above 88.7, and NaN for NaN.
func exp32(x float32) float32 {
	if !(x >= -87.33654) { // also NaN
		if x != x {
			return x
		}
		return 0
	}
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
	)
	fx := x*log2e + 0.5
	n := int32(fx)
	if float32(n) > fx { // floor
		n--
	}
	fn := float32(n)
	x = x - fn*c1 - fn*c2
	z := x * x
	y := ((((1.9875691500e-4*x+1.3981999507e-3)*x+8.3334519073e-3)*x+4.1665795894e-2)*x+1.6666665459e-1)*x + 5.0000001201e-1
	y = y*z + x + 1
	// 2^n with n ∈ [−126, 128]: split n = 128 so that the exponent stays normal.
	if n > 127 {
		return y * 2 * math.Float32frombits(uint32(n-1+127)<<23)
	}
	return y * math.Float32frombits(uint32(n+127)<<23)
}

// expShift overwrites x with e^(x − m), elementwise, in float32: the
// reduction of exp32 with round-to-nearest by the 1.5·2^23 trick and 2^n
// added to the exponent bits. Arguments outside [−86.6, 88] (where
// that addition would leave the normal range), and NaN, go to exp32.
func expShift(x []float32, m float32) {
	const (
		log2e = 1.44269504088896341
		c1    = 0.693359375
		c2    = -2.12194440e-4
		magic = 12582912 // 1.5·2^23: t = v·log2 e + magic holds round(v·log2 e) in its low bits
	)
	for i, v := range x {
		v -= m
		if !(v >= -86.6 && v <= 88) {
			x[i] = exp32(v)
			continue
		}
		t := v*log2e + magic
		fn := t - magic                                    // n = round(v·log2 e) ∈ [−125, 127]
		n := math.Float32bits(t) - math.Float32bits(magic) // n as a two's complement integer
		r := v - fn*c1 - fn*c2                             // |r| ≤ ln2/2
		// Cephes' polynomial by Estrin's scheme (a shorter dependency chain).
		r2 := r * r
		p01 := 1.6666665459e-1*r + 5.0000001201e-1
		p23 := 8.3334519073e-3*r + 4.1665795894e-2
		p45 := 1.9875691500e-4*r + 1.3981999507e-3
		y := (p01+r2*p23+(r2*r2)*p45)*r2 + r + 1                 // e^r ∈ [0.70, 1.42]
		x[i] = math.Float32frombits(math.Float32bits(y) + n<<23) // y·2^n, a normal number
	}
}
