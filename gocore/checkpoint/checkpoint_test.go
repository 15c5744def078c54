package checkpoint

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Every field of the agent survives a save and a load, with and without
// the replay buffer, wrapped ring included; the spaces come back in Info.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := tinyConfig()
	// Every config field away from its default, so that a field the writer
	// or the reader forgets shows.
	cfg.Steps, cfg.ClippedDoubleQ, cfg.TimeGuard = 3, false, 2e-4
	cfg.TimeSampler = flow.TimeSampler{Mean: -0.3, Std: 0.9, FlowMatchingRatio: 0.5, Uniform: true}
	cfg.Probes, cfg.ExactTrace, cfg.ProposalMix = 3, true, mfpo.BalanceMix
	cfg.InitAlpha, cfg.TargetEntropyPerDim = 0.05, -0.25
	cfg.ActorLR, cfg.ADNLR, cfg.CriticLR, cfg.AlphaLR = 1e-3, 2e-3, 3e-3, 4e-3
	cfg.Gamma, cfg.Tau, cfg.VMin, cfg.VMax = 0.98, 0.01, -50, 70
	cfg.BufferSize, cfg.LearningStarts, cfg.EvalCandidates, cfg.Seed = 100, 5, 4, 12345
	spaces := policy.Spaces{ObsShape: []int{1, 3}, ObsDim: 3, ActDim: 2, Low: []float32{-2, 0}, High: []float32{2, 0.5},
		ObsSpace: `{"type": "Box", "shape": [1, 3]}`}
	a := trainedIn(t, cfg, spaces, 130, 5) // 130 > 100: the ring has wrapped
	a.PolicyOpt.Beta1, a.ADNOpt.Eps = 0.8, 1e-7
	if a.Buffer.State().Pos == 0 || a.Buffer.Len() != 100 {
		t.Fatalf("want a wrapped ring, have pos %d len %d", a.Buffer.State().Pos, a.Buffer.Len())
	}

	for _, withReplay := range []bool{true, false} {
		data, err := Marshal(a, Options{Replay: withReplay})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Marshal(a, Options{Replay: withReplay})
		if !bytes.Equal(data, again) {
			t.Fatal("Marshal is not deterministic")
		}
		b, info, err := Unmarshal(data, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if !reflect.DeepEqual(b.Spaces, spaces) {
			t.Fatalf("the loaded agent's spaces %+v, want %+v", b.Spaces, spaces)
		}
		if d := diffAgents(t, a, b, withReplay); d != "" {
			t.Fatalf("replay %v: %s differs after a round trip", withReplay, d)
		}
		if !withReplay && b.Buffer.Len() != 0 {
			t.Fatalf("no replay saved, but the loaded buffer has %d transitions", b.Buffer.Len())
		}
		want := &Info{Version: Version, Kind: Full, Producer: Producer, Config: cfg, Spaces: spaces,
			Updates: 5, Stored: 130, Replay: withReplay}
		if withReplay {
			want.ReplayLen = 100
		}
		if !reflect.DeepEqual(info, want) {
			t.Fatalf("Info\n%+v\nwant\n%+v", info, want)
		}
		if got, err := Inspect(data); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Inspect: %+v, %v", got, err)
		}
	}

	// Default spaces are stored as [ObsDim] and [−1, 1].
	data, _ := Marshal(newAgent(t, cfg, 3, 2), Options{})
	info, _ := Inspect(data)
	if want := (policy.Spaces{ObsShape: []int{3}, ObsDim: 3, ActDim: 2, Low: []float32{-1, -1}, High: []float32{1, 1}}); !reflect.DeepEqual(info.Spaces, want) {
		t.Fatalf("default spaces %+v, want %+v", info.Spaces, want)
	}
}

// Exact resume: train N updates, save with the replay buffer, load into a
// fresh agent, train M more: the same as N + M updates without the
// interruption, bit for bit, actions and every parameter.
func TestCheckpointResume(t *testing.T) {
	const N, M = 12, 15
	cfg := tinyConfig() // 2 shards
	cfg.LearningStarts = 40
	twin := newAgent(t, cfg, 3, 2)
	run := newAgent(t, cfg, 3, 2)
	envRNG := func() *rand.Rand { return rand.New(rand.NewPCG(3, 4)) }
	e1, e2 := envRNG(), envRNG()

	// The first part: the same calls on both (Explore acting before and
	// after LearningStarts, storing, updating).
	steps := func(a *mfpo.Agent, rng *rand.Rand, n int) []float32 {
		var acts []float32
		o, d := a.Spaces.ObsDim, a.Spaces.ActDim
		obs, act := make([]float32, 2*o), make([]float32, 2*d)
		for i := 0; i < n; i++ {
			for j := range obs {
				obs[j] = float32(rng.NormFloat64())
			}
			for _, mode := range policy.Modes {
				if err := a.Act(act, obs, 2, mode, uint64(i)); err != nil {
					t.Fatal(err)
				}
				acts = append(acts, act...)
			}
			if err := a.Store(obs[:o], act[:d], float32(rng.NormFloat64()), obs[o:], rng.IntN(8) == 0); err != nil {
				t.Fatal(err)
			}
			if a.Stored >= int64(cfg.LearningStarts) {
				if _, err := a.Update(); err != nil {
					t.Fatal(err)
				}
			}
		}
		return acts
	}
	first := cfg.LearningStarts - 1 + N // N updates
	steps(twin, e1, first)
	steps(run, e2, first)
	if run.Updates != N {
		t.Fatalf("%d updates before the save, want %d", run.Updates, N)
	}

	path := filepath.Join(t.TempDir(), "agent.mfpo")
	if err := Save(path, run, Options{Replay: true}); err != nil {
		t.Fatal(err)
	}
	run.Close()
	resumed, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer resumed.Close()

	want := steps(twin, e1, M)
	got := steps(resumed, e2, M)
	if resumed.Updates != N+M {
		t.Fatalf("%d updates after the resume, want %d", resumed.Updates, N+M)
	}
	if !bitsEqual(got, want) {
		t.Fatal("the resumed agent's actions differ from the uninterrupted agent's")
	}
	if d := diffAgents(t, twin, resumed, true); d != "" {
		t.Fatalf("after %d + %d updates, %s differs from the uninterrupted agent", N, M, d)
	}
}

// A policy-only checkpoint (and the policy of a full one) acts as the
// agent does: deterministic, seeded samples and seeded best-of-N, in the
// environment's units of the stored spaces.
func TestCheckpointPolicy(t *testing.T) {
	cfg := tinyConfig()
	spaces := policy.Spaces{ObsDim: 3, ActDim: 2, Low: []float32{0, -3}, High: []float32{1, 3}}
	a := trainedIn(t, cfg, spaces, 100, 6)
	obs := make([]float32, 5*3)
	for i := range obs {
		obs[i] = float32(i%7) - 3
	}
	full, err := Marshal(a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "policy.mfpo")
	if err := Save(path, a, Options{PolicyOnly: true}); err != nil {
		t.Fatal(err)
	}
	small, _ := os.ReadFile(path)
	if len(small) >= len(full) {
		t.Fatalf("policy-only checkpoint %d bytes, full %d", len(small), len(full))
	}
	fromFull, _, err := UnmarshalPolicy(full, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	policyOnly, info, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != PolicyOnly || info.Updates != a.Updates || info.Stored != a.Stored || info.Replay {
		t.Fatalf("Info %+v", info)
	}
	if _, _, err := Load(path); err == nil || !strings.Contains(err.Error(), "LoadPolicy") {
		t.Fatalf("Load of a policy-only checkpoint: %v", err)
	}
	for name, p := range map[string]*policy.Policy{"from a full checkpoint": fromFull, "policy-only": policyOnly} {
		if !reflect.DeepEqual(p.Config, a.Config.Acting()) || p.Spaces.ObsDim != 3 || p.Spaces.ActDim != 2 ||
			!reflect.DeepEqual(p.Spaces.Low, spaces.Low) || !reflect.DeepEqual(p.Spaces.High, spaces.High) {
			t.Fatalf("%s: config or spaces differ: %+v", name, p.Spaces)
		}
		if !bitsEqual(p.Actor.Params, a.Policy.Params) || !bitsEqual(p.Critics[0].Params, a.Critics.Target[0].Params) ||
			!bitsEqual(p.Critics[1].Params, a.Critics.Target[1].Params) {
			t.Fatalf("%s: parameters differ", name)
		}
		for _, mode := range []policy.Mode{policy.Deterministic, policy.Sample, policy.BestOfN} {
			for _, rows := range []int{1, 5} {
				seed := uint64(rows)*100 + uint64(mode)
				want, got := make([]float32, rows*2), make([]float32, rows*2)
				if err := a.Act(want, obs, rows, mode, seed); err != nil {
					t.Fatal(err)
				}
				p.Spaces.ToEnv(want, want)
				if err := p.Act(got, obs, rows, mode, seed); err != nil {
					t.Fatal(err)
				}
				if !bitsEqual(got, want) {
					t.Fatalf("%s, %v, %d rows: %v, the agent %v", name, mode, rows, got, want)
				}
			}
		}
	}
	// Default spaces give the agent's own box.
	data, _ := Marshal(newAgent(t, cfg, 3, 2), Options{PolicyOnly: true})
	p, _, err := UnmarshalPolicy(data, Limits{})
	if err != nil || !p.Spaces.Unit() {
		t.Fatalf("default spaces: %v, %+v", err, p.Spaces)
	}
	// A NaN observation is an error, dst unchanged.
	dst := []float32{7, 7}
	var nf *nn.NonFiniteError
	if err := p.Act(dst, []float32{0, float32(nanF()), 0}, 1, policy.Sample, 1); !errors.As(err, &nf) || dst[0] != 7 {
		t.Fatalf("NaN observation: %v, dst %v", err, dst)
	}
}

func nanF() float64 { z := 0.0; return z / z }

// Atomic saves: a failure after the temporary file is written (a crash
// before the rename) leaves the old checkpoint intact and no temporary
// file; a successful save replaces it.
func TestCheckpointAtomicSave(t *testing.T) {
	cfg := tinyConfig()
	a := trained(t, cfg, 3, 2, 40, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.mfpo")
	if err := Save(path, a, Options{}); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	update(t, a, 2)

	crash := errors.New("simulated crash")
	var sawTemp bool
	afterTempWrite = func(tmp string) error {
		// The new bytes are complete and synced in the temporary file.
		if st, err := os.Stat(tmp); err == nil && st.Size() > 0 && filepath.Dir(tmp) == dir {
			sawTemp = true
		}
		return crash
	}
	err := Save(path, a, Options{Replay: true})
	afterTempWrite = nil
	if !errors.Is(err, crash) || !sawTemp {
		t.Fatalf("Save with a crash before the rename: %v (temp file seen: %v)", err, sawTemp)
	}
	now, _ := os.ReadFile(path)
	if !bytes.Equal(now, old) {
		t.Fatal("the old checkpoint changed")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the folder holds %d entries after the failed save, want only the old checkpoint", len(entries))
	}
	if b, _, err := Load(path); err != nil {
		t.Fatalf("the old checkpoint does not load: %v", err)
	} else {
		b.Close()
	}

	// An unwritable target folder: an error, nothing created.
	if err := Save(filepath.Join(dir, "missing", "agent.mfpo"), a, Options{}); err == nil {
		t.Fatal("Save into a missing folder succeeded")
	}

	// A good save replaces the file; its mode is an ordinary file's.
	if err := Save(path, a, Options{Replay: true}); err != nil {
		t.Fatal(err)
	}
	b, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if d := diffAgents(t, a, b, true); d != "" {
		t.Fatalf("%s differs", d)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v", st.Mode())
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d entries after a good save", len(entries))
	}
}

// Options (or an agent) that cannot be written are typed errors naming
// the field.
func TestCheckpointOptionsErrors(t *testing.T) {
	a := newAgent(t, tinyConfig(), 3, 2)
	_, err := Marshal(a, Options{PolicyOnly: true, Replay: true})
	var oe *OptionsError
	if !errors.As(err, &oe) || oe.Field != "Replay" {
		t.Errorf("Replay: %v", err)
	}
	// Spaces changed after New into invalid ones.
	for _, sp := range []policy.Spaces{
		{ObsShape: []int{2, 2}, ObsDim: 3, ActDim: 2},
		{ObsDim: 3, ActDim: 2, Low: []float32{-1}, High: []float32{1}},
		{ObsDim: 3, ActDim: 2, Low: []float32{-1, 1}, High: []float32{1, 1}},
	} {
		b := newAgent(t, tinyConfig(), 3, 2)
		b.Spaces = sp
		_, err := Marshal(b, Options{})
		var se *policy.SpacesError
		if !errors.As(err, &oe) || oe.Field != "Agent.Spaces" || errors.As(err, &se) {
			t.Errorf("%+v: %v", sp, err)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, a, Options{}); err != nil || buf.Len() == 0 {
		t.Fatalf("Write: %v, %d bytes", err, buf.Len())
	}
}

// numParams agrees with nn.New.
func TestCheckpointNumParams(t *testing.T) {
	for _, cfg := range []mfpo.Config{mfpo.DefaultConfig(), tinyConfig(), microConfig()} {
		for _, dims := range [][2]int{{17, 6}, {3, 1}} {
			ps, ds, cs := mfpo.Specs(cfg, dims[0], dims[1])
			for _, s := range []nn.Spec{ps, ds, cs} {
				m, err := nn.New(cpu.New[float32](), s, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				if mfpo.NumParams(s) != m.NumParams() {
					t.Fatalf("%s: numParams %d, nn.New %d", specString(s), mfpo.NumParams(s), m.NumParams())
				}
			}
		}
	}
	if mfpo.NumParams(nn.Spec{Inputs: []int{1 << 30}, Hidden: []int{1 << 30, 1 << 30}, Out: 1}) != -1 {
		t.Fatal("an absurd spec does not saturate")
	}
}
