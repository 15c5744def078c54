package checkpoint

import (
	"fmt"
	"math"
	"runtime"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Producer is what checkpoints written by this package name as their
// producer.
var Producer = "mfpo " + buildinfo.Version + " " + runtime.Version()

// fixed is the size of everything but the float vectors, with room to
// spare: tables, vtables, int vectors, the producer string.
const fixed = 1 << 14

func marshal(a *mfpo.Agent, opts Options) (data []byte, err error) {
	sp, err := checkOptions(a, opts)
	if err != nil {
		return nil, err
	}
	// The writer reads the agent's buffers on the host: on a device
	// backend, after every operation issued on them has finished.
	a.Be.Sync()
	// Size the builder once: growing it doubles and copies.
	floats := 0
	nets := []*nn.MLP[float32]{a.Policy, a.Critics.Target[0], a.Critics.Target[1]}
	if !opts.PolicyOnly {
		nets = append(nets, a.ADN, a.Critics.Online[0], a.Critics.Online[1])
		floats += 2 * (a.Policy.NumParams() + a.ADN.NumParams() + 2*a.Critics.Online[0].NumParams() + 1)
	}
	for _, n := range nets {
		floats += n.NumParams()
	}
	floats += 2 * sp.ActDim
	rows := 0
	if opts.Replay {
		rows = a.Buffer.Len()
		floats += rows * (2*sp.ObsDim + sp.ActDim + 2)
	}
	size := 4*float64(floats) + 8*float64(len(nets)+10) + fixed
	if size > maxFile {
		return nil, &OptionsError{"Replay", fmt.Sprintf("the checkpoint would have about %.0f bytes, more than a flatbuffer can address (%d); save without the replay buffer", size, maxFile)}
	}
	defer func() { // the builder panics on misuse; none is expected
		if r := recover(); r != nil {
			data, err = nil, fmt.Errorf("checkpoint: internal error while writing (please report): %v", r)
		}
	}()
	b := flatbuffers.NewBuilder(int(size))
	w := writer{b}

	producer := b.CreateString(Producer)
	config := w.config(a.Config)
	spaces := w.spaces(sp)
	policy := w.network(a.Policy)
	targets := w.tables(w.network(a.Critics.Target[0]), w.network(a.Critics.Target[1]))
	var adn, critics, policyOpt, adnOpt, criticOpts, alphaOpt, rep flatbuffers.UOffsetT
	var hi, lo uint64
	if !opts.PolicyOnly {
		adn = w.network(a.ADN)
		critics = w.tables(w.network(a.Critics.Online[0]), w.network(a.Critics.Online[1]))
		policyOpt = w.adam(a.PolicyOpt)
		adnOpt = w.adam(a.ADNOpt)
		criticOpts = w.tables(w.adam(a.Critics.Opt[0]), w.adam(a.Critics.Opt[1]))
		alphaOpt = w.adam(a.AlphaOpt)
		state, err := a.PCG.MarshalBinary() // "pcg:", hi and lo big-endian
		if err != nil || len(state) != 20 {
			return nil, fmt.Errorf("checkpoint: the agent's PCG state: %v (%d bytes)", err, len(state))
		}
		for i := 0; i < 8; i++ {
			hi = hi<<8 | uint64(state[4+i])
			lo = lo<<8 | uint64(state[12+i])
		}
		if opts.Replay {
			rep = w.replay(a, rows)
		}
	}

	fb.CheckpointStart(b)
	fb.CheckpointAddFormatVersion(b, Version)
	kind := fb.KindFull
	if opts.PolicyOnly {
		kind = fb.KindPolicy
	}
	fb.CheckpointAddKind(b, kind)
	fb.CheckpointAddProducer(b, producer)
	fb.CheckpointAddConfig(b, config)
	fb.CheckpointAddSpaces(b, spaces)
	fb.CheckpointAddPolicy(b, policy)
	fb.CheckpointAddTargetCritics(b, targets)
	fb.CheckpointAddUpdates(b, a.Updates)
	fb.CheckpointAddStored(b, a.Stored)
	if !opts.PolicyOnly {
		fb.CheckpointAddAdn(b, adn)
		fb.CheckpointAddCritics(b, critics)
		fb.CheckpointAddPolicyOpt(b, policyOpt)
		fb.CheckpointAddAdnOpt(b, adnOpt)
		fb.CheckpointAddCriticOpts(b, criticOpts)
		w.f32(checkpointDef, "log_alpha", a.LogAlpha[0], fb.CheckpointAddLogAlpha)
		fb.CheckpointAddAlphaOpt(b, alphaOpt)
		fb.CheckpointAddRng(b, fb.CreatePcg(b, hi, lo))
		if opts.Replay {
			fb.CheckpointAddReplay(b, rep)
		}
	}
	// The checksum field, present and zero; seal fills it in.
	b.PrependUint32(0)
	b.Slot(int(checkpointDef.slot("checksum")-4) / 2)
	b.FinishWithFileIdentifier(fb.CheckpointEnd(b), []byte(Identifier))
	data = b.FinishedBytes()
	seal(data)
	return data, nil
}

// checkOptions validates the options and the agent's spaces and returns
// the spaces as stored: ObsShape and the bounds filled in.
func checkOptions(a *mfpo.Agent, opts Options) (policy.Spaces, error) {
	sp := a.Spaces
	if opts.PolicyOnly && opts.Replay {
		return sp, &OptionsError{"Replay", "a policy-only checkpoint holds no replay buffer"}
	}
	if err := sp.Validate(); err != nil {
		return sp, &OptionsError{"Agent.Spaces", err.Error()}
	}
	sp.ObsShape = sp.Shape()
	if sp.Low == nil {
		sp.Low, sp.High = make([]float32, sp.ActDim), make([]float32, sp.ActDim)
		for i := range sp.Low {
			sp.Low[i], sp.High[i] = -1, 1
		}
	}
	c := a.Config
	ints := []struct {
		name string
		v    int
	}{{"TimeFeatures", c.TimeFeatures}, {"TimeWidth", c.TimeWidth}, {"Steps", c.Steps}, {"Atoms", c.Atoms},
		{"PolicySamples", c.PolicySamples}, {"PosteriorSamples", c.PosteriorSamples}, {"Probes", c.Probes},
		{"BatchSize", c.BatchSize}, {"EvalCandidates", c.EvalCandidates}, {"Shards", c.Shards},
		{"ObsDim", sp.ObsDim}, {"ActDim", sp.ActDim}}
	for _, h := range c.Hidden {
		ints = append(ints, struct {
			name string
			v    int
		}{"Hidden", h})
	}
	for _, x := range ints {
		if x.v < math.MinInt32 || x.v > math.MaxInt32 {
			return sp, &OptionsError{"Config." + x.name, fmt.Sprintf("%d does not fit the format's int32", x.v)}
		}
	}
	return sp, nil
}

// writer adds the agent's parts to a builder; each method returns the
// offset of what it wrote.
type writer struct{ b *flatbuffers.Builder }

// f32 and f64 add a scalar field, writing a negative zero explicitly: the
// generated adders skip a value equal to the default, and −0 == 0.
func (w writer) f32(def *tableDef, field string, x float32, add func(*flatbuffers.Builder, float32)) {
	if x == 0 && math.Signbit(float64(x)) {
		w.b.PrependFloat32(x)
		w.b.Slot(int(def.slot(field)-4) / 2)
		return
	}
	add(w.b, x)
}

func (w writer) f64(def *tableDef, field string, x float64, add func(*flatbuffers.Builder, float64)) {
	if x == 0 && math.Signbit(x) {
		w.b.PrependFloat64(x)
		w.b.Slot(int(def.slot(field)-4) / 2)
		return
	}
	add(w.b, x)
}

func (w writer) tables(offs ...flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	return w.b.CreateVectorOfTables(offs)
}

func (w writer) config(c mfpo.Config) flatbuffers.UOffsetT {
	b := w.b
	hidden := putInt32s(b, c.Hidden)
	mix := b.CreateString(string(c.ProposalMix))
	fb.TimeSamplerStart(b)
	ts := c.TimeSampler
	w.f64(timeSamplerDef, "mean", ts.Mean, fb.TimeSamplerAddMean)
	w.f64(timeSamplerDef, "std", ts.Std, fb.TimeSamplerAddStd)
	w.f64(timeSamplerDef, "flow_matching_ratio", ts.FlowMatchingRatio, fb.TimeSamplerAddFlowMatchingRatio)
	fb.TimeSamplerAddUniform(b, ts.Uniform)
	sampler := fb.TimeSamplerEnd(b)

	fb.ConfigStart(b)
	fb.ConfigAddHidden(b, hidden)
	fb.ConfigAddTimeFeatures(b, int32(c.TimeFeatures))
	fb.ConfigAddTimeWidth(b, int32(c.TimeWidth))
	fb.ConfigAddSteps(b, int32(c.Steps))
	fb.ConfigAddAtoms(b, int32(c.Atoms))
	w.f64(configDef, "v_min", c.VMin, fb.ConfigAddVMin)
	w.f64(configDef, "v_max", c.VMax, fb.ConfigAddVMax)
	w.f64(configDef, "gamma", c.Gamma, fb.ConfigAddGamma)
	w.f64(configDef, "tau", c.Tau, fb.ConfigAddTau)
	fb.ConfigAddClippedDoubleQ(b, c.ClippedDoubleQ)
	fb.ConfigAddPolicySamples(b, int32(c.PolicySamples))
	fb.ConfigAddPosteriorSamples(b, int32(c.PosteriorSamples))
	w.f64(configDef, "time_guard", c.TimeGuard, fb.ConfigAddTimeGuard)
	fb.ConfigAddTimeSampler(b, sampler)
	fb.ConfigAddProbes(b, int32(c.Probes))
	fb.ConfigAddExactTrace(b, c.ExactTrace)
	w.f64(configDef, "init_alpha", c.InitAlpha, fb.ConfigAddInitAlpha)
	w.f64(configDef, "target_entropy_per_dim", c.TargetEntropyPerDim, fb.ConfigAddTargetEntropyPerDim)
	w.f64(configDef, "actor_lr", c.ActorLR, fb.ConfigAddActorLr)
	w.f64(configDef, "adn_lr", c.ADNLR, fb.ConfigAddAdnLr)
	w.f64(configDef, "critic_lr", c.CriticLR, fb.ConfigAddCriticLr)
	w.f64(configDef, "alpha_lr", c.AlphaLR, fb.ConfigAddAlphaLr)
	fb.ConfigAddBatchSize(b, int32(c.BatchSize))
	fb.ConfigAddBufferSize(b, int64(c.BufferSize))
	fb.ConfigAddLearningStarts(b, int64(c.LearningStarts))
	fb.ConfigAddEvalCandidates(b, int32(c.EvalCandidates))
	fb.ConfigAddSeed(b, c.Seed)
	fb.ConfigAddShards(b, int32(c.Shards))
	fb.ConfigAddProposalMix(b, mix)
	return fb.ConfigEnd(b)
}

func (w writer) spaces(s policy.Spaces) flatbuffers.UOffsetT {
	b := w.b
	shape := putInt32s(b, s.ObsShape)
	low, high := putFloats(b, s.Low), putFloats(b, s.High)
	var desc flatbuffers.UOffsetT
	if s.ObsSpace != "" {
		desc = b.CreateString(s.ObsSpace)
	}
	fb.SpacesStart(b)
	fb.SpacesAddObsDim(b, int32(s.ObsDim))
	fb.SpacesAddActDim(b, int32(s.ActDim))
	fb.SpacesAddObsShape(b, shape)
	fb.SpacesAddActLow(b, low)
	fb.SpacesAddActHigh(b, high)
	if desc != 0 {
		fb.SpacesAddObsSpace(b, desc)
	}
	return fb.SpacesEnd(b)
}

func (w writer) network(m *nn.MLP[float32]) flatbuffers.UOffsetT {
	b := w.b
	s := m.Spec
	inputs, hidden := putInt32s(b, s.Inputs), putInt32s(b, s.Hidden)
	fb.NetSpecStart(b)
	fb.NetSpecAddInputs(b, inputs)
	fb.NetSpecAddTimes(b, int32(s.Times))
	fb.NetSpecAddHidden(b, hidden)
	fb.NetSpecAddOut(b, int32(s.Out))
	fb.NetSpecAddLayerNorm(b, s.LayerNorm)
	fb.NetSpecAddTimeFeatures(b, int32(s.TimeFeatures))
	fb.NetSpecAddTimeWidth(b, int32(s.TimeWidth))
	spec := fb.NetSpecEnd(b)
	params := putFloats(b, m.Params)
	fb.NetworkStart(b)
	fb.NetworkAddSpec(b, spec)
	fb.NetworkAddParams(b, params)
	return fb.NetworkEnd(b)
}

func (w writer) adam(o *nn.Adam[float32]) flatbuffers.UOffsetT {
	b := w.b
	m, v := putFloats(b, o.M), putFloats(b, o.V)
	fb.AdamStart(b)
	w.f64(adamDef, "lr", o.LR, fb.AdamAddLr)
	w.f64(adamDef, "beta1", o.Beta1, fb.AdamAddBeta1)
	w.f64(adamDef, "beta2", o.Beta2, fb.AdamAddBeta2)
	w.f64(adamDef, "eps", o.Eps, fb.AdamAddEps)
	fb.AdamAddSteps(b, o.Steps)
	fb.AdamAddM(b, m)
	fb.AdamAddV(b, v)
	return fb.AdamEnd(b)
}

// replay writes the buffer's first rows rows (all it stores).
func (w writer) replay(a *mfpo.Agent, rows int) flatbuffers.UOffsetT {
	b := w.b
	s := a.Buffer.State()
	o, d := a.Spaces.ObsDim, a.Spaces.ActDim
	obs, act := putFloats(b, s.Obs[:rows*o]), putFloats(b, s.Act[:rows*d])
	reward, next := putFloats(b, s.Reward[:rows]), putFloats(b, s.NextObs[:rows*o])
	notDone := putFloats(b, s.NotDone[:rows])
	fb.ReplayStart(b)
	fb.ReplayAddCapacity(b, int64(a.Buffer.Capacity()))
	fb.ReplayAddPos(b, int64(s.Pos))
	fb.ReplayAddLen(b, int64(s.Len))
	fb.ReplayAddObs(b, obs)
	fb.ReplayAddAct(b, act)
	fb.ReplayAddReward(b, reward)
	fb.ReplayAddNextObs(b, next)
	fb.ReplayAddNotDone(b, notDone)
	return fb.ReplayEnd(b)
}
