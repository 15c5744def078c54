package policy

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/mfpotest"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
)

// tinyConfig is the shared unit-test preset with best-of-5.
func tinyConfig() mfpo.Config {
	c := mfpotest.TinyConfig()
	c.EvalCandidates = 5
	return c
}

// trained returns an agent with a few updates behind it, so that its
// online and target critics differ.
func trained(t *testing.T, obsDim, actDim int) *mfpo.Agent {
	t.Helper()
	a, err := mfpo.New(tinyConfig(), obsDim, actDim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	rng := rand.New(rand.NewPCG(5, 6))
	obs, act, next := make([]float32, obsDim), make([]float32, actDim), make([]float32, obsDim)
	for i := 0; i < 64; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*rng.Float64() - 1)
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, i%9 == 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

func randObs(seed uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// TestMatchesAgent: for the same noise, a Policy chooses bit for bit the
// actions mfpo.Agent.Act chooses, in every mode.
func TestMatchesAgent(t *testing.T) {
	const o, d, rows = 5, 3, 7
	a := trained(t, o, d)
	p, err := View(a, Spaces{ObsDim: o, ActDim: d})
	if err != nil {
		t.Fatal(err)
	}
	obs := randObs(3, rows*o)
	for _, mode := range []mfpo.Mode{mfpo.Deterministic, mfpo.Sample, mfpo.BestOfN} {
		n := p.Candidates(mode)
		// The agent's next draws, from a copy of its generator.
		state, _ := a.PCG.MarshalBinary()
		pcg := &rand.PCG{}
		if err := pcg.UnmarshalBinary(state); err != nil {
			t.Fatal(err)
		}
		eps := make([]float32, rows*n*d)
		if mode != mfpo.Deterministic {
			r := rand.New(pcg)
			for i := range eps {
				eps[i] = float32(r.NormFloat64())
			}
		}
		want := make([]float32, rows*d)
		if err := a.Act(want, obs, rows, mode); err != nil {
			t.Fatal(err)
		}
		c := p.get()
		c.ensure(p, rows*n)
		copy(c.eps, eps)
		p.act(c, obs, rows, n)
		got := append([]float32(nil), c.cand[:rows*d]...)
		p.put(c)
		if !sameBits(got, want) {
			t.Errorf("%v: policy %v, agent %v", mode, got, want)
		}
	}
}

// TestSeeds: the same seed gives the same actions, another seed others;
// Deterministic ignores the seed; the noise is the documented stream.
func TestSeeds(t *testing.T) {
	const o, d, rows = 4, 2, 3
	a := trained(t, o, d)
	p, err := FromAgent(a, Spaces{ObsDim: o, ActDim: d})
	if err != nil {
		t.Fatal(err)
	}
	obs := randObs(4, rows*o)
	act := func(mode mfpo.Mode, seed uint64) []float32 {
		dst := make([]float32, rows*d)
		if err := p.Act(dst, obs, rows, mode, seed); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	for _, mode := range []mfpo.Mode{mfpo.Sample, mfpo.BestOfN} {
		if x, y := act(mode, 42), act(mode, 42); !sameBits(x, y) {
			t.Errorf("%v: seed 42 twice: %v, %v", mode, x, y)
		}
		if x, y := act(mode, 42), act(mode, 43); sameBits(x, y) {
			t.Errorf("%v: seeds 42 and 43 both give %v", mode, x)
		}
	}
	if x, y := act(mfpo.Deterministic, 1), act(mfpo.Deterministic, 2); !sameBits(x, y) {
		t.Errorf("Deterministic depends on the seed: %v, %v", x, y)
	}
	// The documented noise: NormFloat64 of PCG(seed, NoiseStream) in order.
	r := rand.New(rand.NewPCG(42, NoiseStream))
	c := p.get()
	c.ensure(p, rows)
	for i := range c.eps[:rows*d] {
		c.eps[i] = float32(r.NormFloat64())
	}
	p.act(c, obs, rows, 1)
	if got := act(mfpo.Sample, 42); !sameBits(got, c.cand[:rows*d]) {
		t.Errorf("Sample with seed 42 is %v, the documented noise gives %v", got, c.cand[:rows*d])
	}
	p.put(c)
}

// TestFromAgentCopies: a Policy from FromAgent does not change when the
// agent trains on; a View does.
func TestFromAgentCopies(t *testing.T) {
	const o, d = 3, 2
	a := trained(t, o, d)
	sp := Spaces{ObsDim: o, ActDim: d}
	own, err := FromAgent(a, sp)
	if err != nil {
		t.Fatal(err)
	}
	view, err := View(a, sp)
	if err != nil {
		t.Fatal(err)
	}
	obs := randObs(5, o)
	before, after, viewed := make([]float32, d), make([]float32, d), make([]float32, d)
	own.Act(before, obs, 1, mfpo.Deterministic, 0)
	for i := 0; i < 3; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
	own.Act(after, obs, 1, mfpo.Deterministic, 0)
	view.Act(viewed, obs, 1, mfpo.Deterministic, 0)
	if !sameBits(before, after) || sameBits(before, viewed) {
		t.Errorf("copy before %v after %v; view after %v", before, after, viewed)
	}
}

// TestSpaces: the bounds map [−1, 1] onto [low, high] and back.
func TestSpaces(t *testing.T) {
	sp := Spaces{ObsDim: 1, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 10}}
	if err := sp.Validate(); err != nil {
		t.Fatal(err)
	}
	a := []float32{-1, -1, 0, 0, 1, 1, 0.5, -0.5}
	x := make([]float32, len(a))
	sp.ToEnv(x, a)
	want := []float32{-2, 0, 0, 5, 2, 10, 1, 2.5}
	if !sameBits(x, want) {
		t.Errorf("ToEnv(%v) = %v, want %v", a, x, want)
	}
	back := make([]float32, len(a))
	sp.FromEnv(back, x)
	if !sameBits(back, a) {
		t.Errorf("FromEnv(ToEnv(a)) = %v, want %v", back, a)
	}
	sp.FromEnv(back[:2], []float32{-5, 11})
	if back[0] != -1 || back[1] != 1 {
		t.Errorf("FromEnv clips out-of-box actions to [−1, 1]: %v", back[:2])
	}
	sp.FromEnv(back[:1], []float32{float32(math.NaN())})
	if back[0] == back[0] {
		t.Errorf("FromEnv(NaN) = %v, want NaN", back[0])
	}
	inf := float32(math.Inf(1))
	for _, bad := range []Spaces{
		{ObsDim: 0, ActDim: 1},
		{ObsDim: 1, ActDim: 0},
		{ObsDim: 1, ActDim: 1, Low: []float32{0}},
		{ObsDim: 1, ActDim: 2, Low: []float32{0}, High: []float32{1}},
		{ObsDim: 1, ActDim: 1, Low: []float32{1}, High: []float32{1}},
		{ObsDim: 1, ActDim: 1, Low: []float32{0}, High: []float32{inf}},
	} {
		var se *SpacesError
		if err := bad.Validate(); !errors.As(err, &se) {
			t.Errorf("%+v: Validate() = %v, want a *SpacesError", bad, err)
		}
	}
}

// TestBoundsApplied: Act's actions lie in the box and equal ToEnv of the
// actions without bounds.
func TestBoundsApplied(t *testing.T) {
	const o, d, rows = 3, 2, 4
	a := trained(t, o, d)
	sp := Spaces{ObsDim: o, ActDim: d, Low: []float32{-3, 10}, High: []float32{3, 20}}
	scaled, err := View(a, sp)
	if err != nil {
		t.Fatal(err)
	}
	unit, _ := View(a, Spaces{ObsDim: o, ActDim: d})
	obs := randObs(8, rows*o)
	x, u := make([]float32, rows*d), make([]float32, rows*d)
	scaled.Act(x, obs, rows, mfpo.BestOfN, 9)
	unit.Act(u, obs, rows, mfpo.BestOfN, 9)
	want := make([]float32, rows*d)
	sp.ToEnv(want, u)
	if !sameBits(x, want) {
		t.Errorf("with bounds %v, ToEnv of the unit actions %v", x, want)
	}
	for i, v := range x {
		if v < sp.Low[i%d] || v > sp.High[i%d] {
			t.Errorf("action %v outside the box", x)
		}
	}
}

func TestNonFiniteObservation(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := FromAgent(a, Spaces{ObsDim: 3, ActDim: 2})
	dst := []float32{7, 7}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1))} {
		err := p.Act(dst, []float32{0, bad, 0}, 1, mfpo.Sample, 1)
		var nf *nn.NonFiniteError
		if !errors.As(err, &nf) || dst[0] != 7 || dst[1] != 7 {
			t.Errorf("Act on %v: %v, dst %v", bad, err, dst)
		}
	}
}

func TestMisusePanics(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := FromAgent(a, Spaces{ObsDim: 3, ActDim: 2})
	for name, f := range map[string]func(){
		"rows 0":       func() { p.Act(make([]float32, 2), make([]float32, 3), 0, mfpo.Sample, 1) },
		"short obs":    func() { p.Act(make([]float32, 4), make([]float32, 5), 2, mfpo.Sample, 1) },
		"short dst":    func() { p.Act(make([]float32, 3), make([]float32, 6), 2, mfpo.Sample, 1) },
		"explore":      func() { p.Act(make([]float32, 2), make([]float32, 3), 1, mfpo.Explore, 1) },
		"unknown mode": func() { p.Act(make([]float32, 2), make([]float32, 3), 1, mfpo.Mode(9), 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
	if _, err := New(a.Config, Spaces{ObsDim: 4, ActDim: 2}, a.Policy, a.Critics.Target); err == nil {
		t.Errorf("New with obs_dim 4 for a network of 3: no error")
	}
	if _, err := View(a, Spaces{ObsDim: 3, ActDim: 3}); err == nil {
		t.Errorf("View with act_dim 3 for an agent of 2: no error")
	}
}

// TestConcurrentAct runs many goroutines acting on one Policy at once
// (run it with -race): every result equals the one computed alone.
func TestConcurrentAct(t *testing.T) {
	const o, d, goroutines, calls = 4, 2, 8, 300
	a := trained(t, o, d)
	p, err := FromAgent(a, Spaces{ObsDim: o, ActDim: d, Low: []float32{-2, -2}, High: []float32{2, 2}})
	if err != nil {
		t.Fatal(err)
	}
	modes := []mfpo.Mode{mfpo.Sample, mfpo.BestOfN, mfpo.Deterministic}
	type call struct {
		rows int
		mode mfpo.Mode
		seed uint64
		obs  []float32
		want []float32
	}
	var cs []call
	for i := 0; i < 24; i++ {
		c := call{rows: 1 + i%4, mode: modes[i%3], seed: uint64(1000 + i)}
		c.obs = randObs(uint64(i), c.rows*o)
		c.want = make([]float32, c.rows*d)
		if err := p.Act(c.want, c.obs, c.rows, c.mode, c.seed); err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			dst := make([]float32, 4*d)
			for k := 0; k < calls; k++ {
				c := cs[(g*7+k)%len(cs)]
				if err := p.Act(dst, c.obs, c.rows, c.mode, c.seed); err != nil {
					errs <- err
					return
				}
				if !sameBits(dst[:c.rows*d], c.want) {
					errs <- fmt.Errorf("goroutine %d call %d (%v, %d rows, seed %d): %v, alone %v", g, k, c.mode, c.rows, c.seed, dst[:c.rows*d], c.want)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.Contexts(); n < 1 || n > goroutines+1 {
		t.Errorf("%d idle contexts after %d goroutines, want 1…%d", n, goroutines, goroutines+1)
	}
}

// TestActAllocatesNothing in steady state.
func TestActAllocatesNothing(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := FromAgent(a, Spaces{ObsDim: 3, ActDim: 2})
	obs, dst := randObs(1, 6), make([]float32, 4)
	for _, mode := range []mfpo.Mode{mfpo.Sample, mfpo.BestOfN, mfpo.Deterministic} {
		p.Act(dst, obs, 2, mode, 1)
		if n := testing.AllocsPerRun(50, func() { p.Act(dst, obs, 2, mode, 7) }); n != 0 {
			t.Errorf("%v: %v allocations per Act", mode, n)
		}
	}
}
