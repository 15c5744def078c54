package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func randVec32(rng *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(scale * rng.NormFloat64())
	}
	return x
}

// AdamTo is Adam's arithmetic out of place: bit for bit the in-place
// step, with its sources untouched, and the textbook step in float64.
func TestAdamTo(t *testing.T) {
	be := New[float32]()
	rng := rand.New(rand.NewPCG(1, 2))
	n := 37
	p, g := randVec32(rng, n, 1), randVec32(rng, n, 0.1)
	m, v := randVec32(rng, n, 0.01), randVec32(rng, n, 0.001)
	for i := range v {
		v[i] = float32(math.Abs(float64(v[i])))
	}
	const step, eps, b1, b2 = 1e-3, 1e-8, 0.9, 0.999
	p0, m0, v0 := slices.Clone(p), slices.Clone(m), slices.Clone(v)
	pd, md, vd := make([]float32, n), make([]float32, n), make([]float32, n)
	be.AdamTo(pd, md, vd, p, g, m, v, step, eps, b1, b2)
	if !slices.Equal(p, p0) || !slices.Equal(m, m0) || !slices.Equal(v, v0) {
		t.Fatal("AdamTo changed its sources")
	}
	be.Adam(p, g, m, v, step, eps, b1, b2)
	for i := range p {
		if math.Float32bits(p[i]) != math.Float32bits(pd[i]) || math.Float32bits(m[i]) != math.Float32bits(md[i]) || math.Float32bits(v[i]) != math.Float32bits(vd[i]) {
			t.Fatalf("element %d: AdamTo (%v, %v, %v), Adam (%v, %v, %v)", i, pd[i], md[i], vd[i], p[i], m[i], v[i])
		}
		mi := b1*float64(m0[i]) + (1-b1)*float64(g[i])
		vi := b2*float64(v0[i]) + (1-b2)*float64(g[i])*float64(g[i])
		want := float64(p0[i]) - step*mi/(math.Sqrt(vi)+eps)
		if math.Abs(float64(pd[i])-want) > 1e-6*(1+math.Abs(want)) || math.Abs(float64(md[i])-mi) > 5e-7*(math.Abs(b1*float64(m0[i]))+math.Abs((1-b1)*float64(g[i]))) {
			t.Fatalf("element %d: θ %v, m %v; float64 %v, %v", i, pd[i], md[i], want, mi)
		}
	}
	// Aliased destinations are the in-place step.
	p2, m2, v2 := slices.Clone(p0), slices.Clone(m0), slices.Clone(v0)
	be.AdamTo(p2, m2, v2, p2, g, m2, v2, step, eps, b1, b2)
	if !slices.Equal(p2, pd) || !slices.Equal(m2, md) || !slices.Equal(v2, vd) {
		t.Fatal("AdamTo in place differs")
	}
}

func TestPolyakTo(t *testing.T) {
	be := New[float32]()
	rng := rand.New(rand.NewPCG(3, 4))
	target, online := randVec32(rng, 29, 1), randVec32(rng, 29, 1)
	t0 := slices.Clone(target)
	dst := make([]float32, 29)
	be.PolyakTo(dst, target, online, 0.005)
	be.Polyak(target, online, 0.005)
	for i := range dst {
		want := 0.005*float64(online[i]) + 0.995*float64(t0[i])
		if math.Float32bits(dst[i]) != math.Float32bits(target[i]) || math.Abs(float64(dst[i])-want) > 1e-6*(1+math.Abs(want)) {
			t.Fatalf("element %d: PolyakTo %v, Polyak %v, float64 %v", i, dst[i], target[i], want)
		}
	}
}

func TestSum64(t *testing.T) {
	x := []float32{1e8, 1, -1e8, 0.5, float32(math.SmallestNonzeroFloat32)}
	want := 1e8 + 1 - 1e8 + 0.5 + float64(float32(math.SmallestNonzeroFloat32))
	if got := New[float32]().Sum64(x); got != want {
		t.Fatalf("Sum64 = %v, want %v (in float64)", got, want)
	}
	if got := New[float32]().Sum64([]float32{1, float32(math.NaN())}); got == got {
		t.Fatalf("Sum64 with a NaN = %v", got)
	}
}

func TestNoisyActionsVsFloat64(t *testing.T) {
	be := New[float32]()
	rng := rand.New(rand.NewPCG(5, 6))
	rows, d := 9, 3
	const g = 1e-3
	tt := []float32{0, 1e-5, 0.2, 0.5, 0.99, 1, 0.7, 0.3, 0.0001}
	h := []float32{0.1, -0.5, 0.3, 0.25, 2, 0.5, 0.7, 0.31, 0}
	a0, noise := randVec32(rng, rows*d, 0.5), randVec32(rng, rows*d, 1)
	at := make([]float32, rows*d)
	t0, h0 := slices.Clone(tt), slices.Clone(h)
	be.NoisyActions(at, tt, h, a0, noise, rows, d, g)
	for s := 0; s < rows; s++ {
		ts := math.Min(math.Max(float64(t0[s]), g), 1-g)
		hs := math.Min(math.Max(float64(h0[s]), 0), ts)
		if math.Abs(float64(tt[s])-ts) > 1e-7 || math.Abs(float64(h[s])-hs) > 1e-7 || h[s] > tt[s] {
			t.Fatalf("state %d: (t, h) = (%v, %v), want (%v, %v)", s, tt[s], h[s], ts, hs)
		}
		for j := s * d; j < (s+1)*d; j++ {
			want := (1-ts)*float64(a0[j]) + ts*float64(noise[j])
			if math.Abs(float64(at[j])-want) > 1e-6 {
				t.Fatalf("a_t[%d] = %v, want %v", j, at[j], want)
			}
		}
	}
}
