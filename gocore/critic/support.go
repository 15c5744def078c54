package critic

import (
	"fmt"
	"math"
)

// Support is the fixed C51 support of docs/algorithm.md §3: Atoms values
// z_j = Min + j·Delta, j = 0 … Atoms−1, with Delta = (Max − Min)/(Atoms − 1)
// (paper: 101 atoms on [−1600, 1600], Δz = 32).
type Support struct {
	Atoms           int
	Min, Max, Delta float32
	// Z holds the atoms z_j, each computed in float64 and rounded, so that
	// Z[0] = Min and Z[Atoms−1] = Max exactly. Shared, read-only.
	Z []float32
}

// NewSupport returns the support of atoms values evenly spaced on
// [vmin, vmax]. It needs atoms ≥ 2 and finite vmin < vmax that stay
// distinct, with a positive spacing, in float32; the error (a
// *ConfigError) names the offending field.
func NewSupport(atoms int, vmin, vmax float64) (Support, error) {
	if atoms < 2 {
		return Support{}, &ConfigError{Field: "Atoms", Reason: fmt.Sprintf("%d, want ≥ 2", atoms)}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"VMin", vmin}, {"VMax", vmax}} {
		if math.IsNaN(f.v) || math.Abs(f.v) > math.MaxFloat32 {
			return Support{}, &ConfigError{Field: f.name, Reason: fmt.Sprintf("%v, want a finite float32", f.v)}
		}
	}
	delta := (vmax - vmin) / float64(atoms-1)
	if !(vmin < vmax) || float32(vmin) >= float32(vmax) || float32(delta) <= 0 || math.IsInf(delta, 0) {
		return Support{}, &ConfigError{Field: "VMax", Reason: fmt.Sprintf("[VMin, VMax] = [%v, %v] with %d atoms, want VMin < VMax with a positive float32 spacing", vmin, vmax, atoms)}
	}
	s := Support{Atoms: atoms, Min: float32(vmin), Max: float32(vmax), Delta: float32(delta), Z: make([]float32, atoms)}
	for j := range s.Z {
		s.Z[j] = float32(vmin + float64(j)*delta)
	}
	s.Z[atoms-1] = float32(vmax)
	return s, nil
}

// Project sets rho to the C51 projection onto the support of the
// probabilities p placed at the values tz (docs/algorithm.md §3). rho is
// zeroed first; then for each j, with Tz = clip(tz[j], Min, Max),
//
//	b = (Tz − Min)/Delta,  l = floor(b),  u = ceil(b), both clipped to [0, Atoms−1]
//	l == u:  rho[l] += p[j]
//	else:    rho[l] += p[j]·(u − b),  rho[u] += p[j]·(b − l)
//
// so Σ rho = Σ p up to rounding. A NaN in tz makes rho[0] NaN (never a
// silent finite value); a NaN in p propagates into rho. All three slices
// have length Atoms.
func (s Support) Project(rho, p, tz []float32) {
	n := s.Atoms
	if len(rho) != n || len(p) != n || len(tz) != n {
		panic(fmt.Sprintf("critic: Support.Project: rho %d, p %d, tz %d elements, want %d atoms", len(rho), len(p), len(tz), n))
	}
	clear(rho)
	last := n - 1
	lo, hi, dz := s.Min, s.Max, s.Delta
	tz = tz[:n]
	for j, pj := range p[:n] {
		t := tz[j]
		if t < lo {
			t = lo
		} else if t > hi {
			t = hi
		}
		b := (t - lo) / dz // ≥ 0: t ≥ lo and rounding is monotone
		if b != b {
			rho[0] = b
			continue
		}
		l := int(b) // floor, as b ≥ 0
		if l >= last {
			rho[last] += pj // b ≥ Atoms−1 (only by rounding above it): u clips to l
			continue
		}
		fl := float32(l)
		if fl == b {
			rho[l] += pj
			continue
		}
		rho[l] += pj * (fl + 1 - b)
		rho[l+1] += pj * (b - fl)
	}
}

// Mean is the expected value Σ_j p_j·z_j of a distribution p over the
// support (len Atoms), accumulated in float64.
func (s Support) Mean(p []float32) float32 {
	if len(p) != s.Atoms {
		panic(fmt.Sprintf("critic: Support.Mean: p has %d elements, want %d atoms", len(p), s.Atoms))
	}
	return float32(mean64(p, s.Z))
}

func mean64(p, z []float32) float64 {
	z = z[:len(p)]
	var m float64
	for j, v := range p {
		m += float64(v) * float64(z[j])
	}
	return m
}

// SoftmaxMean returns the expected value of a C51 critic's output row
// (docs/algorithm.md §3),
//
//	E[Z] = Σ_j softmax(logits)_j·z_j = Σ_j e^(l_j − m)·z_j / Σ_j e^(l_j − m),  m = max_j l_j,
//
// and overwrites logits with the unnormalised e^(l_j − m). Subtracting the
// row maximum m first keeps every exponential in (0, 1], so large logits
// cannot overflow; the exponential is a float32 polynomial (about 1 ulp)
// and both sums are accumulated in float64. Any NaN in the row gives NaN.
// z must hold at least len(logits) atoms (Support.Z). It allocates
// nothing; critic.Twin.Values and gocore/policy's best-of-N score with
// it, so the two choose the same candidate bit for bit.
func SoftmaxMean(logits, z []float32) float32 {
	expShift(logits, rowMax(logits))
	z = z[:len(logits)]
	var s, sz float64
	for j, e := range logits {
		s += float64(e)
		sz += float64(e) * float64(z[j])
	}
	return float32(sz / s)
}

// softmaxTo overwrites x (one row of logits) with softmax(x), stably.
func softmaxTo(x []float32) {
	expShift(x, rowMax(x))
	var s float64
	for _, e := range x {
		s += float64(e)
	}
	inv := float32(1 / s)
	for j := range x {
		x[j] *= inv
	}
}

// crossEntropyRow returns −Σ_j rho_j·log_softmax(logits)_j for one row
// and overwrites logits with the gradient of scale times that loss with
// respect to the logits, scale·(softmax_j·Σ_i rho_i − rho_j) (which is
// scale·(softmax − rho) when rho sums to 1, as a projection does). The
// row maximum is subtracted first and the sums run in float64. A NaN or
// an infinity in either row gives a non-finite loss.
func crossEntropyRow(logits, rho []float32, scale float32) float64 {
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
	c := float32(rsum / s * float64(scale))
	for j, e := range logits {
		logits[j] = c*e - scale*rho[j]
	}
	return loss
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
