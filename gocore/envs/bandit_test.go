package envs

import (
	"errors"
	"math"
	"testing"
)

func newBandit(t *testing.T, cfg TwoOptimaBanditConfig) *TwoOptimaBandit {
	t.Helper()
	b, err := NewTwoOptimaBandit(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBanditDefaults(t *testing.T) {
	cfg := DefaultTwoOptimaBanditConfig()
	if cfg != (TwoOptimaBanditConfig{ObsDim: 1, ActDim: 1, C: 0.6, Sigma: 0.15}) {
		t.Fatalf("defaults %+v", cfg)
	}
	b := newBandit(t, cfg)
	if b.ObsDim() != 1 || b.ActDim() != 1 || b.Config() != cfg {
		t.Fatalf("dims %d %d config %+v", b.ObsDim(), b.ActDim(), b.Config())
	}
	o := b.Optima()
	if len(o[0]) != 1 || o[0][0] != 0.6 || o[1][0] != -0.6 {
		t.Fatalf("optima %v, want [[0.6] [−0.6]]", o)
	}
}

func TestBanditRewardShape(t *testing.T) {
	for _, d := range []int{1, 3} {
		b := newBandit(t, TwoOptimaBanditConfig{ObsDim: 2, ActDim: d, C: 0.6, Sigma: 0.15})
		o := b.Optima()
		for k := range o {
			if len(o[k]) != d {
				t.Fatalf("d=%d: optimum %d has length %d", d, k, len(o[k]))
			}
			if r := b.Reward(o[k]); math.Abs(r-1) > 1e-6 {
				t.Fatalf("d=%d: reward %v at optimum %v, want 1", d, r, o[k])
			}
		}
		// Along the segment −c·1 … +c·1: symmetric, 1 at the ends, lower
		// inside, minimal at 0 with value exp(−d·c²/(2σ²)).
		a, na := make([]float32, d), make([]float32, d)
		prev := math.Inf(1)
		for s := -1.0; s <= 1.0+1e-9; s += 0.05 {
			for i := range a {
				a[i], na[i] = float32(s*0.6), float32(-s*0.6)
			}
			r, rn := b.Reward(a), b.Reward(na)
			if r != rn {
				t.Fatalf("d=%d s=%v: r(a)=%v ≠ r(−a)=%v", d, s, r, rn)
			}
			if math.Abs(s) < 0.99 && r >= 1-1e-9 {
				t.Fatalf("d=%d s=%v: r=%v not below 1 between the optima", d, s, r)
			}
			if s <= 1e-9 && r > prev+1e-12 {
				t.Fatalf("d=%d s=%v: r=%v increases towards 0 (prev %v)", d, s, r, prev)
			}
			prev = r
		}
		for i := range a {
			a[i] = 0
		}
		if r, want := b.Reward(a), math.Exp(-float64(d)*0.36/0.045); math.Abs(r-want) > 1e-15 {
			t.Fatalf("d=%d: r(0)=%v, want %v", d, r, want)
		}
	}
	// Hand value: a = 0.45 is 0.15 = σ from +c → exp(−½).
	b := newBandit(t, DefaultTwoOptimaBanditConfig())
	if r := b.Reward([]float32{0.45}); math.Abs(r-math.Exp(-0.5)) > 1e-7 {
		t.Fatalf("r(0.45)=%v, want e^{−1/2}", r)
	}
	// Off-diagonal in d = 2: the nearer optimum wins.
	b2 := newBandit(t, TwoOptimaBanditConfig{ObsDim: 1, ActDim: 2, C: 0.6, Sigma: 0.15})
	if r, want := b2.Reward([]float32{0.6, 0.3}), math.Exp(-0.09/0.045); math.Abs(r-want) > 1e-7 {
		t.Fatalf("r(0.6,0.3)=%v, want %v", r, want)
	}
	// Clipping: beyond the box counts as the box edge.
	if b.Reward([]float32{5}) != b.Reward([]float32{1}) || b.Reward([]float32{-5}) != b.Reward([]float32{-1}) {
		t.Fatal("out-of-box actions are not clipped")
	}
}

func TestBanditTerminatesEveryStep(t *testing.T) {
	b := newBandit(t, TwoOptimaBanditConfig{ObsDim: 4, ActDim: 2, C: 0.5, Sigma: 0.2})
	for i := 0; i < 5; i++ {
		obs := b.Reset(nil)
		if len(obs) != 4 {
			t.Fatalf("obs len %d, want 4", len(obs))
		}
		for _, v := range obs {
			if v != 1 {
				t.Fatalf("obs %v, want all ones", obs)
			}
		}
		obs[0] = 9 // a caller scribbling on the env's buffer
		a := []float32{0.1 * float32(i), -0.2}
		obs, r, term, trunc := b.Step(a)
		if !term || trunc {
			t.Fatalf("step: term=%v trunc=%v, want true false", term, trunc)
		}
		if r != b.Reward(a) {
			t.Fatalf("step reward %v ≠ Reward %v", r, b.Reward(a))
		}
		if len(obs) != 4 || obs[0] != 1 {
			t.Fatalf("terminal obs %v, want ones", obs)
		}
		mustPanic(t, msgNotReset, func() { b.Step(a) })
	}
}

func TestBanditMisuseAndConfig(t *testing.T) {
	b := newBandit(t, DefaultTwoOptimaBanditConfig())
	mustPanic(t, msgNotReset, func() { b.Step([]float32{0}) })
	b.Reset(nil)
	mustPanic(t, msgActLen, func() { b.Step([]float32{0, 0}) })
	mustPanic(t, msgActNaN, func() { b.Step([]float32{float32(math.NaN())}) })
	if _, r, term, _ := b.Step([]float32{0.6}); !term || math.Abs(r-1) > 1e-6 {
		t.Fatalf("episode not intact after rejected steps: r=%v term=%v", r, term)
	}
	bad := []struct {
		field string
		mod   func(*TwoOptimaBanditConfig)
	}{
		{"ObsDim", func(c *TwoOptimaBanditConfig) { c.ObsDim = 0 }},
		{"ActDim", func(c *TwoOptimaBanditConfig) { c.ActDim = -1 }},
		{"C", func(c *TwoOptimaBanditConfig) { c.C = 0 }},
		{"C", func(c *TwoOptimaBanditConfig) { c.C = 1.5 }},
		{"C", func(c *TwoOptimaBanditConfig) { c.C = math.NaN() }},
		{"Sigma", func(c *TwoOptimaBanditConfig) { c.Sigma = 0 }},
		{"Sigma", func(c *TwoOptimaBanditConfig) { c.Sigma = math.Inf(1) }},
		{"Sigma", func(c *TwoOptimaBanditConfig) { c.Sigma = math.NaN() }},
	}
	for _, c := range bad {
		cfg := DefaultTwoOptimaBanditConfig()
		c.mod(&cfg)
		_, err := NewTwoOptimaBandit(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%+v: error %v, want *ConfigError on %s", cfg, err, c.field)
		}
	}
}

func TestBanditStepAllocatesNothing(t *testing.T) {
	b := newBandit(t, TwoOptimaBanditConfig{ObsDim: 3, ActDim: 4, C: 0.6, Sigma: 0.15})
	act := []float32{0.1, 0.2, 0.3, 0.4}
	allocs := testing.AllocsPerRun(100, func() {
		b.Reset(nil)
		b.Step(act)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per Reset+Step", allocs)
	}
}
