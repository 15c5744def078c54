package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

var mixNames = map[backend.ProposalMix]string{backend.ESSMix: "ESS mix", backend.BalanceMix: "balance mix"}

func mixOf(s shape) backend.ProposalMix {
	if s.flag {
		return backend.BalanceMix
	}
	return backend.ESSMix
}

// The rows of the update's own operations: the out-of-place optimiser
// steps, the float64 reductions, the critics' C51 operations and the
// actor step's (noisy actions, the posterior draws, SNIS with the ESS
// mix).

// e64 is float64's unit roundoff: the operations that compute in
// float64 are allowed a few of its roundings per term, so a backend that
// computes them in float32 fails.
const e64 = 0x1p-53

// Variants of the out-of-place steps: every destination its own buffer,
// every destination aliasing its source (the in-place step), one alias.
const (
	distinct   = "distinct"
	allAliased = "all aliased"
	oneAliased = "vDst aliases v"
)

func variantShapes() []shape {
	return each([]string{distinct, allAliased, oneAliased}, func(v string) []shape {
		return lenShapes(func(s *shape) { s.alpha, s.beta, s.note = 9.486833e-05, 3.1622776e-10, v })
	})
}

func adamToOp[T Float]() op[T] {
	const beta1, beta2 = float32(0.9), float32(0.999)
	base := adamOp[float64]()
	return op[T]{
		name:   "AdamTo",
		shapes: variantShapes(),
		args: func(s shape, rng *rand.Rand) []operand {
			src := base.args(s, rng) // params, grad, m, v
			n := s.n
			ops := []operand{vecOut("pDst", n), vecOut("mDst", n), vecOut("vDst", n), src[0], src[1], src[2], src[3]}
			for i := range ops[3:] {
				if i != 1 {
					ops[3+i].role = in
				}
			}
			alias := func(dst, srcIdx int) {
				ops[dst] = vecInout(ops[dst].name, ops[srcIdx].vals)
				ops[srcIdx] = operand{name: ops[srcIdx].name, rows: 1, w: n, ld: n, role: in, alias: dst + 1}
			}
			switch s.note {
			case allAliased:
				alias(0, 3)
				alias(1, 5)
				alias(2, 6)
			case oneAliased:
				alias(2, 6)
			}
			return ops
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.AdamTo(x[0], x[1], x[2], x[3], x[4], x[5], x[6], T(s.alpha), T(s.beta), T(beta1), T(beta2))
			return nil
		},
		tol: func(s shape, x, want [][]float64) [][]float64 {
			tth, tm, tv := adamTol(x[3], x[4], x[5], x[6], want[1], want[2], s.alpha, s.beta, float64(beta1), float64(beta2))
			return [][]float64{tth, tm, tv}
		},
	}
}

func polyakToOp[T Float]() op[T] {
	return op[T]{
		name: "PolyakTo",
		shapes: each([]float64{0.005, 1}, func(tau float64) []shape {
			return each([]bool{false, true}, func(a bool) []shape {
				return lenShapes(func(s *shape) { s.alpha, s.alias = tau, a })
			})
		}),
		args: func(s shape, rng *rand.Rand) []operand {
			target := vecIn("target", mixed(rng, s.n))
			dst := vecOut("dst", s.n)
			if s.alias { // dst = target: Polyak
				dst = vecInout("dst", target.vals)
				target = operand{name: "target", rows: 1, w: s.n, ld: s.n, role: in, alias: 1}
			}
			return []operand{dst, target, vecIn("online", mixed(rng, s.n))}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.PolyakTo(x[0], x[1], x[2], T(s.alpha))
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			m := absOf(x[1]) // as Polyak
			ref.Polyak(m, absOf(x[2]), s.alpha)
			return [][]float64{scaled(slack*3*u, m)}
		},
	}
}

func sum64Op[T Float]() op[T] {
	return op[T]{
		name:   "Sum64",
		shapes: each([]bool{false, true}, func(sp bool) []shape { return lenShapes(func(s *shape) { s.special = sp }) }),
		args: func(s shape, rng *rand.Rand) []operand {
			x := mixed(rng, s.n)
			if s.special {
				x[rng.IntN(s.n)] = math.NaN()
			}
			return []operand{vecIn("x", x)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 { return []float64{be.Sum64(x[0])} },
		resTol: func(s shape, x [][]float64, _ []float64) []float64 {
			// n float64 additions of float32 values: n·e64·Σ|x|, in any
			// order; a float32 accumulation errs 2²⁹ times more.
			var a float64
			for _, v := range x[0] {
				a += math.Abs(v)
			}
			return []float64{slack * float64(s.n) * e64 * a}
		},
	}
}

// The C51 shapes: rows × atoms on the tests' support (21 atoms on ±100)
// and the paper's (101 on ±1600), and small ones.
var c51Shapes = func() []shape {
	var ss []shape
	for _, rows := range []int{1, 5, 128, 256} {
		for _, sup := range [][3]float64{{2, -1, 1}, {21, -100, 100}, {51, -10, 10}, {101, -1600, 1600}} {
			ss = append(ss, shape{rows: rows, w: int(sup[0]), lo: sup[1], hi: sup[2]})
		}
	}
	return ss
}()

// support returns the atoms of s (z_j = lo + j·Δ in float64, rounded;
// the last is hi) and Δ in float32.
func support(s shape) (z []float64, delta float64) {
	a := s.w
	d := (s.hi - s.lo) / float64(a-1)
	z = make([]float64, a)
	for j := range z {
		z[j] = s.lo + float64(j)*d
	}
	z[a-1] = s.hi
	return round32(z), float64(float32(d))
}

func matScratch(name string, rows, w, ld int, v []float64) operand {
	o := matInout(name, rows, w, ld, v)
	o.role = scratch
	return o
}

func backendSupport[T Float](z []T, s shape) backend.Support[T] {
	_, d := support(s)
	return backend.Support[T]{Z: z, Min: T(s.lo), Max: T(s.hi), Delta: T(d)}
}

// logitRows is rows×A logits: N(0, 2), some rows offset by 500 (the
// softmax must subtract the maximum) or spread by 30 (most exponentials
// underflow).
func logitRows(rng *rand.Rand, rows, a int) []float64 {
	x := normals(rng, rows*a, 2)
	for r := 0; r < rows; r++ {
		for j := 0; j < a; j++ {
			switch r % 4 {
			case 1:
				x[r*a+j] += 500
			case 2:
				x[r*a+j] *= 15
			}
		}
	}
	return x
}

// softmax64 is the float64 softmax of a row of logits and, per element,
// the relative error allowance of a float32 one: l − max rounds (u·|l −
// max| in the exponent), the exponential and the normalisation a few u.
func softmax64(l []float64) (p, dp []float64) {
	m := math.Inf(-1)
	for _, v := range l {
		m = math.Max(m, v)
	}
	p, dp = make([]float64, len(l)), make([]float64, len(l))
	var sum float64
	for j, v := range l {
		p[j] = math.Exp(v - m)
		sum += p[j]
	}
	for j, v := range l {
		p[j] /= sum
		dp[j] = 4*u + u*math.Abs(v-m)
	}
	return p, dp
}

// project64 is the C51 projection of p at Tz_j = r + gm·(z_j − shift) in
// float64 and its allowance per atom: Tz computed in float32 moves b by
// db, which moves p_j·db of mass between the atoms b's window touches,
// plus p_j's own error; each atom's sum of A contributions rounds.
func project64(p, dp, z []float64, r, gm, shift, lo, hi, delta float64) (rho, tol []float64) {
	a := len(z)
	rho, tol = make([]float64, a), make([]float64, a)
	for j, pj := range p {
		tz := r + gm*(z[j]-shift)
		dtz := 4 * u * (math.Abs(r) + math.Abs(gm)*(math.Abs(z[j])+math.Abs(shift)))
		t := math.Min(math.Max(tz, lo), hi)
		b := (t - lo) / delta
		db := (dtz+u*(math.Abs(t)+math.Abs(lo)))/delta + u*b
		l := int(math.Floor(b))
		if l >= a-1 {
			rho[a-1] += pj
		} else if float64(l) == b {
			rho[l] += pj
		} else {
			rho[l] += pj * (float64(l) + 1 - b)
			rho[l+1] += pj * (b - float64(l))
		}
		lo := max(int(math.Floor(b-db)), 0)
		hi := min(int(math.Floor(b+db))+1, a-1)
		for k := lo; k <= hi; k++ {
			tol[k] += pj * (db + dp[j])
		}
	}
	for k := range tol {
		tol[k] += float64(a+1) * u * rho[k]
	}
	return rho, tol
}

func mean64(p, z []float64) float64 {
	var m float64
	for j := range p {
		m += p[j] * z[j]
	}
	return m
}

func hasNaN(xs ...[]float64) bool {
	for _, x := range xs {
		for _, v := range x {
			if math.IsNaN(v) {
				return true
			}
		}
	}
	return false
}

func c51TargetOp[T Float]() op[T] {
	var ss []shape
	for i, s := range c51Shapes {
		s.gamma, s.alpha, s.flag = 0.99, []float64{0.01, 1}[i%2], i%3 != 1
		s.special = s.rows == 5 && i%2 == 0
		ss = append(ss, s)
	}
	return op[T]{
		name:   "C51Target",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, a := s.rows, s.w
			z, _ := support(s)
			r, m, logp := normals(rng, rows, 0.05*(s.hi-s.lo)), make([]float64, rows), normals(rng, rows, 3)
			for i := range r {
				m[i] = 1
				switch i % 5 {
				case 1:
					m[i] = 0 // terminal: all mass at r
				case 2:
					m[i], r[i] = 0, z[rng.IntN(a)] // r on an atom: b integral
				case 3:
					r[i] = 3 * s.hi // beyond the support: clipped
				}
			}
			if s.special {
				r[1] = math.NaN()
			}
			return []operand{matOut("rho", rows, a, 0),
				matScratch("logits0", rows, a, 0, logitRows(rng, rows, a)), matScratch("logits1", rows, a, 0, logitRows(rng, rows, a)),
				vecIn("z", z), vecIn("reward", r), vecIn("notDone", m), vecIn("logp", logp)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.C51Target(x[0], x[1], x[2], backendSupport(x[3], s), x[4], x[5], x[6], T(s.gamma), T(s.alpha), s.flag, s.rows)
			return nil
		},
		tol: func(s shape, x, want [][]float64) [][]float64 {
			// Per row, both projections with their allowances; with
			// clipped double Q a choice between them whose means are
			// within their errors may go either way.
			rows, a := s.rows, s.w
			z, delta := support(s)
			tol := make([]float64, rows*a)
			for i := 0; i < rows; i++ {
				l0, l1 := x[1][i*a:(i+1)*a], x[2][i*a:(i+1)*a]
				if hasNaN(l0, l1, x[4][i:i+1], x[6][i:i+1]) {
					continue // NaN: compared as NaN or exactly
				}
				gm := s.gamma * x[5][i]
				shift := s.alpha * x[6][i]
				p0, dp0 := softmax64(l0)
				p1, dp1 := softmax64(l1)
				r0, t0 := project64(p0, dp0, z, x[4][i], gm, shift, s.lo, s.hi, delta)
				r1, t1 := project64(p1, dp1, z, x[4][i], gm, shift, s.lo, s.hi, delta)
				row := tol[i*a : (i+1)*a]
				if !s.flag {
					for k := range row {
						row[k] = slack * ((t0[k]+t1[k])/2 + u*(r0[k]+r1[k])/2)
					}
					continue
				}
				m0, m1 := mean64(r0, z), mean64(r1, z)
				e0, e1 := mean64(t0, absOf(z)), mean64(t1, absOf(z))
				for k := range row {
					switch {
					case math.Abs(m0-m1) <= slack*(e0+e1):
						row[k] = slack*math.Max(t0[k], t1[k]) + math.Abs(r0[k]-r1[k])
					case m1 < m0:
						row[k] = slack * t1[k]
					default:
						row[k] = slack * t0[k]
					}
				}
			}
			return [][]float64{tol}
		},
	}
}

func c51CrossEntropyOp[T Float]() op[T] {
	var ss []shape
	for i, s := range c51Shapes {
		s.alpha = 1 / float64(s.rows) // the mean loss's scale
		s.special = s.rows == 5 && i%2 == 0
		ss = append(ss, s)
	}
	return op[T]{
		name:   "C51CrossEntropy",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, a := s.rows, s.w
			rho := make([]float64, rows*a)
			for i := 0; i < rows; i++ { // target distributions (sum 1), one of them a point mass
				p, _ := softmax64(normals(rng, a, 2))
				if i%4 == 3 {
					clear(p)
					p[rng.IntN(a)] = 1
				}
				copy(rho[i*a:], p)
			}
			l := logitRows(rng, rows, a)
			if s.special {
				l[a+rng.IntN(a)] = math.NaN()
			}
			return []operand{matInout("logits", rows, a, 0, l), matIn("rho", rows, a, 0, rho)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			return []float64{be.C51CrossEntropy(x[0], x[1], T(s.alpha), s.rows, s.w)}
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			// gradient_j = c·e_j − scale·ρ_j, c = Σρ/Σe·scale: e_j's error
			// and two roundings on the first term, one on the second.
			rows, a := s.rows, s.w
			tol := make([]float64, rows*a)
			for i := 0; i < rows; i++ {
				l, rho := x[0][i*a:(i+1)*a], x[1][i*a:(i+1)*a]
				if hasNaN(l) {
					continue
				}
				p, dp := softmax64(l)
				var rs float64
				for _, r := range rho {
					rs += r
				}
				for j := range l {
					tol[i*a+j] = slack * (math.Abs(rs*s.alpha*p[j])*(dp[j]+2*u) + u*math.Abs(s.alpha*rho[j]))
				}
			}
			return [][]float64{tol}
		},
		resTol: func(s shape, x [][]float64, _ []float64) []float64 {
			// Per row Σρ·log Σe − Σρ_j(l_j − max): log Σe carries the
			// exponentials' errors, each l_j − max rounds in float32; the
			// float64 sums a few e64 more.
			rows, a := s.rows, s.w
			var t float64
			for i := 0; i < rows; i++ {
				l, rho := x[0][i*a:(i+1)*a], x[1][i*a:(i+1)*a]
				p, dp := softmax64(l)
				m := math.Inf(-1)
				for _, v := range l {
					m = math.Max(m, v)
				}
				var rs, dlog, ddot, mag float64
				for j := range l {
					rs += rho[j]
					dlog += p[j] * dp[j]
					ddot += math.Abs(rho[j]) * u * math.Abs(l[j]-m)
					mag += math.Abs(rho[j]) * (math.Abs(l[j]-m) + 1)
				}
				t += rs*dlog + ddot + float64(2*a)*e64*mag
			}
			return []float64{slack * t}
		},
	}
}

func c51ValuesOp[T Float]() op[T] {
	var ss []shape
	for i, s := range c51Shapes {
		s.flag = i%2 == 0
		s.special = s.rows == 5 && i%3 == 0
		ss = append(ss, s)
	}
	return op[T]{
		name:   "C51Values",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, a := s.rows, s.w
			z, _ := support(s)
			l0 := logitRows(rng, rows, a)
			if s.special {
				l0[a+rng.IntN(a)] = math.NaN()
			}
			return []operand{vecOut("q", rows), matScratch("logits0", rows, a, 0, l0),
				matScratch("logits1", rows, a, 0, logitRows(rng, rows, a)), vecIn("z", z)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.C51Values(x[0], x[1], x[2], x[3], s.rows, s.flag)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			// Q = Σ p_j z_j: each p_j's relative error moves Q by
			// p_j·δ_j·|z_j − Q|; the sums are float64.
			rows, a := s.rows, s.w
			z := x[3]
			tol := make([]float64, rows)
			for i := 0; i < rows; i++ {
				var d, q [2]float64
				for k, l := range [][]float64{x[1][i*a : (i+1)*a], x[2][i*a : (i+1)*a]} {
					if hasNaN(l) {
						d[k] = math.NaN()
						continue
					}
					p, dp := softmax64(l)
					q[k] = mean64(p, z)
					for j := range p {
						d[k] += p[j] * (dp[j]*math.Abs(z[j]-q[k]) + float64(2*a)*e64*math.Abs(z[j]))
					}
				}
				switch {
				case math.IsNaN(d[0] + d[1]):
				case s.flag:
					tol[i] = slack * math.Max(d[0], d[1])
				default: // each Q_k rounds to float32 before the mean, which may cancel
					tol[i] = slack * ((d[0]+d[1])/2 + u*(math.Abs(q[0])+math.Abs(q[1]))/2)
				}
			}
			return [][]float64{tol}
		},
	}
}

func noisyActionsOp[T Float]() op[T] {
	var ss []shape
	for _, rows := range []int{1, 5, 128, 256} {
		for _, d := range []int{1, 2, 6, 17} {
			ss = append(ss, shape{rows: rows, w: d, alpha: 1e-4})
		}
	}
	return op[T]{
		name:   "NoisyActions",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, d := s.rows, s.w
			t, h := make([]float64, rows), make([]float64, rows)
			for i := range t {
				t[i] = []float64{rng.Float64(), 0, 1, 1e-6, 0.99999}[i%5]
				h[i] = 1.4*rng.Float64() - 0.2 // below 0, above t
			}
			a0 := make([]float64, rows*d)
			for i := range a0 {
				a0[i] = 2*rng.Float64() - 1
			}
			return []operand{matOut("at", rows, d, 0), vecInout("t", t), vecInout("h", h), matIn("a0", rows, d, 0, a0), matIn("noise", rows, d, 0, normals(rng, rows*d, 1))}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.NoisyActions(x[0], x[1], x[2], x[3], x[4], s.rows, s.w, T(s.alpha))
			return nil
		},
		tol: func(s shape, x, want [][]float64) [][]float64 {
			// The clamp is exact but for 1 − g, rounded in float32; a_t
			// has three roundings of (1 − t)|a0| + t|ε|.
			rows, d := s.rows, s.w
			ta := make([]float64, rows*d)
			for i := 0; i < rows; i++ {
				t := want[1][i]
				for j := i * d; j < (i+1)*d; j++ {
					ta[j] = slack * (3*u*((1-t)*math.Abs(x[3][j])+t*math.Abs(x[4][j])) + u*math.Abs(x[3][j]-x[4][j]))
				}
			}
			return [][]float64{ta, scaled(slack*u, absOf(want[1])), scaled(slack*u, absOf(want[1]))}
		},
	}
}

// truncMoments is the mean and variance of a standard normal truncated
// to [lo, hi], by quadrature in the variable measured from the end
// nearest the mode (so that far tails stay representable).
func truncMoments(lo, hi float64) (mean, vr float64) {
	if lo >= 0 || hi <= 0 {
		flip := hi <= 0
		a, b := lo, hi
		if flip {
			a, b = -hi, -lo
		}
		// x = a + y, density ∝ exp(−a·y − y²/2) on [0, b − a], below
		// e^−46 beyond L.
		L := math.Min(b-a, -a+math.Sqrt(a*a+92))
		m0, m1, m2 := simpson(func(y float64) float64 { return math.Exp(-a*y - y*y/2) }, L)
		mean, vr = a+m1/m0, m2/m0-(m1/m0)*(m1/m0)
		if flip {
			mean = -mean
		}
		return mean, vr
	}
	a, b := math.Max(lo, -12), math.Min(hi, 12)
	m0, m1, m2 := simpson(func(y float64) float64 { return math.Exp(-(a + y) * (a + y) / 2) }, b-a)
	return a + m1/m0, m2/m0 - (m1/m0)*(m1/m0)
}

// simpson returns ∫f, ∫y·f and ∫y²·f over [0, L] (composite Simpson,
// 4000 intervals).
func simpson(f func(float64) float64, L float64) (m0, m1, m2 float64) {
	const n = 4000
	h := L / n
	for i := 0; i <= n; i++ {
		w := 2.0
		switch {
		case i == 0 || i == n:
			w = 1
		case i%2 == 1:
			w = 4
		}
		y := float64(i) * h
		fy := w * f(y)
		m0 += fy
		m1 += fy * y
		m2 += fy * y * y
	}
	return m0, m1, m2
}

func truncPosteriorOp[T Float]() op[T] {
	var ss []shape
	for _, rows := range []int{1, 5, 64} {
		for _, k := range []int{32, 256} {
			for _, d := range []int{1, 6} {
				ss = append(ss, shape{rows: rows, k2: k, k1: 3, w: d})
			}
		}
	}
	times := []float64{1e-4, 0.05, 0.5, 0.95, 0.9999}
	seed := func(s shape) [2]uint64 { return [2]uint64{uint64(s.rows*1000 + s.k2), uint64(s.w)} }
	return op[T]{
		name:   "TruncPosterior",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			// Two outputs laid out as the agent's candidates (the K1
			// policy proposals first, then the K2 draws: rows at stride
			// (K1 + K2)·d), drawn with two seeds.
			rows, d := s.rows, s.w
			at := make([]float64, rows*d)
			for i := range at {
				at[i] = []float64{2.4*rng.Float64() - 1.2, 1, -1, 1.1}[i%4]
			}
			t := make([]float64, rows)
			for i := range t {
				t[i] = times[(i+rows)%len(times)]
			}
			ld := (s.k1 + s.k2) * d
			return []operand{matOut("dst", rows, s.k2*d, ld), matOut("dst2", rows, s.k2*d, ld), matIn("at", rows, d, 0, at), vecIn("t", t)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			ld, sd := (s.k1+s.k2)*s.w, seed(s)
			be.TruncPosterior(x[0], ld, x[2], x[3], s.rows, s.k2, s.w, sd)
			be.TruncPosterior(x[1], ld, x[2], x[3], s.rows, s.k2, s.w, [2]uint64{sd[0] + 1, sd[1]})
			return nil
		},
		check: func(s shape, x, got [][]float64, _ []float64) []string {
			return checkPosterior(s, x[2], x[3], got[0], got[1])
		},
	}
}

// checkPosterior checks draws a_0 = (a_t − t·ε′)/(1 − t), ε′ a standard
// normal truncated to [(a_t − (1−t))/t, (a_t + (1−t))/t], against their
// distribution: all in [−1, 1]; per state and dimension the mean of the
// K2 draws within 6 standard errors (plus float32 rounding) of the
// exact mean; over all draws whose spread float32 resolves, the mean and
// mean square of the standardised draws within 6 standard errors of 0
// and 1; the second seed's draws other numbers. The seed is fixed, so a
// correct backend passes or fails deterministically; 6σ keeps a correct
// generator's failure below 1e−8.
func checkPosterior(s shape, at, t, dst, dst2 []float64) []string {
	var errs []string
	rows, k, d := s.rows, s.k2, s.w
	var zs, z2s, n, same float64
	var z2 []float64
	for _, out := range [][]float64{dst, dst2} {
		for i := 0; i < rows; i++ {
			ti := t[i]
			for j := 0; j < d; j++ {
				a := at[i*d+j]
				m, vr := truncMoments((a-(1-ti))/ti, (a+(1-ti))/ti)
				want := (a - ti*m) / (1 - ti)
				sd := ti * math.Sqrt(math.Max(vr, 0)) / (1 - ti)
				var sum float64
				for c := 0; c < k; c++ {
					v := out[i*k*d+c*d+j]
					if !(v >= -1 && v <= 1) {
						errs = append(errs, fmt.Sprintf("state %d, dimension %d: draw %d = %v, outside [−1, 1] (a_t = %v, t = %v)", i, j, c, v, a, ti))
						return errs
					}
					sum += v
					if sd > 1e3*u {
						z := (v - want) / sd
						zs += z
						z2s += z * z
						z2 = append(z2, z*z)
						n++
					}
				}
				mean := sum / float64(k)
				if lim := 6*sd/math.Sqrt(float64(k)) + 4*u; !(math.Abs(mean-want) <= lim) {
					errs = append(errs, fmt.Sprintf("state %d, dimension %d (a_t = %v, t = %v): mean of %d draws %.7g, want %.7g ± %.3g", i, j, a, ti, k, mean, want, lim))
				}
			}
		}
	}
	for i := range dst {
		if dst[i] == dst2[i] {
			same++
		}
	}
	if same > 0.5*float64(len(dst)) {
		errs = append(errs, fmt.Sprintf("%v of %d draws are the same with another seed", same, len(dst)))
	}
	if n > 0 {
		mz, mz2 := zs/n, z2s/n
		var v2 float64
		for _, q := range z2 {
			v2 += (q - mz2) * (q - mz2)
		}
		v2 /= n
		if lim := 6 / math.Sqrt(n); !(math.Abs(mz) <= lim) {
			errs = append(errs, fmt.Sprintf("mean of %v standardised draws %.4g, want 0 ± %.3g", n, mz, lim))
		}
		if lim := 6 * math.Sqrt(v2/n); !(math.Abs(mz2-1) <= lim) {
			errs = append(errs, fmt.Sprintf("mean square of %v standardised draws %.4g, want 1 ± %.3g", n, mz2, lim))
		}
	}
	return errs
}

func snisVelocityOp[T Float]() op[T] {
	var ss []shape
	for _, mix := range []backend.ProposalMix{backend.ESSMix, backend.BalanceMix} {
		for _, rows := range []int{1, 5, 256} {
			for i, k := range [][2]int{{1, 1}, {4, 8}, {16, 32}} {
				for _, d := range []int{1, 2, 6} {
					ss = append(ss, shape{rows: rows, k1: k[0], k2: k[1], w: d, alpha: []float64{0.01, 1, 0.1}[i],
						special: rows == 5 && d == 2, flag: mix == backend.BalanceMix, note: mixNames[mix]})
				}
			}
		}
	}
	times := []float64{1e-4, 0.05, 0.5, 0.95, 0.9999}
	return op[T]{
		name:   "SNISVelocity",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, d, k1, k := s.rows, s.w, s.k1, s.k1+s.k2
			t := make([]float64, rows)
			at, cand := make([]float64, rows*d), make([]float64, rows*k*d)
			for i := range t {
				t[i] = times[(i+k)%len(times)]
				if i%5 == 4 {
					t[i] = 1e-3 + 0.998*rng.Float64()
				}
				for c := range cand[i*k*d : (i+1)*k*d] {
					cand[i*k*d+c] = 2*rng.Float64() - 1
				}
				for j := 0; j < d; j++ {
					at[i*d+j] = (1-t[i])*cand[i*k*d+j] + t[i]*rng.NormFloat64()
				}
			}
			q := normals(rng, rows*k, 3*s.alpha)
			if s.special {
				q[k+rng.IntN(k)] = math.NaN()
			}
			return []operand{matOut("vhat", rows, d, 0), matIn("at", rows, d, 0, at), vecIn("t", t),
				matIn("cand", rows, k*d, 0, cand), matIn("q", rows, k, 0, q), matIn("logp", rows, k1, 0, normals(rng, rows*k1, 2))}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			w := make([]float64, cpu.VelocityScratch(s.k1, s.k2, s.w))
			e1, e2, sq := be.SNISVelocity(x[0], x[1], x[2], x[3], x[4], x[5], s.rows, s.k1, s.k2, s.w, s.alpha, mixOf(s), w)
			return []float64{e1, e2, sq}
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			rows, d := s.rows, s.w
			tol := make([]float64, rows*d)
			for i := 0; i < rows; i++ {
				b := snisBound(s, x, i)
				if b.nan {
					continue
				}
				copy(tol[i*d:], b.dv)
			}
			return [][]float64{tol}
		},
		resTol: func(s shape, x [][]float64, _ []float64) []float64 {
			var r [3]float64
			for i := 0; i < s.rows; i++ {
				b := snisBound(s, x, i)
				r[0] += b.dess[0]
				r[1] += b.dess[1]
				for _, q := range x[4][i*(s.k1+s.k2) : i*(s.k1+s.k2)+s.k1] {
					r[2] += float64(s.rows*s.k1) * e64 * math.Abs(q)
				}
			}
			return []float64{slack * r[0], slack * r[1], slack * r[2]}
		},
	}
}

type snisRow struct {
	dv   []float64  // allowance of v̂ per dimension
	dess [2]float64 // of each ESS
	nan  bool
}

// snisBound is the float64 error allowance of one state's SNIS estimate:
// each log-weight carries a few e64 of its terms' magnitudes (δ_k), a
// weight's relative error is at most 2·max δ, so v̂ⁱ = (a_t − Σw̃a_0)/t
// moves by Σ w̃_k·2δ_k·|a_0 − v| /t plus its own roundings, each ESS by
// 4·max δ relative, and λ by λ(1−λ)·8·max δ.
func snisBound(s shape, x [][]float64, i int) snisRow {
	d, k1, k := s.w, s.k1, s.k1+s.k2
	at, t := x[1][i*d:(i+1)*d], x[2][i]
	cand, q, logp := x[3][i*k*d:(i+1)*k*d], x[4][i*k:(i+1)*k], x[5][i*k1:(i+1)*k1]
	if hasNaN(q) {
		return snisRow{nan: true}
	}
	if s.flag {
		return balanceBound(s, at, t, cand, q, logp)
	}
	lw, dl := make([]float64, k), make([]float64, k)
	for c := 0; c < k; c++ {
		lw[c] = q[c] / s.alpha
		mag := math.Abs(lw[c])
		if c < k1 {
			var sq float64
			for j := range at {
				r := at[j] - (1-t)*cand[c*d+j]
				sq += r * r
			}
			lw[c] += -sq/(2*t*t) - logp[c]
			mag += sq/(2*t*t) + math.Abs(logp[c])
		}
		dl[c] = float64(4+2*d) * e64 * mag
	}
	row := snisRow{dv: make([]float64, d)}
	var v [2][]float64
	var dv [2][]float64
	var ess [2]float64
	var maxd [2]float64
	for pi, rg := range [][2]int{{0, k1}, {k1, k}} {
		w := append([]float64(nil), lw[rg[0]:rg[1]]...)
		m := math.Inf(-1)
		for _, l := range w {
			m = math.Max(m, l)
		}
		var sum, sq float64
		for c := range w {
			w[c] = math.Exp(w[c] - m)
			sum += w[c]
			maxd[pi] = math.Max(maxd[pi], dl[rg[0]+c])
		}
		for c := range w {
			w[c] /= sum
			sq += w[c] * w[c]
		}
		ess[pi] = 1 / sq
		v[pi], dv[pi] = make([]float64, d), make([]float64, d)
		for j := range at {
			var mw, mag float64
			for c := range w {
				mw += w[c] * cand[(rg[0]+c)*d+j]
				mag += w[c] * math.Abs(cand[(rg[0]+c)*d+j])
			}
			var spread float64
			for c := range w {
				spread += w[c] * 2 * (maxd[pi] + dl[rg[0]+c]) * math.Abs(cand[(rg[0]+c)*d+j]-mw)
			}
			v[pi][j] = (at[j] - mw) / t
			dv[pi][j] = (spread + float64(k+4)*e64*(math.Abs(at[j])+mag)) / t
		}
		row.dess[pi] = ess[pi] * (4*maxd[pi] + float64(k+4)*e64)
	}
	lam := ess[0] / (ess[0] + ess[1] + 1e-10)
	dlam := lam * (1 - lam) * 8 * math.Max(maxd[0], maxd[1])
	for j := range at {
		row.dv[j] = slack * (lam*dv[0][j] + (1-lam)*dv[1][j] + dlam*math.Abs(v[0][j]-v[1][j]) + 4*e64*(math.Abs(lam*v[0][j])+math.Abs((1-lam)*v[1][j])))
	}
	return row
}

// balanceBound is snisBound for the balance mix: one normalisation over
// all k1 + k2 candidates, whose log-weights add the log-density of the
// proposals' mixture (a kernel density estimate of the policy's and the
// truncated posterior's, through log and the normal's log-mass): 64 e64
// of each log-weight's terms' magnitudes, for those special functions.
func balanceBound(s shape, at []float64, t float64, cand, q, logp []float64) snisRow {
	d, k1, k2, k := s.w, s.k1, s.k2, s.k1+s.k2
	lq := make([]float64, cpu.VelocityScratch(k1, k2, d))
	cpu.PolicyKDE(lq[:k], cand, k1, d, lq[k:])
	c2 := math.Abs(cpu.PosteriorLogNorm(at, t))
	dl := make([]float64, k)
	var maxd float64
	for c := 0; c < k; c++ {
		var sq float64
		for j := range at {
			r := at[j] - (1-t)*cand[c*d+j]
			sq += r * r
		}
		lqc := lq[c]
		if math.IsInf(lqc, -1) { // no kernel: exact (a policy candidate's weight is then 0)
			lqc = 0
		}
		mag := math.Abs(q[c]/s.alpha) + sq/(t*t) + c2 + math.Abs(lqc) + math.Log(float64(k))
		if c < k1 {
			mag += math.Abs(lqc) + math.Abs(logp[c])
		}
		dl[c] = 64 * e64 * mag
		maxd = math.Max(maxd, dl[c])
	}
	w := append([]float64(nil), lq[:k]...)
	vh := make([]float64, d)
	e1, e2 := cpu.BalanceWeighted(vh, at, t, cand, q, logp, k1, k2, s.alpha, w) // w: the normalised weights
	row := snisRow{dv: make([]float64, d)}
	for j := range at {
		var mw, mag float64
		for c := range w {
			mw += w[c] * cand[c*d+j]
			mag += w[c] * math.Abs(cand[c*d+j])
		}
		var spread float64
		for c := range w {
			spread += w[c] * 2 * (maxd + dl[c]) * math.Abs(cand[c*d+j]-mw)
		}
		row.dv[j] = slack * (spread + float64(k+4)*e64*(math.Abs(at[j])+mag)) / t
	}
	row.dess = [2]float64{e1 * (4*maxd + float64(k+4)*e64), e2 * (4*maxd + float64(k+4)*e64)}
	return row
}
