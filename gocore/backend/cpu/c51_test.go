package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// The C51 kernels against float64 references written from the formulas
// of docs/algorithm.md §3 (and, for the float32 kernels, the same kernel
// run in float64 on the same inputs).

func TestExp32(t *testing.T) {
	// Exp32 and expShift32 (fast path inside [−86.6, 88], Exp32 outside),
	// on a dense grid from below the normal range to overflow.
	var xs []float32
	for x := -104.0; x <= 88.7; x += 0.000731 {
		xs = append(xs, float32(x))
	}
	ys := slices.Clone(xs)
	expShift32(ys, 0)
	sh := slices.Clone(xs)
	expShift32(sh, -1.5) // e^(x + 1.5)
	worst, worstShift := 0.0, 0.0
	for i, x := range xs {
		want := math.Exp(float64(x))
		for _, got := range []float64{float64(Exp32(x)), float64(ys[i])} {
			var e float64
			if want < 1.2e-38 { // subnormal results: absolute error of an ulp there
				e = math.Abs(got-want) / 1.2e-38 * 1e-7
			} else {
				e = math.Abs(got-want) / want
			}
			worst = math.Max(worst, e)
		}
		if x < 86 {
			w := math.Exp(float64(x - -1.5))
			if w > 1.2e-38 {
				worstShift = math.Max(worstShift, math.Abs(float64(sh[i])-w)/w)
			}
		}
	}
	if worst > 2.5e-7 || worstShift > 2.5e-7 {
		t.Fatalf("exp relative error %g, shifted %g", worst, worstShift)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	special := []float32{nan, -88, -1e30, -inf, 89, inf, 0}
	want := []float64{math.NaN(), 0, 0, 0, // Exp32 flushes results below the normal range to 0
		math.Inf(1), math.Inf(1), 1}
	got := slices.Clone(special)
	expShift32(got, 0)
	for i, x := range special {
		for _, g := range []float32{Exp32(x), got[i]} {
			w := want[i]
			if !(float64(g) == w || math.IsNaN(w) && g != g || math.Abs(float64(g)-w) < 1e-44) {
				t.Errorf("exp(%v) = %v, want %v", x, g, w)
			}
		}
	}
}

func TestCrossEntropyRowAndSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	z := linspace(21, -50, 50)
	for trial := 0; trial < 100; trial++ {
		n := 21
		logits, rho := make([]float32, n), make([]float32, n)
		offset := []float64{0, 1e4, -1e4, 80}[trial%4] // stability: huge common offsets
		var rs float64
		for j := range logits {
			logits[j] = float32(offset + 3*rng.NormFloat64())
			rho[j] = float32(rng.Float64())
			rs += float64(rho[j])
		}
		if trial%2 == 0 { // a distribution, and an unnormalised weight vector
			for j := range rho {
				rho[j] = float32(float64(rho[j]) / rs)
			}
			rs = 1
		}
		ls := logSoftmax64(f64(logits))
		var want, wmean float64
		for j := range ls {
			want -= float64(rho[j]) * ls[j]
			wmean += math.Exp(ls[j]) * float64(z[j])
		}
		if got := float64(SoftmaxMean(slices.Clone(logits), z)); math.Abs(got-wmean) > 1e-5*(1+math.Abs(wmean)) {
			t.Fatalf("SoftmaxMean = %v, want %v", got, wmean)
		}
		sm := append([]float32(nil), logits...)
		softmaxRow(sm)
		for j := range sm {
			if math.Abs(float64(sm[j])-math.Exp(ls[j])) > 1e-6 {
				t.Fatalf("softmax[%d] = %v, want %v", j, sm[j], math.Exp(ls[j]))
			}
		}
		const scale = 0.125
		g := append([]float32(nil), logits...)
		got := CrossEntropyRow(g, rho, scale)
		if math.Abs(got-want) > 1e-5*(1+math.Abs(want)) {
			t.Fatalf("loss = %v, want %v", got, want)
		}
		for j := range g {
			wg := scale * (math.Exp(ls[j])*rs - float64(rho[j]))
			if math.Abs(float64(g[j])-wg) > 1e-7 {
				t.Fatalf("gradient[%d] = %v, want %v", j, g[j], wg)
			}
		}
	}
	// Non-finite inputs give a non-finite loss and mean.
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		logits := []float32{0, 1, 2}
		rho := []float32{0.2, 0.3, 0.5}
		l2 := append([]float32(nil), logits...)
		l2[1] = bad
		if v := CrossEntropyRow(append([]float32(nil), l2...), rho, 1); !math.IsNaN(v) && !math.IsInf(v, 0) {
			t.Errorf("logit %v: loss %v", bad, v)
		}
		if v := SoftmaxMean(slices.Clone(l2), z[:3]); v == v && !math.IsInf(float64(v), 0) {
			t.Errorf("logit %v: mean %v", bad, v)
		}
		r2 := append([]float32(nil), rho...)
		r2[0] = bad
		if v := CrossEntropyRow(append([]float32(nil), logits...), r2, 1); !math.IsNaN(v) && !math.IsInf(v, 0) {
			t.Errorf("rho %v: loss %v", bad, v)
		}
	}
	l0 := []float32{float32(math.NaN()), 1, 2}
	if v := SoftmaxMean(l0, z[:3]); v == v {
		t.Errorf("NaN first logit: mean %v", v)
	}
}

// linspace is the C51 support of n atoms on [lo, hi] in float32, as
// critic.NewSupport makes it.
func linspace(n int, lo, hi float64) []float32 {
	z := make([]float32, n)
	for j := range z {
		z[j] = float32(lo + float64(j)*(hi-lo)/float64(n-1))
	}
	z[n-1] = float32(hi)
	return z
}

func support32(n int, lo, hi float64) backend.Support[float32] {
	return backend.Support[float32]{Z: linspace(n, lo, hi), Min: float32(lo), Max: float32(hi), Delta: float32((hi - lo) / float64(n-1))}
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// logSoftmax64 is the float64 reference log-softmax.
func logSoftmax64(x []float64) []float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - m)
	}
	out := make([]float64, len(x))
	for j, v := range x {
		out[j] = v - m - math.Log(s)
	}
	return out
}

// projectCleared is the projection as it was written before Project
// stopped clearing rho: clear, then accumulate; Project must give its
// sums bit for bit.
func projectCleared(rho, p, tz []float32, sup backend.Support[float32]) {
	clear(rho)
	last := len(rho) - 1
	for j, pj := range p {
		t := tz[j]
		if t < sup.Min {
			t = sup.Min
		} else if t > sup.Max {
			t = sup.Max
		}
		b := (t - sup.Min) / sup.Delta
		if b != b {
			rho[0] = b
			continue
		}
		l := int(b)
		if l >= last {
			rho[last] += pj
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

func TestProjectWithoutClearing(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	for trial := 0; trial < 400; trial++ {
		n := []int{2, 11, 101}[trial%3]
		sup := support32(n, -50, 50)
		p, tz := make([]float32, n), make([]float32, n)
		for j := range p {
			p[j] = float32(rng.Float64())
			switch trial % 4 {
			case 0: // monotone, as a target's Tz is
				tz[j] = float32(10*rng.Float64()) + 0.9*sup.Z[j]
			case 1: // any order, beyond the bounds too
				tz[j] = float32(140 * (rng.Float64() - 0.5))
			case 2: // a narrow cluster: most atoms get nothing
				tz[j] = float32(3 + rng.Float64())
			default: // on atoms, with repeats
				tz[j] = sup.Z[rng.IntN(n)]
			}
		}
		if trial%10 == 9 {
			tz[rng.IntN(n)] = nan
		}
		got := make([]float32, n)
		for j := range got {
			got[j] = nan // Project must write every atom
		}
		want := make([]float32, n)
		Project(got, p, tz, 0, 1, 0, sup)
		projectCleared(want, p, tz, sup)
		for j := range got {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("trial %d: rho[%d] = %v (%#x), clear-then-accumulate gives %v (%#x)", trial, j, got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
			}
		}
		if trial%10 != 9 {
			ref := fd.Project64(len(sup.Z), float64(sup.Z[0]), float64(sup.Z[len(sup.Z)-1]), f64(p), f64(tz))
			for j := range got {
				if math.Abs(float64(got[j])-ref[j]) > 1e-7*float64(n)*(1+ref[j]) { // b carries an ulp of up to n
					t.Fatalf("trial %d: rho[%d] = %v, float64 %v", trial, j, got[j], ref[j])
				}
			}
		}
	}
}

// c51Case is a batch of C51 rows with rewards, flags and log-likelihoods.
type c51Case struct {
	sup                backend.Support[float32]
	l0, l1             []float32
	rew, notDone, logp []float32
	gamma, alpha       float32
	rows               int
}

func newC51Case(seed uint64, rows, atoms int) c51Case {
	rng := rand.New(rand.NewPCG(seed, 1))
	c := c51Case{sup: support32(atoms, -100, 100), rows: rows, gamma: 0.99, alpha: 0.3}
	for i := 0; i < rows; i++ {
		for j := 0; j < atoms; j++ {
			c.l0 = append(c.l0, float32(2*rng.NormFloat64()+[]float64{0, 50, -80}[i%3]))
			c.l1 = append(c.l1, float32(2*rng.NormFloat64()))
		}
		c.rew = append(c.rew, float32(30*rng.NormFloat64()))
		c.notDone = append(c.notDone, float32(min(i%5, 1)))
		c.logp = append(c.logp, float32(5*rng.NormFloat64()))
	}
	return c
}

func TestC51TargetVsFloat64(t *testing.T) {
	be, be64 := New[float32](), New[float64]()
	for _, clipped := range []bool{true, false} {
		c := newC51Case(3, 40, 21)
		na := len(c.sup.Z)
		rho := make([]float32, c.rows*na)
		be.C51Target(rho, slices.Clone(c.l0), slices.Clone(c.l1), c.sup, c.rew, c.notDone, c.logp, c.gamma, c.alpha, clipped, c.rows)
		// The same kernel in float64, and the formulas written out.
		sup64 := backend.Support[float64]{Z: f64(c.sup.Z), Min: float64(c.sup.Min), Max: float64(c.sup.Max), Delta: float64(c.sup.Delta)}
		rho64 := make([]float64, c.rows*na)
		be64.C51Target(rho64, f64(c.l0), f64(c.l1), sup64, f64(c.rew), f64(c.notDone), f64(c.logp), float64(c.gamma), float64(c.alpha), clipped, c.rows)
		z := f64(c.sup.Z)
		for i := 0; i < c.rows; i++ {
			var r [2][]float64
			var m [2]float64
			for k, l := range [][]float32{c.l0, c.l1} {
				ls := logSoftmax64(f64(l[i*na : (i+1)*na]))
				p, tz := make([]float64, na), make([]float64, na)
				for j := range ls {
					p[j] = math.Exp(ls[j])
					tz[j] = float64(c.rew[i]) + float64(c.gamma)*float64(c.notDone[i])*(z[j]-float64(c.alpha)*float64(c.logp[i]))
				}
				r[k] = fd.Project64(len(z), z[0], z[len(z)-1], p, tz)
				for j, v := range r[k] {
					m[k] += v * z[j]
				}
			}
			want := make([]float64, na)
			for j := range want {
				switch {
				case !clipped:
					want[j] = (r[0][j] + r[1][j]) / 2
				case m[1] < m[0]:
					want[j] = r[1][j]
				default:
					want[j] = r[0][j]
				}
			}
			if clipped && math.Abs(m[0]-m[1]) < 1e-3 {
				continue // a near tie may go either way in float32
			}
			for j := range want {
				got, got64 := float64(rho[i*na+j]), rho64[i*na+j]
				if math.Abs(got-want[j]) > 2e-6 || math.Abs(got64-want[j]) > 1e-12 {
					t.Fatalf("clipped %v row %d atom %d: float32 %v, float64 kernel %v, reference %v", clipped, i, j, got, got64, want[j])
				}
			}
		}
	}
}

func TestC51TargetNaN(t *testing.T) {
	// A NaN reward makes the row's target NaN; a NaN logit of one critic
	// wins the clipped comparison; the other rows stay finite.
	be := New[float32]()
	c := newC51Case(4, 3, 11)
	na := 11
	c.rew[0] = float32(math.NaN())
	c.l1[1*na+4] = float32(math.NaN())
	rho := make([]float32, 3*na)
	be.C51Target(rho, c.l0, c.l1, c.sup, c.rew, c.notDone, c.logp, c.gamma, c.alpha, true, 3)
	finite := func(row []float32) bool {
		for _, v := range row {
			if v != v {
				return false
			}
		}
		return true
	}
	if finite(rho[:na]) || finite(rho[na:2*na]) || !finite(rho[2*na:]) {
		t.Fatalf("rho = %v", rho)
	}
}

func TestC51CrossEntropyVsFloat64(t *testing.T) {
	be, be64 := New[float32](), New[float64]()
	c := newC51Case(5, 17, 21)
	na := 21
	rho := make([]float32, c.rows*na)
	be.C51Target(rho, slices.Clone(c.l0), slices.Clone(c.l1), c.sup, c.rew, c.notDone, c.logp, c.gamma, c.alpha, true, c.rows)
	const scale = 1.0 / 17
	g := slices.Clone(c.l0)
	loss := be.C51CrossEntropy(g, rho, scale, c.rows, na)
	g64 := f64(c.l0)
	loss64 := be64.C51CrossEntropy(g64, f64(rho), scale, c.rows, na)
	var want float64
	for i := 0; i < c.rows; i++ {
		ls := logSoftmax64(f64(c.l0[i*na : (i+1)*na]))
		var rs float64
		for j := range ls {
			want -= float64(rho[i*na+j]) * ls[j]
			rs += float64(rho[i*na+j])
		}
		for j := range ls {
			wg := scale * (math.Exp(ls[j])*rs - float64(rho[i*na+j]))
			if math.Abs(float64(g[i*na+j])-wg) > 1e-7 || math.Abs(g64[i*na+j]-wg) > 1e-15 {
				t.Fatalf("gradient [%d,%d] = %v (float64 kernel %v), want %v", i, j, g[i*na+j], g64[i*na+j], wg)
			}
		}
	}
	if math.Abs(loss-want) > 1e-5*math.Abs(want) || math.Abs(loss64-want) > 1e-12*math.Abs(want) {
		t.Fatalf("loss %v (float64 kernel %v), want %v", loss, loss64, want)
	}
}

func TestC51ValuesVsFloat64(t *testing.T) {
	be, be64 := New[float32](), New[float64]()
	c := newC51Case(6, 30, 21)
	na := 21
	z := f64(c.sup.Z)
	for _, useMin := range []bool{true, false} {
		q := make([]float32, c.rows)
		be.C51Values(q, slices.Clone(c.l0), slices.Clone(c.l1), c.sup.Z, c.rows, useMin)
		q64 := make([]float64, c.rows)
		be64.C51Values(q64, f64(c.l0), f64(c.l1), z, c.rows, useMin)
		for i := 0; i < c.rows; i++ {
			var e [2]float64
			for k, l := range [][]float32{c.l0, c.l1} {
				for j, v := range logSoftmax64(f64(l[i*na : (i+1)*na])) {
					e[k] += math.Exp(v) * z[j]
				}
			}
			want := (e[0] + e[1]) / 2
			if useMin {
				want = math.Min(e[0], e[1])
			}
			if math.Abs(float64(q[i])-want) > 1e-4*(1+math.Abs(want)) || math.Abs(q64[i]-want) > 1e-10*(1+math.Abs(want)) {
				t.Fatalf("useMin %v row %d: %v (float64 kernel %v), want %v", useMin, i, q[i], q64[i], want)
			}
			// The same value as SoftmaxMean's, bit for bit (best-of-N scores with it).
			q0 := SoftmaxMean(slices.Clone(c.l0[i*na:(i+1)*na]), c.sup.Z)
			q1 := SoftmaxMean(slices.Clone(c.l1[i*na:(i+1)*na]), c.sup.Z)
			if useMin && math.Float32bits(q[i]) != math.Float32bits(min(q0, q1)) {
				t.Fatalf("row %d: C51Values %v, SoftmaxMean min %v", i, q[i], min(q0, q1))
			}
		}
	}
}
