package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/internal/mfpotest"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// The tolerances of Update. The agent is float32 only, so the whole
// update is compared with the CPU float32 backend on the portable Go
// kernels (the operations themselves are checked against float64 by
// Ops). Two float32 backends that both pass Ops differ in rounding
// (fused multiply-adds, summation orders, their tanh), and an update
// amplifies the differences: gradients through several networks, then
// Adam, and after the first update each step starts from the other's
// slightly different parameters. Adam's step m̂/(√v̂ + ε̂) is ±lr for
// every element on the first step whatever the gradient's size, so an
// element whose gradient is below the rounding noise can take the
// opposite step (observed: one element of 165 221 of a paper-sized
// critic, 0.1·lr apart between the AVX-512 and portable paths). So
// Update runs updateSteps updates and compares, after each:
//
//   - the Adam moments m and v by ‖got − want‖₂ ≤ momentTol·‖want‖₂:
//     they are linear in the gradients and carry no such step;
//   - the parameters, target critics and log α by the same norm of the
//     difference relative to how far the updates moved them (‖want −
//     before‖₂, before the first update) within paramTol, leaving out
//     the 1 + N/10⁴ elements that differ most (of a network's N), which must only be within
//     flipBound·lr·updates of the reference (Adam never steps further
//     than (1−β1)/√(1−β2)·lr ≈ 3.2·lr);
//   - the Stats by |got − want| ≤ statsTol·(|want| + scale), with a scale
//     for figures that can be near 0 (the temperature loss, the entropy,
//     the mean Q);
//   - exactly: the initial state (drawn on the host from the seed), the
//     Adam step counts, the updates count and the training random
//     stream's state — both agents must take the same draws.
//
// On the CPU's vector paths against the portable one the observed errors
// are below 2e-6 (moments), 4e-5 (parameters, the outliers left out) and
// 4e-6 (Stats): the tolerances leave room for a device's different
// summation orders, while a wrong operation moves a figure by O(1).
const (
	// updateSteps is the number of updates compared; beyond a few, two
	// correct backends drift apart faster than any bound that holds.
	updateSteps = 3
	momentTol   = 1e-3
	paramTol    = 2e-3
	statsTol    = 1e-3
	flipBound   = 7 // > 2 × 3.2: opposite steps of the largest size
)

// Portable runs f with the CPU backend's float32 kernels on the portable
// Go path, the reference of Update, and restores the previous path.
//
// TODO(kernels): cpu.SetKernels("go") once gocore/backend/cpu selects
// its kernel paths; until then the CPU runs its default path here.
func portable(t *testing.T, f func()) {
	t.Helper()
	f()
}

// updateCase is one configuration Update runs.
type updateCase struct {
	name string
	cfg  mfpo.Config
	sp   policy.Spaces
}

func updateCases() []updateCase {
	paper := mfpo.DefaultConfig() // 3×256 networks, K1 16, K2 32, 64 time features
	paper.BatchSize, paper.BufferSize, paper.LearningStarts = 8, 256, 0
	return []updateCase{
		{"tiny", mfpotest.TinyConfig(), policy.Spaces{ObsDim: 5, ActDim: 2}},
		{"paper-nets-batch-8", paper, policy.Spaces{ObsDim: 17, ActDim: 6}}, // HalfCheetah's sizes
	}
}

// Update builds an agent with mfpo.NewOn on the backend newBackend
// returns and one on the CPU float32 backend on its portable kernels,
// from the same seed and the same stored transitions, runs updateSteps
// updates on each and compares the two after each update within the
// tolerances above. The comparison needs both agents to take the same
// random draws: a backend that draws its own numbers on the device runs
// Update in a mode that takes the agent's host draws instead.
func Update(t *testing.T, newBackend func() backend.Backend[float32]) {
	t.Helper()
	for _, c := range updateCases() {
		t.Run(c.name, func(t *testing.T) {
			var want []record
			portable(t, func() { want = runUpdates(t, cpu.New[float32](), c) })
			be := newBackend()
			got := runUpdates(t, be, c)
			compareRecords(t, be.Name(), got, want, max(c.cfg.ActorLR, c.cfg.ADNLR, c.cfg.CriticLR, c.cfg.AlphaLR))
		})
	}
}

// record is an agent's state on the host: its vectors by name, the
// Adam step counts, the random stream and the last update's Stats.
type record struct {
	vecs    []namedVec
	steps   []int64
	rng     []byte
	updates int64
	stats   mfpo.Stats
}

type namedVec struct {
	name string
	x    []float64
}

// snapshot copies the agent's state to the host after Sync.
func snapshot(t *testing.T, a *mfpo.Agent, st mfpo.Stats) record {
	t.Helper()
	a.Be.Sync()
	r := record{stats: st, updates: a.Updates}
	add := func(name string, x []float32) {
		v := make([]float64, len(x))
		for i, e := range x {
			v[i] = float64(e)
		}
		r.vecs = append(r.vecs, namedVec{name, v})
	}
	opts := []struct {
		name string
		m, v []float32
		n    int64
	}{
		{"policy", a.PolicyOpt.M, a.PolicyOpt.V, a.PolicyOpt.Steps},
		{"ADN", a.ADNOpt.M, a.ADNOpt.V, a.ADNOpt.Steps},
		{"critic 1", a.Critics.Opt[0].M, a.Critics.Opt[0].V, a.Critics.Opt[0].Steps},
		{"critic 2", a.Critics.Opt[1].M, a.Critics.Opt[1].V, a.Critics.Opt[1].Steps},
		{"log α", a.AlphaOpt.M, a.AlphaOpt.V, a.AlphaOpt.Steps},
	}
	add("policy parameters", a.Policy.Params)
	add("ADN parameters", a.ADN.Params)
	for k := range 2 {
		add(fmt.Sprintf("critic %d parameters", k+1), a.Critics.Online[k].Params)
		add(fmt.Sprintf("target critic %d parameters", k+1), a.Critics.Target[k].Params)
	}
	add("log α", a.LogAlpha)
	for _, o := range opts {
		add(o.name+" Adam m", o.m)
		add(o.name+" Adam v", o.v)
		r.steps = append(r.steps, o.n)
	}
	var err error
	if r.rng, err = a.PCG.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	return r
}

// runUpdates makes the agent of case c on be, stores the same
// transitions, and returns its state before and after each update.
func runUpdates(t *testing.T, be backend.Backend[float32], c updateCase) []record {
	t.Helper()
	a, err := mfpo.NewOn(be, c.cfg, c.sp, 0)
	if err != nil {
		t.Fatalf("%s: NewOn: %v", be.Name(), err)
	}
	defer a.Close()
	rng := rand.New(rand.NewPCG(seed, 0x757064617465)) // the transitions
	n, od, ad := 4*c.cfg.BatchSize, c.sp.ObsDim, c.sp.ActDim
	f32 := func(k int, f func() float64) []float32 {
		x := make([]float32, k)
		for i := range x {
			x[i] = float32(f())
		}
		return x
	}
	obs, next := f32(n*od, rng.NormFloat64), f32(n*od, rng.NormFloat64)
	act := f32(n*ad, func() float64 { return 2*rng.Float64() - 1 })
	rew := f32(n, func() float64 { return 5 * rng.NormFloat64() })
	done := make([]bool, n)
	for i := range done {
		done[i] = rng.IntN(10) == 0
	}
	if err := a.StoreBatch(obs, act, rew, next, done, n); err != nil {
		t.Fatal(err)
	}
	recs := []record{snapshot(t, a, mfpo.Stats{})}
	for range updateSteps {
		st, err := a.Update()
		if err != nil {
			t.Fatalf("%s: update %d: %v", be.Name(), a.Updates+1, err)
		}
		recs = append(recs, snapshot(t, a, st))
	}
	return recs
}

// compareRecords checks got against want after each update (see the
// tolerances above) and logs the largest relative errors.
func compareRecords(t *testing.T, name string, got, want []record, lr float64) {
	t.Helper()
	g0, w0 := got[0], want[0]
	for i := range w0.vecs {
		if j := sameBits(g0.vecs[i].x, w0.vecs[i].x, nil); j >= 0 {
			t.Fatalf("%s: the initial %s differ at %d: %v, want %v (same seed, same host draws)", name, w0.vecs[i].name, j, g0.vecs[i].x[j], w0.vecs[i].x[j])
		}
	}
	for k := 1; k < len(want); k++ {
		g, w := got[k], want[k]
		if g.updates != w.updates || fmt.Sprint(g.steps) != fmt.Sprint(w.steps) {
			t.Errorf("%s: update %d: %d updates, Adam steps %v; want %d, %v", name, k, g.updates, g.steps, w.updates, w.steps)
		}
		if string(g.rng) != string(w.rng) {
			t.Errorf("%s: update %d: the training random stream differs: the backends took different draws", name, k)
		}
		worst, worstName := 0.0, ""
		for i, wv := range w.vecs {
			e, err := vecError(wv.name, g.vecs[i].x, wv.x, w0.vecs[i].x, k, lr)
			if err != "" {
				t.Errorf("%s: update %d: %s", name, k, err)
			}
			if e > worst {
				worst, worstName = e, wv.name
			}
		}
		worstStat := compareStats(t, name, k, g.stats, w.stats)
		t.Logf("%s: update %d: largest relative state error %.3g (%s), of the Stats %.3g", name, k, worst, worstName, worstStat)
	}
}

// vecError is the relative error of one vector after k updates (see the
// tolerances above) and a message when it is out of tolerance.
func vecError(name string, got, want, before []float64, k int, lr float64) (float64, string) {
	moment := strings.HasSuffix(name, " m") || strings.HasSuffix(name, " v")
	d := make([]float64, len(want))
	var moved float64
	for j, x := range want {
		d[j] = math.Abs(got[j] - x)
		if math.IsNaN(d[j]) {
			return math.Inf(1), fmt.Sprintf("%s[%d] = %v, want %v", name, j, got[j], x)
		}
		if !moment {
			x -= before[j]
		}
		moved += x * x
	}
	moved = math.Sqrt(moved)
	tol := momentTol
	if !moment {
		tol = paramTol
		// Leave out the elements that differ most: each within the
		// largest pair of opposite Adam steps.
		idx := make([]int, len(d))
		for j := range idx {
			idx[j] = j
		}
		sort.Slice(idx, func(a, b int) bool { return d[idx[a]] > d[idx[b]] })
		out := 0
		if len(d) > 100 { // not log α
			out = 1 + len(d)/10000
		}
		for _, j := range idx[:out] {
			if lim := flipBound * lr * float64(k); !(d[j] <= lim) {
				return math.Inf(1), fmt.Sprintf("%s[%d] = %v, want %v: further than %d opposite Adam steps (%.3g)", name, j, got[j], want[j], k, lim)
			}
			d[j] = 0
		}
	}
	var diff float64
	for _, v := range d {
		diff += v * v
	}
	diff = math.Sqrt(diff)
	if !(diff <= tol*moved) {
		return math.Inf(1), fmt.Sprintf("%s: ‖got − want‖ = %.3g, more than %g × %.3g", name, diff, tol, moved)
	}
	if moved == 0 {
		return 0, ""
	}
	return diff / moved, ""
}

// compareStats checks each figure of Stats and returns the largest
// relative error.
func compareStats(t *testing.T, name string, k int, g, w mfpo.Stats) float64 {
	t.Helper()
	hw := math.Abs(float64(w.Entropy))
	figs := []struct {
		name      string
		got, want float32
		scale     float64
	}{
		{"critic 1 loss", g.CriticLoss[0], w.CriticLoss[0], 0},
		{"critic 2 loss", g.CriticLoss[1], w.CriticLoss[1], 0},
		{"actor loss", g.ActorLoss, w.ActorLoss, 0},
		{"average-divergence loss", g.ADNLoss, w.ADNLoss, 0},
		{"temperature loss", g.AlphaLoss, w.AlphaLoss, float64(w.Alpha) * (hw + 1)}, // α(Ĥ − H̄): scale α(|Ĥ| + 1)
		{"α", g.Alpha, w.Alpha, 0},
		{"entropy", g.Entropy, w.Entropy, 1},
		{"ESS of the policy proposal", g.ESSPolicy, w.ESSPolicy, 0},
		{"ESS of the posterior proposal", g.ESSPosterior, w.ESSPosterior, 0},
		{"mean Q", g.MeanQ, w.MeanQ, 1},
	}
	worst := 0.0
	for _, f := range figs {
		s := math.Abs(float64(f.want)) + f.scale
		d := math.Abs(float64(f.got) - float64(f.want))
		if !(d <= statsTol*s) {
			t.Errorf("%s: update %d: %s = %v, want %v ± %.3g", name, k, f.name, f.got, f.want, statsTol*s)
		}
		if s > 0 {
			worst = math.Max(worst, d/s)
		}
	}
	return worst
}
