package cpu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
)

// TruncPosterior: the draws of one PCG seeded with seed in row order, at
// the rows' strides (the gaps untouched), inside the box, and in float32
// the float64 kernel's draws rounded.
func TestTruncPosterior(t *testing.T) {
	rows, k, d, ld := 5, 7, 3, 30
	rng := rand.New(rand.NewPCG(9, 10))
	at := randVec32(rng, rows*d, 0.6)
	at[4] = 1.3 // a_t outside the box (t·ε can put it there)
	tt := []float32{1e-4, 0.2, 0.5, 0.9, 1 - 1e-4}
	seed := [2]uint64{11, 12}
	const guard = -7
	dst := make([]float32, rows*ld)
	for i := range dst {
		dst[i] = guard
	}
	New[float32]().TruncPosterior(dst, ld, at, tt, rows, k, d, seed)
	dst64 := make([]float64, rows*ld)
	at64 := f64(at)
	New[float64]().TruncPosterior(dst64, ld, at64, f64(tt), rows, k, d, seed)
	ref := rand.New(rand.NewPCG(seed[0], seed[1]))
	for i := 0; i < rows; i++ {
		want := make([]float32, k*d)
		SamplePosterior(ref, want, at[i*d:(i+1)*d], float64(tt[i]))
		for c := 0; c < ld; c++ {
			got := dst[i*ld+c]
			if c >= k*d {
				if got != guard {
					t.Fatalf("row %d: element %d beyond the draws written", i, c)
				}
				continue
			}
			if math.Float32bits(got) != math.Float32bits(want[c]) {
				t.Fatalf("row %d draw %d: %v, one PCG in row order gives %v", i, c, got, want[c])
			}
			if float32(dst64[i*ld+c]) != got || !(got >= -1 && got <= 1) {
				t.Fatalf("row %d draw %d: float32 %v, float64 %v", i, c, got, dst64[i*ld+c])
			}
		}
	}
	// The posterior of a_0 given a_t: E[a_0] → a_t/(1 − t)'s clip as
	// t → 0, and the draws spread over the box as t → 1.
	big := 4000
	one := make([]float32, big)
	New[float32]().TruncPosterior(one, big, []float32{0.3}, []float32{0.01}, 1, big, 1, [2]uint64{1, 2})
	var m float64
	for _, v := range one {
		m += float64(v) / float64(big)
	}
	if math.Abs(m-0.3/0.99) > 0.003 {
		t.Fatalf("t = 0.01: mean draw %v, want about %v", m, 0.3/0.99)
	}
}

// snis64 is the velocity estimate of §4 for one state written out in
// float64 with log-sum-exp normalisation.
func snis64(at []float64, t float64, cand, q, logp []float64, k1, k2 int, alpha float64) (v []float64, ess1, ess2 float64) {
	d := len(at)
	lw := make([]float64, k1+k2)
	for k := range lw {
		lw[k] = q[k] / alpha
		if k < k1 {
			var sq float64
			for j := range at {
				r := at[j] - (1-t)*cand[k*d+j]
				sq += r * r
			}
			lw[k] += -sq/(2*t*t) - logp[k]
		}
	}
	est := func(lo, hi int) ([]float64, float64) {
		m := math.Inf(-1)
		for _, x := range lw[lo:hi] {
			m = math.Max(m, x)
		}
		var lse float64
		for _, x := range lw[lo:hi] {
			lse += math.Exp(x - m)
		}
		lse = m + math.Log(lse)
		vi := make([]float64, d)
		var sq float64
		for k := lo; k < hi; k++ {
			w := math.Exp(lw[k] - lse)
			sq += w * w
			for j := range vi {
				vi[j] += w * (at[j] - cand[k*d+j]) / t
			}
		}
		return vi, 1 / sq
	}
	v1, e1 := est(0, k1)
	v2, e2 := est(k1, k1+k2)
	lam := e1 / (e1 + e2 + 1e-10)
	v = make([]float64, d)
	for j := range v {
		v[j] = lam*v1[j] + (1-lam)*v2[j]
	}
	return v, e1, e2
}

func TestSNISVelocityVsFloat64(t *testing.T) {
	rows, k1, k2, d := 6, 5, 9, 3
	k := k1 + k2
	rng := rand.New(rand.NewPCG(13, 14))
	at := randVec32(rng, rows*d, 0.5)
	tt := []float32{0.05, 0.3, 0.5, 0.7, 0.95, 0.5}
	cand := randVec32(rng, rows*k*d, 0.4)
	q := randVec32(rng, rows*k, 0.02)
	logp := randVec32(rng, rows*k1, 1)
	const alpha = 0.01
	vhat := make([]float32, rows*d)
	w := make([]float64, k)
	e1, e2, sq := New[float32]().SNISVelocity(vhat, at, tt, cand, q, logp, rows, k1, k2, d, alpha, backend.ESSMix, w)
	var w1, w2, wq float64
	for s := 0; s < rows; s++ {
		v, a, b := snis64(f64(at[s*d:(s+1)*d]), float64(tt[s]), f64(cand[s*k*d:(s+1)*k*d]), f64(q[s*k:(s+1)*k]), f64(logp[s*k1:(s+1)*k1]), k1, k2, alpha)
		w1, w2 = w1+a, w2+b
		for _, x := range q[s*k : s*k+k1] {
			wq += float64(x)
		}
		for j := range v {
			if math.Abs(float64(vhat[s*d+j])-v[j]) > 1e-5*(1+math.Abs(v[j])) {
				t.Fatalf("state %d: v̂[%d] = %v, float64 %v", s, j, vhat[s*d+j], v[j])
			}
		}
	}
	if math.Abs(e1-w1) > 1e-9*w1 || math.Abs(e2-w2) > 1e-9*w2 || math.Abs(sq-wq) > 1e-12*(1+math.Abs(wq)) {
		t.Fatalf("sums (%v, %v, %v), want (%v, %v, %v)", e1, e2, sq, w1, w2, wq)
	}
	// An infinite Q makes that state's estimate NaN (the actor loss reports it).
	q[k+2] = float32(math.Inf(1))
	New[float32]().SNISVelocity(vhat, at, tt, cand, q, logp, rows, k1, k2, d, alpha, backend.ESSMix, w)
	if v := vhat[d]; v == v {
		t.Fatalf("infinite Q: v̂ = %v", v)
	}
}
