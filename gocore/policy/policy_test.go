package policy_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/mfpo/mfpo/gocore/critic"
	"github.com/mfpo/mfpo/gocore/internal/mfpotest"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	. "github.com/mfpo/mfpo/gocore/policy"
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
	a, err := mfpo.New(tinyConfig(), Spaces{ObsDim: obsDim, ActDim: actDim})
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

// TestMatchesAgent: an agent and a policy copied from it give bit for bit
// the same actions for the same seed, in every acting mode.
func TestMatchesAgent(t *testing.T) {
	const o, d, rows = 5, 3, 7
	a := trained(t, o, d)
	p, err := a.CopyPolicy()
	if err != nil {
		t.Fatal(err)
	}
	obs := randObs(3, rows*o)
	for _, mode := range []Mode{Deterministic, Sample, BestOfN} {
		for _, seed := range []uint64{0, 1, 99} {
			want, got := make([]float32, rows*d), make([]float32, rows*d)
			if err := a.Act(want, obs, rows, mode, seed); err != nil {
				t.Fatal(err)
			}
			if err := p.ActUnit(got, obs, rows, mode, seed); err != nil {
				t.Fatal(err)
			}
			if !sameBits(got, want) {
				t.Errorf("%v, seed %d: policy %v, agent %v", mode, seed, got, want)
			}
		}
	}
}

// TestBestOfN: the action of each observation is, of its N candidates
// (the samples of the documented noise), the one with the largest
// min(Q_φ̄1, Q_φ̄2), computed here directly from the target critics.
func TestBestOfN(t *testing.T) {
	const o, d, rows = 4, 2, 6
	a := trained(t, o, d)
	p := a.ActingPolicy()
	n := p.Candidates(BestOfN)
	obs := randObs(11, rows*o)
	const seed = 5
	got := make([]float32, rows*d)
	if err := p.ActUnit(got, obs, rows, BestOfN, seed); err != nil {
		t.Fatal(err)
	}
	// The candidates: observation s repeated n times, the noise in order.
	rep := make([]float32, rows*n*o)
	for i := 0; i < rows*n; i++ {
		copy(rep[i*o:(i+1)*o], obs[(i/n)*o:(i/n+1)*o])
	}
	r := rand.New(rand.NewPCG(seed, NoiseStream))
	eps := make([]float32, rows*n*d)
	for i := range eps {
		eps[i] = float32(r.NormFloat64())
	}
	cand := make([]float32, rows*n*d)
	if err := p.SampleUnit(cand, rep, eps, rows*n); err != nil {
		t.Fatal(err)
	}
	sup, err := critic.NewSupport(p.Config.Atoms, p.Config.VMin, p.Config.VMax)
	if err != nil {
		t.Fatal(err)
	}
	na := p.Config.Atoms
	var q [2][]float32
	for k, net := range p.Critics {
		logits := make([]float32, rows*n*na)
		net.Forward(net.NewWorkspace(rows*n, 0), logits, nn.Vars[float32]{X: [][]float32{rep, cand}}, rows*n)
		q[k] = make([]float32, rows*n)
		for i := range q[k] {
			q[k][i] = critic.SoftmaxMean(logits[i*na:(i+1)*na], sup.Z)
		}
	}
	distinct := false
	for s := 0; s < rows; s++ {
		best := s * n
		for k := s*n + 1; k < (s+1)*n; k++ {
			if min(q[0][k], q[1][k]) > min(q[0][best], q[1][best]) {
				best = k
			}
		}
		distinct = distinct || best != s*n
		if !sameBits(got[s*d:(s+1)*d], cand[best*d:(best+1)*d]) {
			t.Errorf("observation %d: best-of-%d %v, the best candidate is %v", s, n, got[s*d:(s+1)*d], cand[best*d:(best+1)*d])
		}
	}
	if !distinct {
		t.Error("the first candidate is always the best: the test cannot tell best-of-N from sampling")
	}
}

// TestSeeds: the same seed gives the same actions, another seed others;
// Deterministic ignores the seed; the noise is the documented stream.
func TestSeeds(t *testing.T) {
	const o, d, rows = 4, 2, 3
	a := trained(t, o, d)
	p, err := a.CopyPolicy()
	if err != nil {
		t.Fatal(err)
	}
	obs := randObs(4, rows*o)
	act := func(mode Mode, seed uint64) []float32 {
		dst := make([]float32, rows*d)
		if err := p.Act(dst, obs, rows, mode, seed); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	for _, mode := range []Mode{Sample, BestOfN} {
		if x, y := act(mode, 42), act(mode, 42); !sameBits(x, y) {
			t.Errorf("%v: seed 42 twice: %v, %v", mode, x, y)
		}
		if x, y := act(mode, 42), act(mode, 43); sameBits(x, y) {
			t.Errorf("%v: seeds 42 and 43 both give %v", mode, x)
		}
	}
	if x, y := act(Deterministic, 1), act(Deterministic, 2); !sameBits(x, y) {
		t.Errorf("Deterministic depends on the seed: %v, %v", x, y)
	}
	// The documented noise: NormFloat64 of PCG(seed, NoiseStream) in order;
	// Deterministic is the noise 0.
	r := rand.New(rand.NewPCG(42, NoiseStream))
	eps := make([]float32, rows*d)
	for i := range eps {
		eps[i] = float32(r.NormFloat64())
	}
	want := make([]float32, rows*d)
	if err := p.SampleUnit(want, obs, eps, rows); err != nil {
		t.Fatal(err)
	}
	if got := act(Sample, 42); !sameBits(got, want) {
		t.Errorf("Sample with seed 42 is %v, the documented noise gives %v", got, want)
	}
	if err := p.SampleUnit(want, obs, make([]float32, rows*d), rows); err != nil {
		t.Fatal(err)
	}
	if got := act(Deterministic, 42); !sameBits(got, want) {
		t.Errorf("Deterministic is %v, the sampler from ε = 0 gives %v", got, want)
	}
}

// TestCopyPolicy: a Policy from CopyPolicy does not change when the
// agent trains on; the ActingPolicy does.
func TestCopyPolicy(t *testing.T) {
	const o, d = 3, 2
	a := trained(t, o, d)
	own, err := a.CopyPolicy()
	if err != nil {
		t.Fatal(err)
	}
	view := a.ActingPolicy()
	obs := randObs(5, o)
	before, after, viewed := make([]float32, d), make([]float32, d), make([]float32, d)
	own.Act(before, obs, 1, Deterministic, 0)
	for i := 0; i < 3; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
	own.Act(after, obs, 1, Deterministic, 0)
	view.Act(viewed, obs, 1, Deterministic, 0)
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
		{ObsShape: []int{2, 2}, ObsDim: 6, ActDim: 1},
		{ObsShape: []int{6, 0}, ObsDim: 6, ActDim: 1},
		{ObsShape: []int{}, ObsDim: 6, ActDim: 1},
	} {
		var se *SpacesError
		if err := bad.Validate(); !errors.As(err, &se) {
			t.Errorf("%+v: Validate() = %v, want a *SpacesError", bad, err)
		}
	}
}

// TestUnitBox: no bounds and explicit ±1 bounds are the same box, mapped
// as the identity (exactly, even where low + (a+1)/2·(high−low) rounds).
func TestUnitBox(t *testing.T) {
	if err := (Spaces{ObsShape: []int{2, 3}, ObsDim: 6, ActDim: 1}).Validate(); err != nil {
		t.Errorf("obs_shape [2 3] for obs_dim 6: %v", err)
	}
	a := []float32{1e-30, -0.3, 1, -1}
	for _, sp := range []Spaces{
		{ObsDim: 1, ActDim: 2},
		{ObsDim: 1, ActDim: 2, Low: []float32{-1, -1}, High: []float32{1, 1}},
	} {
		if !sp.Unit() {
			t.Errorf("%+v: Unit() = false", sp)
		}
		x := make([]float32, len(a))
		sp.ToEnv(x, a)
		if !sameBits(x, a) {
			t.Errorf("%+v: ToEnv(%v) = %v", sp, a, x)
		}
	}
	if (Spaces{ObsDim: 1, ActDim: 2, Low: []float32{-1, -2}, High: []float32{1, 1}}).Unit() {
		t.Error("the box [−1, 1]×[−2, 1] is not the unit box")
	}
}

// TestBoundsApplied: Act's actions lie in the box and equal ToEnv of the
// actions without bounds.
func TestBoundsApplied(t *testing.T) {
	const o, d, rows = 3, 2, 4
	a := trained(t, o, d)
	sp := Spaces{ObsDim: o, ActDim: d, Low: []float32{-3, 10}, High: []float32{3, 20}}
	scaled, err := New(a.Config.Acting(), sp, a.Policy, a.Critics.Target)
	if err != nil {
		t.Fatal(err)
	}
	unit := a.ActingPolicy()
	obs := randObs(8, rows*o)
	x, u := make([]float32, rows*d), make([]float32, rows*d)
	scaled.Act(x, obs, rows, BestOfN, 9)
	unit.Act(u, obs, rows, BestOfN, 9)
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
	p, _ := a.CopyPolicy()
	dst := []float32{7, 7}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(-1)), math.MaxFloat32, -2e38, 1.0001e9} {
		err := p.Act(dst, []float32{0, bad, 0}, 1, Sample, 1)
		var nf *nn.NonFiniteError
		if !errors.As(err, &nf) || nf.Index != 1 || dst[0] != 7 || dst[1] != 7 {
			t.Errorf("Act on %v: %v, dst %v", bad, err, dst)
		}
		if finite := bad-bad == 0; finite != (nf != nil && nf.Limit == nn.MaxInput) {
			t.Errorf("Act on %v: %v, want the range named exactly for a finite value", bad, err)
		}
	}
	if err := p.Act(dst, []float32{0, nn.MaxInput, -nn.MaxInput}, 1, BestOfN, 1); err != nil {
		t.Errorf("±MaxInput is in range: %v", err)
	}
}

// Acting on many rows goes in chunks: the actions are those of acting
// on each chunk alone (Deterministic: no noise to continue), and the
// call's context stays one chunk's.
func TestActInChunks(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := a.CopyPolicy()
	chunk := ChunkRows / p.Config.EvalCandidates
	rows := 2*chunk + 7
	obs := randObs(3, rows*3)
	whole := make([]float32, rows*2)
	if err := p.Act(whole, obs, rows, Deterministic, 1); err != nil {
		t.Fatal(err)
	}
	part := make([]float32, rows*2)
	for r0 := 0; r0 < rows; r0 += chunk {
		m := min(chunk, rows-r0)
		if err := p.Act(part[r0*2:(r0+m)*2], obs[r0*3:(r0+m)*3], m, Deterministic, 1); err != nil {
			t.Fatal(err)
		}
	}
	if !sameBits(whole, part) {
		t.Error("acting in one call differs from acting chunk by chunk")
	}
	// A first best-of-N call on 20 chunks' rows allocates what one on a
	// chunk's does (its context), not 20 times that.
	firstCall := func(rows int) uint64 {
		q, _ := a.CopyPolicy()
		obs, dst := randObs(4, rows*3), make([]float32, rows*2)
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		if err := q.Act(dst, obs, rows, BestOfN, 1); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&m1)
		return m1.TotalAlloc - m0.TotalAlloc
	}
	one, many := firstCall(chunk), firstCall(20*chunk)
	t.Logf("first best-of-N call: %d bytes for %d rows, %d for %d", one, chunk, many, 20*chunk)
	if many > 4*one {
		t.Errorf("acting on 20 chunks allocated %d bytes, one chunk %d", many, one)
	}
}

// Networks whose weights overflow act ErrNotFinite, never NaN with nil.
func TestNonFiniteActions(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := a.CopyPolicy()
	for i := range p.Critics[0].Params {
		p.Critics[0].Params[i] = 3e38
	}
	dst := make([]float32, 2)
	if err := p.Act(dst, []float32{1, 1, 1}, 1, BestOfN, 1); !errors.Is(err, ErrNotFinite) {
		t.Errorf("best-of-N with overflowing critic weights: %v, actions %v", err, dst)
	}
	if err := p.Probe(); !errors.Is(err, ErrNotFinite) {
		t.Errorf("Probe: %v", err)
	}
	for i := range p.Actor.Params {
		p.Actor.Params[i] = 3e38
	}
	p, err := New(p.Config, p.Spaces, p.Actor, p.Critics) // New's parameters must not change
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Act(dst, []float32{1, 1, 1}, 1, Sample, 1); !errors.Is(err, ErrNotFinite) {
		t.Errorf("sample with overflowing actor weights: %v, actions %v", err, dst)
	}
}

func TestMisusePanics(t *testing.T) {
	a := trained(t, 3, 2)
	p, _ := a.CopyPolicy()
	for name, f := range map[string]func(){
		"rows 0":    func() { p.Act(make([]float32, 2), make([]float32, 3), 0, Sample, 1) },
		"short obs": func() { p.Act(make([]float32, 4), make([]float32, 5), 2, Sample, 1) },
		"short dst": func() { p.Act(make([]float32, 3), make([]float32, 6), 2, Sample, 1) },
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
	if _, err := New(a.Config.Acting(), Spaces{ObsDim: 4, ActDim: 2}, a.Policy, a.Critics.Target); err == nil {
		t.Errorf("New with obs_dim 4 for a network of 3: no error")
	}
	if _, err := New(a.Config.Acting(), Spaces{ObsDim: 3, ActDim: 3}, a.Policy, a.Critics.Target); err == nil {
		t.Errorf("New with act_dim 3 for a network of 2: no error")
	}
	// Explore and unknown modes are errors, not panics, and leave dst alone.
	dst := []float32{7, 7}
	if err := p.Act(dst, make([]float32, 3), 1, Explore, 1); !errors.Is(err, ErrExplore) || dst[0] != 7 {
		t.Errorf("Act(Explore) = %v, dst %v; want ErrExplore, dst unchanged", err, dst)
	}
	if err := p.Act(dst, make([]float32, 3), 1, Mode(9), 1); err == nil || dst[0] != 7 {
		t.Errorf("Act(Mode(9)) = %v, dst %v; want an error, dst unchanged", err, dst)
	}
}

// TestConcurrentAct runs many goroutines acting on one Policy at once
// (run it with -race): every result equals the one computed alone.
func TestConcurrentAct(t *testing.T) {
	const o, d, goroutines, calls = 4, 2, 8, 300
	a := trained(t, o, d)
	p, err := New(a.Config.Acting(), Spaces{ObsDim: o, ActDim: d, Low: []float32{-2, -2}, High: []float32{2, 2}}, a.Policy, a.Critics.Target)
	if err != nil {
		t.Fatal(err)
	}
	modes := []Mode{Sample, BestOfN, Deterministic}
	type call struct {
		rows int
		mode Mode
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
	p, _ := a.CopyPolicy()
	obs, dst := randObs(1, 6), make([]float32, 4)
	for _, mode := range []Mode{Sample, BestOfN, Deterministic} {
		p.Act(dst, obs, 2, mode, 1)
		if n := testing.AllocsPerRun(50, func() { p.Act(dst, obs, 2, mode, 7) }); n != 0 {
			t.Errorf("%v: %v allocations per Act", mode, n)
		}
	}
}

// TestLiveViewFollowsTheParameters: an agent's ActingPolicy (NewLive)
// acts with the parameters of the moment, after updates and after its
// parameters are overwritten in place (as a checkpoint load does), bit
// for bit as a Policy freshly made from them; a Policy made by New keeps
// acting with the parameters it was made from.
func TestLiveViewFollowsTheParameters(t *testing.T) {
	const o, d, rows = 4, 2, 3
	a := trained(t, o, d)
	live := a.ActingPolicy()
	obs := randObs(21, rows*o)
	act := func(p *Policy, mode Mode) []float32 {
		dst := make([]float32, rows*d)
		if err := p.ActUnit(dst, obs, rows, mode, 9); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	modes := []Mode{Sample, Deterministic, BestOfN}
	frozen, err := a.CopyPolicy()
	if err != nil {
		t.Fatal(err)
	}
	var before [3][]float32
	for k, mode := range modes {
		before[k] = act(live, mode)
	}
	check := func(when string) {
		t.Helper()
		fresh, err := a.CopyPolicy()
		if err != nil {
			t.Fatal(err)
		}
		for k, mode := range modes {
			got, want := act(live, mode), act(fresh, mode)
			if !sameBits(got, want) {
				t.Errorf("%s, %v: the live view acts %v, a fresh policy %v", when, mode, got, want)
			}
			if mode != BestOfN && sameBits(got, before[k]) {
				t.Errorf("%s, %v: the action did not change with the parameters: %v", when, mode, got)
			}
			if old := act(frozen, mode); !sameBits(old, before[k]) {
				t.Errorf("%s, %v: the copied policy's action moved: %v, was %v", when, mode, old, before[k])
			}
		}
	}
	for i := 0; i < 3; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
	check("after 3 updates")
	// Overwritten in place: every time-embedding parameter and the first
	// layer's time block change.
	for i := range a.Policy.Params {
		a.Policy.Params[i] *= 1.25
	}
	check("after an in-place write")
}
