package cpu

import (
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
)

// The C51 kernels of the critics (docs/algorithm.md §3). Every softmax
// subtracts the row maximum first and sums in float64; float32 rows take
// the exponential of expShift32, float64 rows math.Exp.

// C51Target writes the target distributions (backend.Backend).
func (CPU[T]) C51Target(rho, logits0, logits1 []T, sup backend.Support[T], reward, notDone, logp []T, gamma, alpha T, clipped bool, rows int) {
	na := len(sup.Z)
	for _, x := range [][]T{rho, logits0, logits1} {
		checkRows("C51Target", x, na, rows, na)
	}
	for _, x := range [][]T{reward, notDone, logp} {
		checkRows("C51Target", x, 1, rows, 1)
	}
	z := sup.Z
	for i := 0; i < rows; i++ {
		r, gm, shift := reward[i], gamma*notDone[i], alpha*logp[i]
		out := rho[i*na : (i+1)*na]
		p0 := logits0[i*na : (i+1)*na]
		p1 := logits1[i*na : (i+1)*na]
		softmaxRow(p0)
		softmaxRow(p1)
		Project(out, p0, z, r, gm, shift, sup)
		rho1 := p0 // p0 is spent: the second projection goes there
		Project(rho1, p1, z, r, gm, shift, sup)
		if clipped {
			m0, m1 := dot64(out, z), dot64(rho1, z)
			if m1 < m0 || m1 != m1 {
				copy(out, rho1)
			}
			continue
		}
		for j, v := range rho1 {
			out[j] = 0.5 * (out[j] + v)
		}
	}
}

// C51CrossEntropy is the critics' loss and its logit gradient
// (backend.Backend).
func (CPU[T]) C51CrossEntropy(logits, rho []T, scale T, rows, atoms int) float64 {
	checkRows("C51CrossEntropy", logits, atoms, rows, atoms)
	checkRows("C51CrossEntropy", rho, atoms, rows, atoms)
	var sum float64
	for i := 0; i < rows; i++ {
		sum += CrossEntropyRow(logits[i*atoms:(i+1)*atoms], rho[i*atoms:(i+1)*atoms], scale)
	}
	return sum
}

// C51Values is the min or mean of both critics' expected values
// (backend.Backend).
func (CPU[T]) C51Values(q, logits0, logits1, z []T, rows int, useMin bool) {
	na := len(z)
	checkRows("C51Values", logits0, na, rows, na)
	checkRows("C51Values", logits1, na, rows, na)
	checkRows("C51Values", q, 1, rows, 1)
	for i := range q[:rows] {
		q0 := SoftmaxMean(logits0[i*na:(i+1)*na], z)
		q1 := SoftmaxMean(logits1[i*na:(i+1)*na], z)
		if useMin {
			q[i] = min(q0, q1)
		} else {
			q[i] = 0.5 * (q0 + q1)
		}
	}
}

// Project sets rho to the C51 projection onto sup of the probabilities p
// placed at Tz_j = r + gm·(z_j − shift) (z: len(p) values; r = 0, gm = 1,
// shift = 0 places them at z itself): with t = clip(Tz_j, Min, Max),
// b = (t − Min)/Delta and l = ⌊b⌋, clipped to the last atom,
//
//	b integral or l = A−1:  rho[l] += p_j
//	else:                   rho[l] += p_j·(l + 1 − b),  rho[l+1] += p_j·(b − l)
//
// so Σ rho = Σ p up to rounding; a NaN b sets rho[0] = NaN, and a NaN in p
// propagates. rho is not cleared first: each atom's first contribution
// is stored (as 0 + c) and the atoms no contribution reaches are zeroed
// at the end, which gives the sums of clear-then-accumulate bit for bit.
// rho, p and z have len(sup.Z) elements.
func Project[T Float](rho, p, z []T, r, gm, shift T, sup backend.Support[T]) {
	n := len(sup.Z)
	if len(rho) != n || len(p) != n || len(z) != n {
		panic(fmt.Sprintf("backend/cpu: Project: rho %d, p %d, z %d elements, want %d atoms", len(rho), len(p), len(z), n))
	}
	last := n - 1
	lo, hi, dz := sup.Min, sup.Max, sup.Delta
	z = z[:n]
	done := 0 // rho[:done] holds sums; rho[done:] is not written yet
	add := func(i int, c T) {
		if i < done {
			rho[i] += c
			return
		}
		clear(rho[done:i])
		rho[i] = 0 + c
		done = i + 1
	}
	for j, pj := range p[:n] {
		t := r + gm*(z[j]-shift)
		if t < lo {
			t = lo
		} else if t > hi {
			t = hi
		}
		b := (t - lo) / dz // ≥ 0: t ≥ lo and rounding is monotone
		if b != b {
			if done == 0 {
				done = 1
			}
			rho[0] = b
			continue
		}
		l := int(b) // floor, as b ≥ 0
		if l >= last {
			add(last, pj) // b ≥ A−1 (only by rounding above it): u clips to l
			continue
		}
		fl := T(l)
		if fl == b {
			add(l, pj)
			continue
		}
		add(l, pj*(fl+1-b))
		add(l+1, pj*(b-fl))
	}
	clear(rho[done:])
}

// dot64 is Σ_j p_j·z_j accumulated in float64.
func dot64[T Float](p, z []T) float64 {
	z = z[:len(p)]
	var m float64
	for j, v := range p {
		m += float64(v) * float64(z[j])
	}
	return m
}

// SoftmaxMean returns the expected value of a C51 critic's output row,
//
//	E[Z] = Σ_j softmax(logits)_j·z_j = Σ_j e^(l_j − m)·z_j / Σ_j e^(l_j − m),  m = max_j l_j,
//
// and overwrites logits with the unnormalised e^(l_j − m). Subtracting the
// row maximum first keeps every exponential in (0, 1], so large logits
// cannot overflow; both sums are accumulated in float64. Any NaN in the
// row gives NaN. z must hold at least len(logits) atoms. It allocates
// nothing. C51Values and gocore/critic.SoftmaxMean (best-of-N acting)
// both score with it, so the two agree bit for bit.
func SoftmaxMean[T Float](logits, z []T) T {
	expShift(logits, rowMax(logits))
	z = z[:len(logits)]
	var s, sz float64
	for j, e := range logits {
		s += float64(e)
		sz += float64(e) * float64(z[j])
	}
	return T(sz / s)
}

// softmaxRow overwrites x (one row of logits) with softmax(x), stably.
func softmaxRow[T Float](x []T) {
	expShift(x, rowMax(x))
	var s float64
	for _, e := range x {
		s += float64(e)
	}
	inv := T(1 / s)
	for j := range x {
		x[j] *= inv
	}
}

// CrossEntropyRow returns −Σ_j rho_j·log_softmax(logits)_j for one row
// and overwrites logits with the gradient of scale times that loss with
// respect to the logits, scale·(softmax_j·Σ_i rho_i − rho_j) (which is
// scale·(softmax − rho) when rho sums to 1, as a projection does). The
// row maximum is subtracted first and the sums run in float64. A NaN or
// an infinity in either row gives a non-finite loss.
func CrossEntropyRow[T Float](logits, rho []T, scale T) float64 {
	m := rowMax(logits)
	rho = rho[:len(logits)]
	var rsum, dot float64
	for j, l := range logits {
		r := float64(rho[j])
		rsum += r
		dot += r * float64(l-m)
	}
	expShift(logits, m)
	var s float64
	for _, e := range logits {
		s += float64(e)
	}
	// log_softmax_j = (l_j − m) − log s, so the loss is Σρ·log s − Σ ρ_j (l_j − m).
	loss := rsum*math.Log(s) - dot
	c := T(rsum / s * float64(scale))
	for j, e := range logits {
		logits[j] = c*e - scale*rho[j]
	}
	return loss
}

// rowMax is the largest element (NaN when x[0] is NaN). A NaN elsewhere
// is skipped here but still reaches the caller's result through l − max.
func rowMax[T Float](x []T) T {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

// expShift overwrites x with e^(x − m): float32 by expShift32, float64
// by math.Exp.
func expShift[T Float](x []T, m T) {
	if x32, ok := any(x).([]float32); ok {
		expShift32(x32, float32(m))
		return
	}
	for i, v := range x {
		x[i] = T(math.Exp(float64(v - m)))
	}
}

// Exp32 is e^x in float32 (Cephes' expf: reduction by ln 2 in two parts,
// a degree-5 polynomial, scaling by 2^n through the exponent bits);
// relative error about 1 ulp. It returns 0 below −87.3 (where e^x is
// subnormal), +Inf above 88.7, and NaN for NaN.
func Exp32(x float32) float32 {
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

// expShift32 overwrites x with e^(x − m), elementwise, in float32: the
// reduction of Exp32 with round-to-nearest by the 1.5·2^23 trick and 2^n
// added to the exponent bits. Arguments outside [−86.6, 88] (where
// that addition would leave the normal range), and NaN, go to Exp32.
func expShift32(x []float32, m float32) {
	if lv := vecLevel[float32](); lv != levelGo {
		// The vector kernel stops at a vector with a lane outside the fast
		// path's range; those elements take the scalar code.
		for i := 0; i < len(x); {
			i += vecExpShift(lv, x[i:], m)
			end := min(i+16, len(x))
			expShiftScalar(x[i:end], m)
			i = end
		}
		return
	}
	expShiftScalar(x, m)
}

// The constants of expShift32's fast path (also the vector kernels', from
// vecConsts).
const (
	expLo    = -86.6 // the fast path's range of x − m
	expHi    = 88
	expLog2e = 1.44269504088896341
	expC1    = 0.693359375     // ln 2 = c1 − c2, in two parts
	expC2    = -2.12194440e-4  //
	expMagic = 12582912        // 1.5·2^23: t = v·log2 e + magic holds round(v·log2 e) in its low bits
	expE0    = 5.0000001201e-1 // Cephes' polynomial: e^r ≈ 1 + r + r²(E0 + E1·r + … + E5·r⁵)
	expE1    = 1.6666665459e-1
	expE2    = 4.1665795894e-2
	expE3    = 8.3334519073e-3
	expE4    = 1.3981999507e-3
	expE5    = 1.9875691500e-4
)

// expShiftScalar is expShift32's portable code; the vector kernels do
// its operations in its order, without fused multiply-adds, and give its
// bits.
func expShiftScalar(x []float32, m float32) {
	for i, v := range x {
		v -= m
		if !(v >= expLo && v <= expHi) {
			x[i] = Exp32(v)
			continue
		}
		t := v*expLog2e + expMagic
		fn := t - expMagic                                    // n = round(v·log2 e) ∈ [−125, 127]
		n := math.Float32bits(t) - math.Float32bits(expMagic) // n as a two's complement integer
		r := v - fn*expC1 - fn*expC2                          // |r| ≤ ln2/2
		// Cephes' polynomial by Estrin's scheme (a shorter dependency chain).
		r2 := r * r
		p01 := expE1*r + expE0
		p23 := expE3*r + expE2
		p45 := expE5*r + expE4
		y := (p01+r2*p23+(r2*r2)*p45)*r2 + r + 1                 // e^r ∈ [0.70, 1.42]
		x[i] = math.Float32frombits(math.Float32bits(y) + n<<23) // y·2^n, a normal number
	}
}
