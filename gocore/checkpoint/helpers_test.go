package checkpoint

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/mfpotest"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// tinyConfig is the shared unit-test preset, on 2 shards.
func tinyConfig() mfpo.Config {
	c := mfpotest.TinyConfig()
	c.Shards = 2
	return c
}

// microConfig is the smallest sensible agent: the fuzz corpus's seeds.
func microConfig() mfpo.Config {
	c := tinyConfig()
	c.Hidden = []int{4}
	c.TimeFeatures, c.TimeWidth = 2, 2
	c.Atoms = 3
	c.PolicySamples, c.PosteriorSamples = 2, 2
	c.BatchSize, c.BufferSize = 4, 8
	c.EvalCandidates = 2
	return c
}

func newAgent(t testing.TB, cfg mfpo.Config, obs, act int) *mfpo.Agent {
	t.Helper()
	return newAgentIn(t, cfg, policy.Spaces{ObsDim: obs, ActDim: act})
}

// newAgentIn makes an agent for the spaces sp.
func newAgentIn(t testing.TB, cfg mfpo.Config, sp policy.Spaces) *mfpo.Agent {
	t.Helper()
	a, err := mfpo.New(cfg, sp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// store adds n random transitions (about one in ten terminal).
func store(t testing.TB, a *mfpo.Agent, n int, rng *rand.Rand) {
	t.Helper()
	obs, act, next := make([]float32, a.Spaces.ObsDim), make([]float32, a.Spaces.ActDim), make([]float32, a.Spaces.ObsDim)
	for i := 0; i < n; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*rng.Float64() - 1)
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, rng.IntN(10) == 0); err != nil {
			t.Fatal(err)
		}
	}
}

func update(t testing.TB, a *mfpo.Agent, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
}

// trained returns an agent with stored transitions, some updates and
// some random draws behind it.
func trained(t testing.TB, cfg mfpo.Config, obs, act, transitions, updates int) *mfpo.Agent {
	t.Helper()
	return trainedIn(t, cfg, policy.Spaces{ObsDim: obs, ActDim: act}, transitions, updates)
}

// trainedIn is trained for the spaces sp.
func trainedIn(t testing.TB, cfg mfpo.Config, sp policy.Spaces, transitions, updates int) *mfpo.Agent {
	t.Helper()
	a := newAgentIn(t, cfg, sp)
	rng := rand.New(rand.NewPCG(7, 8))
	store(t, a, transitions, rng)
	update(t, a, updates)
	dst, o := make([]float32, sp.ActDim), make([]float32, sp.ObsDim)
	if err := a.Act(dst, o, 1, policy.Explore, 0); err != nil {
		t.Fatal(err)
	}
	return a
}

func bitsEqual(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

func pcgState(t testing.TB, a *mfpo.Agent) []byte {
	s, err := a.PCG.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sameAdam reports the first difference between two Adam states.
func sameAdam(name string, x, y *nn.Adam[float32]) string {
	switch {
	case x.LR != y.LR || x.Beta1 != y.Beta1 || x.Beta2 != y.Beta2 || x.Eps != y.Eps:
		return name + " hyperparameters"
	case x.Steps != y.Steps:
		return name + ".Steps"
	case !bitsEqual(x.M, y.M):
		return name + ".M"
	case !bitsEqual(x.V, y.V):
		return name + ".V"
	}
	return ""
}

// diffAgents names the first part of the state in which a and b differ,
// or returns "": every network, target, optimiser, log α, the generator,
// the counters, and the replay buffer when withReplay.
func diffAgents(t testing.TB, a, b *mfpo.Agent, withReplay bool) string {
	if !reflect.DeepEqual(a.Config, b.Config) {
		return "Config"
	}
	if !sameSpaces(a.Spaces, b.Spaces) {
		return "Spaces"
	}
	nets := []struct {
		name string
		x, y *nn.MLP[float32]
	}{
		{"Policy", a.Policy, b.Policy}, {"ADN", a.ADN, b.ADN},
		{"Online[0]", a.Critics.Online[0], b.Critics.Online[0]}, {"Online[1]", a.Critics.Online[1], b.Critics.Online[1]},
		{"Target[0]", a.Critics.Target[0], b.Critics.Target[0]}, {"Target[1]", a.Critics.Target[1], b.Critics.Target[1]},
	}
	for _, n := range nets {
		if !bitsEqual(n.x.Params, n.y.Params) {
			return n.name + ".Params"
		}
	}
	for _, o := range []struct {
		name string
		x, y *nn.Adam[float32]
	}{
		{"PolicyOpt", a.PolicyOpt, b.PolicyOpt}, {"ADNOpt", a.ADNOpt, b.ADNOpt},
		{"Critics.Opt[0]", a.Critics.Opt[0], b.Critics.Opt[0]}, {"Critics.Opt[1]", a.Critics.Opt[1], b.Critics.Opt[1]},
		{"AlphaOpt", a.AlphaOpt, b.AlphaOpt},
	} {
		if d := sameAdam(o.name, o.x, o.y); d != "" {
			return d
		}
	}
	if !bitsEqual(a.LogAlpha, b.LogAlpha) {
		return "LogAlpha"
	}
	if !slices.Equal(pcgState(t, a), pcgState(t, b)) {
		return "PCG"
	}
	if a.Updates != b.Updates || a.Stored != b.Stored {
		return "counters"
	}
	if withReplay {
		x, y := a.Buffer.State(), b.Buffer.State()
		if x.Pos != y.Pos || x.Len != y.Len || !bitsEqual(x.Obs, y.Obs) || !bitsEqual(x.Act, y.Act) ||
			!bitsEqual(x.Reward, y.Reward) || !bitsEqual(x.NextObs, y.NextObs) || !bitsEqual(x.NotDone, y.NotDone) {
			return "replay buffer"
		}
	}
	return ""
}

// sameSpaces: the same widths, shape and box (no bounds is the box ±1).
func sameSpaces(a, b policy.Spaces) bool {
	box := func(s policy.Spaces) ([]float32, []float32) {
		if s.Low != nil {
			return s.Low, s.High
		}
		lo, hi := make([]float32, s.ActDim), make([]float32, s.ActDim)
		for i := range lo {
			lo[i], hi[i] = -1, 1
		}
		return lo, hi
	}
	al, ah := box(a)
	bl, bh := box(b)
	return a.ObsDim == b.ObsDim && a.ActDim == b.ActDim && slices.Equal(a.Shape(), b.Shape()) &&
		bitsEqual(al, bl) && bitsEqual(ah, bh)
}
