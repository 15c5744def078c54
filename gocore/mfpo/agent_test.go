package mfpo

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"math"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// tinyConfig is a preset small enough for unit tests; the packages built on
// mfpo share the same one as gocore/internal/mfpotest.TinyConfig (this
// package's tests cannot import it).
func tinyConfig() Config {
	c := DefaultConfig()
	c.Hidden = []int{32, 32}
	c.TimeFeatures, c.TimeWidth = 8, 8
	c.Atoms, c.VMin, c.VMax = 21, -100, 100
	c.PolicySamples, c.PosteriorSamples = 4, 8
	c.BatchSize = 16
	c.BufferSize = 1000
	c.LearningStarts = 0
	c.EvalCandidates = 3
	return c
}

func TestConfigValidationNamesTheField(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("the default config is invalid: %v", err)
	}
	cases := map[string]func(*Config){
		"Steps":            func(c *Config) { c.Steps = 0 },
		"PolicySamples":    func(c *Config) { c.PolicySamples = 0 },
		"PosteriorSamples": func(c *Config) { c.PosteriorSamples = -1 },
		"VMin":             func(c *Config) { c.VMin, c.VMax = 5, 5 },
		"Gamma":            func(c *Config) { c.Gamma = 1.5 },
		"Tau":              func(c *Config) { c.Tau = 0 },
		"Atoms":            func(c *Config) { c.Atoms = 1 },
		"Hidden":           func(c *Config) { c.Hidden = nil },
		"Probes":           func(c *Config) { c.Probes = 0 },
		"InitAlpha":        func(c *Config) { c.InitAlpha = math.NaN() },
		"ActorLR":          func(c *Config) { c.ActorLR = -1 },
		"AlphaLR":          func(c *Config) { c.AlphaLR = math.Inf(1) },
		"BatchSize":        func(c *Config) { c.BatchSize = 0 },
		"BufferSize":       func(c *Config) { c.BufferSize = 10 },
		"TimeGuard":        func(c *Config) { c.TimeGuard = 0.7 },
		"EvalCandidates":   func(c *Config) { c.EvalCandidates = 0 },
		"Shards":           func(c *Config) { c.Shards = 0 },
		"TimeSampler":      func(c *Config) { c.TimeSampler.Std = 0 },
		"LearningStarts":   func(c *Config) { c.LearningStarts = -1 },
	}
	for field, breakIt := range cases {
		c := DefaultConfig()
		breakIt(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != field || !strings.Contains(err.Error(), field) {
			t.Errorf("%s: Validate() = %v, want a *ConfigError naming %s", field, err, field)
		}
		if _, err := New(c, policy.Spaces{ObsDim: 3, ActDim: 1}); err == nil {
			t.Errorf("%s: New accepted the invalid config", field)
		}
	}
	c := DefaultConfig()
	c.ExactTrace, c.Probes = true, 0 // probes are not needed with the exact trace
	if err := c.Validate(); err != nil {
		t.Fatalf("exact trace without probes: %v", err)
	}
}

func newTiny(t *testing.T, cfg Config, obsDim, actDim int) *Agent {
	t.Helper()
	a, err := New(cfg, policy.Spaces{ObsDim: obsDim, ActDim: actDim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// fill stores n random transitions.
func fill(t *testing.T, a *Agent, n int) {
	t.Helper()
	rng := newTestRNG(99)
	obs, act, next := make([]float32, a.Spaces.ObsDim), make([]float32, a.Spaces.ActDim), make([]float32, a.Spaces.ObsDim)
	for i := 0; i < n; i++ {
		for j := range obs {
			obs[j], next[j] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		for j := range act {
			act[j] = float32(2*rng.Float64() - 1)
		}
		if err := a.Store(obs, act, float32(rng.NormFloat64()), next, i%7 == 0); err != nil {
			t.Fatal(err)
		}
	}
}

func TestActModes(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	obs := []float32{0.1, -0.2, 0.3, 1, 2, 3}
	for _, mode := range policy.Modes {
		dst := make([]float32, 4)
		if err := a.Act(dst, obs, 2, mode, 1); err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		for _, v := range dst {
			if !(v >= -1 && v <= 1) {
				t.Fatalf("%v: action %v outside [−1, 1]", mode, dst)
			}
		}
	}
	// Sample depends on the seed, and only on it.
	s1, s2, s3 := make([]float32, 4), make([]float32, 4), make([]float32, 4)
	a.Act(s1, obs, 2, policy.Sample, 5)
	a.Act(s2, obs, 2, policy.Sample, 6)
	a.Act(s3, obs, 2, policy.Sample, 5)
	if equal(s1, s2) || !equal(s1, s3) {
		t.Fatalf("samples of seeds 5, 6, 5: %v, %v, %v", s1, s2, s3)
	}
	// A batch of one gives the same deterministic action as a batch of two.
	d1, one := make([]float32, 4), make([]float32, 2)
	a.Act(d1, obs, 2, policy.Deterministic, 0)
	a.Act(one, obs[:3], 1, policy.Deterministic, 0)
	if math.Abs(float64(one[0]-d1[0])) > 1e-5 || math.Abs(float64(one[1]-d1[1])) > 1e-5 {
		t.Fatalf("single %v vs batch %v", one, d1[:2])
	}
}

func TestActRejectsNonFiniteObservations(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	dst := []float32{7, 7}
	for _, mode := range policy.Modes {
		rng := append([]float32(nil), pcgState(t, a)...)
		err := a.Act(dst, []float32{0, float32(math.NaN()), 0}, 1, mode, 1)
		var nf *nn.NonFiniteError
		if !errors.As(err, &nf) || dst[0] != 7 || dst[1] != 7 || !equal(rng, pcgState(t, a)) {
			t.Fatalf("%v: Act on a NaN observation: %v, dst %v", mode, err, dst)
		}
	}
}

// pcgState is the training generator's state, as floats for comparing.
func pcgState(t *testing.T, a *Agent) []float32 {
	t.Helper()
	b, err := a.PCG.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, len(b))
	for i, v := range b {
		x[i] = float32(v)
	}
	return x
}

// TestActingLeavesTrainingAlone: acting in Sample, BestOfN or
// Deterministic mode between updates, with any seeds, changes nothing of
// a run: after N updates every network, target, Adam moment, log α and
// the PCG state are bit-identical to a run without the act calls.
func TestActingLeavesTrainingAlone(t *testing.T) {
	const updates = 12
	run := func(act bool) ([][]float32, []float32) {
		cfg := tinyConfig()
		cfg.Shards = 2
		a := newTiny(t, cfg, 3, 2)
		fill(t, a, 100)
		obs := []float32{0.5, -0.5, 0.25, 1, 0, -1}
		dst := make([]float32, 4)
		modes := []policy.Mode{policy.Sample, policy.BestOfN, policy.Deterministic}
		for i := 0; i < updates; i++ {
			if act {
				for k, mode := range modes {
					if err := a.Act(dst, obs, 1+i%2, mode, uint64(i*7+k)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := a.Update(); err != nil {
				t.Fatal(err)
			}
		}
		return state(a), pcgState(t, a)
	}
	p0, r0 := run(false)
	p1, r1 := run(true)
	if !sameBits(p0, p1) || !equal(r0, r1) {
		t.Fatal("acting between updates changed the run")
	}
	// Explore does draw from the training generator: the test can see a
	// changed generator.
	cfg := tinyConfig()
	a := newTiny(t, cfg, 3, 2)
	before := pcgState(t, a)
	if err := a.Act(make([]float32, 2), []float32{1, 2, 3}, 1, policy.Explore, 0); err != nil {
		t.Fatal(err)
	}
	if equal(before, pcgState(t, a)) {
		t.Fatal("Explore did not draw from the training generator")
	}
}

// TestDeterministicRepeats: Deterministic gives the same action for the
// same observation every time, between updates too, whatever the seed.
func TestDeterministicRepeats(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	fill(t, a, 50)
	obs := []float32{0.3, -0.1, 0.7}
	first := make([]float32, 2)
	if err := a.Act(first, obs, 1, policy.Deterministic, 0); err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 2)
	for i := 0; i < 10; i++ {
		if i%3 == 0 {
			a.Act(dst, obs, 1, policy.Explore, 0) // advances the training generator
		}
		if err := a.Act(dst, obs, 1, policy.Deterministic, uint64(i)); err != nil {
			t.Fatal(err)
		}
		if !equal(dst, first) {
			t.Fatalf("call %d: %v, first %v", i, dst, first)
		}
	}
}

// TestNewSpaces: invalid spaces are a *policy.SpacesError from New; the
// agent keeps its own copy of valid ones.
func TestNewSpaces(t *testing.T) {
	for _, sp := range []policy.Spaces{
		{ObsDim: 0, ActDim: 1},
		{ObsDim: 3, ActDim: 1, Low: []float32{0}},
		{ObsShape: []int{2, 2}, ObsDim: 3, ActDim: 1},
	} {
		var se *policy.SpacesError
		if _, err := New(tinyConfig(), sp); !errors.As(err, &se) {
			t.Errorf("New(%+v) = %v, want a *policy.SpacesError", sp, err)
		}
	}
	low := []float32{-2}
	a, err := New(tinyConfig(), policy.Spaces{ObsShape: []int{1, 3}, ObsDim: 3, ActDim: 1, Low: low, High: []float32{2}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	low[0] = 0
	if a.Spaces.Low[0] != -2 || a.ActingPolicy().Spaces.Low[0] != -2 {
		t.Errorf("the agent shares the caller's bounds: %v", a.Spaces.Low)
	}
}

func TestStoreRejectsNonFiniteTransitions(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	err := a.Store([]float32{0, 0, 0}, []float32{0, 0}, float32(math.Inf(1)), []float32{0, 0, 0}, false)
	if err == nil || a.Stored != 0 || a.Buffer.Len() != 0 {
		t.Fatalf("Store of an infinite reward: %v, stored %d, buffer %d", err, a.Stored, a.Buffer.Len())
	}
}

func TestUpdateNeedsABatch(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	fill(t, a, 5)
	if _, err := a.Update(); !errors.Is(err, ErrNotEnoughData) {
		t.Fatalf("Update with 5 of 16 transitions: %v", err)
	}
}

// state copies every parameter and optimiser state of a: the networks,
// the target critics, the Adam moments and step counts, log α.
func state(a *Agent) [][]float32 {
	var s [][]float32
	add := func(x ...[]float32) {
		for _, v := range x {
			s = append(s, append([]float32(nil), v...))
		}
	}
	opt := func(o *nn.Adam[float32]) {
		add(o.M, o.V, []float32{float32(o.Steps)})
	}
	add(a.Policy.Params, a.ADN.Params, a.LogAlpha)
	opt(a.PolicyOpt)
	opt(a.ADNOpt)
	opt(a.AlphaOpt)
	for k := 0; k < 2; k++ {
		add(a.Critics.Online[k].Params, a.Critics.Target[k].Params)
		opt(a.Critics.Opt[k])
	}
	return s
}

func sameBits(a, b [][]float32) bool {
	for i := range a {
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

func TestDeterminism(t *testing.T) {
	// Same seed: bit-identical actions, losses and parameters over 50
	// updates, with 2 shards running in parallel. The log's fingerprint
	// of them is what `make check-blas-free` compares across BLAS builds
	// and OpenBLAS cores (docs/reproducibility.md).
	run := func() ([]Stats, []float32, [][]float32) {
		cfg := tinyConfig()
		cfg.Shards = 2
		a := newTiny(t, cfg, 3, 2)
		fill(t, a, 200)
		var stats []Stats
		var acts []float32
		obs := []float32{0.5, -0.5, 0.25}
		for i := 0; i < 50; i++ {
			st, err := a.Update()
			if err != nil {
				t.Fatal(err)
			}
			stats = append(stats, st)
			act := make([]float32, 2)
			a.Act(act, obs, 1, policy.Sample, uint64(i))
			acts = append(acts, act...)
		}
		return stats, acts, state(a)
	}
	s1, a1, p1 := run()
	s2, a2, p2 := run()
	for i := range s1 {
		if s1[i] != s2[i] {
			t.Fatalf("update %d: stats %+v vs %+v", i, s1[i], s2[i])
		}
	}
	if !equal(a1, a2) || !sameBits(p1, p2) {
		t.Fatal("same seed, different actions or parameters")
	}
	if s1[0] == s1[49] {
		t.Fatal("the updates changed nothing")
	}
	h := fnv.New64a()
	for _, p := range append(p1, a1) {
		for _, v := range p {
			binary.Write(h, binary.LittleEndian, math.Float32bits(v))
		}
	}
	t.Logf("fingerprint %s %016x", cpu.New[float32]().Name(), h.Sum64())
}

func TestNonFiniteUpdateRestoresTheAgent(t *testing.T) {
	a := newTiny(t, tinyConfig(), 3, 2)
	fill(t, a, 100)
	for i := 0; i < 3; i++ {
		if _, err := a.Update(); err != nil {
			t.Fatal(err)
		}
	}
	// A non-finite loss in each stage: every earlier stage has already
	// changed the agent, and all of it must be undone.
	for _, stage := range []string{"actor", "average divergence", "temperature"} {
		faultHook = func(s string) bool { return s == stage }
		before := state(a)
		updates := a.Updates
		_, err := a.Update()
		faultHook = nil
		var ue *UpdateError
		var nf *nn.NonFiniteError
		if !errors.As(err, &ue) || ue.Stage != stage || !errors.As(err, &nf) {
			t.Fatalf("%s: Update returned %v", stage, err)
		}
		if !sameBits(before, state(a)) || a.Updates != updates {
			t.Fatalf("%s: the abandoned update changed the agent", stage)
		}
	}
	// A NaN parameter in the ADN makes the critic step's log-likelihoods
	// NaN: the critic step refuses.
	p := a.ADN.Params
	p[len(p)-1] = float32(math.NaN())
	before := state(a)
	_, err := a.Update()
	var ue *UpdateError
	if !errors.As(err, &ue) || ue.Stage != "critic" || !sameBits(before, state(a)) {
		t.Fatalf("Update with a NaN ADN: %v", err)
	}
	// And after the fault, training goes on.
	p[len(p)-1] = 0
	if _, err := a.Update(); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateAllocatesNothing(t *testing.T) {
	cfg := tinyConfig()
	cfg.Shards = 2
	a := newTiny(t, cfg, 3, 2)
	fill(t, a, 100)
	a.Update()
	if n := testing.AllocsPerRun(5, func() { a.Update() }); n != 0 {
		t.Fatalf("Update allocates %v times", n)
	}
	obs := []float32{1, 2, 3}
	dst := make([]float32, 2)
	a.Act(dst, obs, 1, policy.BestOfN, 1)
	if n := testing.AllocsPerRun(20, func() { a.Act(dst, obs, 1, policy.BestOfN, 2) }); n != 0 {
		t.Fatalf("Act allocates %v times", n)
	}
}

func equal(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}
