package mfpo

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/critic"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// Agent is an MFPO learner for flat observations of Spaces.ObsDim floats
// and actions in [−1, 1]^Spaces.ActDim.
type Agent struct {
	Config Config
	Spaces policy.Spaces // the environment's spaces; the agent acts in [−1, 1]
	// Be owns every buffer of the agent and runs its operations.
	Be backend.Backend[float32]

	// The networks and optimisers. An update binds new buffers to the
	// policy, the critics and their moments (see Update): read Params, M
	// and V afresh after one.
	Policy, ADN       *nn.MLP[float32] // u_θ and δ_ω
	PolicyOpt, ADNOpt *nn.Adam[float32]
	Critics           *critic.Twin
	LogAlpha          []float32 // [1], log α, optimised by AlphaOpt
	AlphaOpt          *nn.Adam[float32]
	Buffer            *replay.Buffer

	// RNG is the source of every random draw of training (acting in any
	// mode but Explore draws from its seed instead); PCG is its state.
	PCG *rand.PCG
	RNG *rand.Rand

	Updates int64 // successful updates
	Stored  int64 // transitions stored

	pool    *par.Pool
	sampler *flow.Sampler[float32] // update-time rollouts, B·K1 rows
	trainer *flow.Trainer[float32]
	view    *policy.Policy // the policy network and target critics, for acting
	u       updateBuffers
	actor   *nn.Undoable[float32] // the policy's steps, undone when a later stage fails

	exploreEps []float32 // Explore's noise, grown on demand

	// Per-shard state of the per-state loops of the actor step.
	perState            []perStateShard
	alpha               float64 // α of the update in progress
	posteriorFn, snisFn func(int)
}

type perStateShard struct {
	seed              [2]uint64 // of the shard's posterior draws
	weights           []float64 // SNISVelocity's scratch
	ess1, ess2, meanQ float64
}

// Stats are the figures of one update.
type Stats struct {
	CriticLoss   [2]float32
	ActorLoss    float32
	ADNLoss      float32
	AlphaLoss    float32
	Alpha        float32 // α used in this update
	Entropy      float32 // Ĥ = −mean log π over the B·K1 policy proposals
	ESSPolicy    float32 // mean effective sample size of the policy proposal (of K1; with BalanceMix its share of the combined ESS)
	ESSPosterior float32 // of the posterior proposal (of K2)
	MeanQ        float32 // mean Q of the policy proposals
}

// ErrNotEnoughData is returned by Update before BatchSize transitions
// have been stored.
var ErrNotEnoughData = errors.New("mfpo: not enough stored transitions for a batch")

// UpdateError reports a non-finite loss or gradient in a stage of an
// update ("critic", "actor", "average divergence", "temperature"); the
// agent was restored to its state before the update. Err is the cause
// (an *nn.NonFiniteError).
type UpdateError struct {
	Stage string
	Err   error
}

func (e *UpdateError) Error() string {
	return fmt.Sprintf("mfpo: update abandoned in the %s step, agent restored: %v", e.Stage, e.Err)
}

func (e *UpdateError) Unwrap() error { return e.Err }

type updateBuffers struct {
	batch                       *replay.Batch
	eps, nextAct, nextLogp, rho []float32 // critic step: [B×d], [B×d], [B], [B×atoms]
	propEps, prop, propLogp     []float32 // [B·K1×d], [B·K1×d], [B·K1]
	a0, noise, at, t, h, vhat   []float32 // [B×d] or [B]
	cand, q                     []float32 // [B·(K1+K2)×d], [B·(K1+K2)]
	probes                      []float32 // [B×N×d]
	alphaGrad                   []float32 // [1]
}

// New returns an agent with freshly initialised networks for the spaces
// sp. An invalid cfg is a *ConfigError, invalid spaces a
// *policy.SpacesError, an agent whose EstimateAgent is over MemoryLimit()
// a *SizeError (nothing allocated).
func New(cfg Config, sp policy.Spaces) (*Agent, error) {
	return NewWithin(cfg, sp, 0)
}

// NewWithin is New within a memory limit of maxBytes (≤ 0: MemoryLimit()).
func NewWithin(cfg Config, sp policy.Spaces, maxBytes int64) (*Agent, error) {
	return NewOn(cpu.New[float32](), cfg, sp, maxBytes)
}

// NewOn is NewWithin on the backend be, which then owns every buffer of
// the agent (networks, optimiser moments, targets, replay-independent
// update workspaces) and runs its operations.
func NewOn(be backend.Backend[float32], cfg Config, sp policy.Spaces, maxBytes int64) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	if err := CheckEstimate(EstimateAgent(cfg, sp), maxBytes); err != nil {
		return nil, err
	}
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	obsDim, actDim := sp.ObsDim, sp.ActDim
	a := &Agent{Config: cfg, Spaces: sp.Clone(), Be: be}
	a.PCG = rand.NewPCG(cfg.Seed, 0x6d66706f)
	a.RNG = rand.New(a.PCG)

	ps := nn.PolicySpec(obsDim, actDim, cfg.Hidden)
	ps.TimeFeatures, ps.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	ds := nn.AverageDivergenceSpec(obsDim, actDim, cfg.Hidden)
	ds.TimeFeatures, ds.TimeWidth = cfg.TimeFeatures, cfg.TimeWidth
	var err error
	if a.Policy, err = nn.New(a.Be, ps, a.RNG); err != nil {
		return nil, err
	}
	if a.ADN, err = nn.New(a.Be, ds, a.RNG); err != nil {
		return nil, err
	}
	a.PolicyOpt = nn.NewAdam(a.Be, a.Policy.NumParams(), cfg.ActorLR)
	a.ADNOpt = nn.NewAdam(a.Be, a.ADN.NumParams(), cfg.ADNLR)
	a.LogAlpha = be.Alloc(1)
	a.LogAlpha[0] = float32(math.Log(cfg.InitAlpha))
	a.AlphaOpt = nn.NewAdam(a.Be, 1, cfg.AlphaLR)

	if cfg.Shards > 1 {
		a.pool = par.NewPool(cfg.Shards)
	}
	cc := critic.DefaultConfig(obsDim, actDim)
	cc.Atoms, cc.VMin, cc.VMax, cc.Hidden = cfg.Atoms, cfg.VMin, cfg.VMax, cfg.Hidden
	cc.Gamma, cc.Tau, cc.LR, cc.ClippedDoubleQ = cfg.Gamma, cfg.Tau, cfg.CriticLR, cfg.ClippedDoubleQ
	cc.BatchRows = cfg.BatchSize
	if a.Critics, err = critic.New(a.Be, cc, a.RNG, a.pool); err != nil {
		return nil, err
	}
	if a.view, err = policy.NewLive(cfg.Acting(), a.Spaces, a.Policy, a.Critics.Target); err != nil {
		return nil, err
	}
	if a.Buffer, err = replay.New(cfg.BufferSize, obsDim, actDim); err != nil {
		return nil, err
	}

	B, K1, K2, d := cfg.BatchSize, cfg.PolicySamples, cfg.PosteriorSamples, actDim
	a.sampler = flow.NewSampler(a.Policy, a.ADN, B*K1, a.pool)
	a.trainer = flow.NewTrainer(a.Policy, a.ADN, B, cfg.Probes, cfg.ExactTrace, a.pool)
	alloc := be.Alloc
	a.u = updateBuffers{
		batch: replay.NewBatch(B, obsDim, actDim),
		eps:   alloc(B * d), nextAct: alloc(B * d), nextLogp: alloc(B), rho: alloc(B * cfg.Atoms),
		propEps: alloc(B * K1 * d), prop: alloc(B * K1 * d), propLogp: alloc(B * K1),
		a0: alloc(B * d), noise: alloc(B * d), at: alloc(B * d),
		t: alloc(B), h: alloc(B), vhat: alloc(B * d),
		cand: alloc(B * (K1 + K2) * d), q: alloc(B * (K1 + K2)),
		probes:    alloc(B * max(cfg.Probes, 1) * d),
		alphaGrad: alloc(1),
	}
	for range cfg.Shards {
		a.perState = append(a.perState, perStateShard{weights: make([]float64, velocityScratch(K1, K2, d))})
	}
	a.posteriorFn, a.snisFn = a.posteriorShard, a.snisShard
	a.actor = nn.NewUndoable(a.Policy, a.PolicyOpt)
	return a, nil
}

// Close stops the agent's worker goroutines.
func (a *Agent) Close() {
	if a.pool != nil {
		a.pool.Close()
		a.pool = nil
	}
}

// Alpha is the current temperature α = exp(log α).
func (a *Agent) Alpha() float32 { return float32(math.Exp(float64(a.LogAlpha[0]))) }

// TargetEntropy is H̄ = TargetEntropyPerDim·d (§5).
func (a *Agent) TargetEntropy() float32 {
	return float32(a.Config.TargetEntropyPerDim * float64(a.Spaces.ActDim))
}

// Store adds one transition to the replay buffer. A NaN or an infinity is
// an error and the buffer is unchanged.
func (a *Agent) Store(obs, act []float32, reward float32, nextObs []float32, terminated bool) error {
	if err := a.Buffer.Add(obs, act, reward, nextObs, terminated); err != nil {
		return err
	}
	a.Stored++
	return nil
}

// StoreBatch adds rows transitions to the replay buffer, with the result
// of rows calls of Store in order (buffer contents and Stored): obs and
// nextObs are [rows×ObsDim], act [rows×ActDim] (in [−1, 1]), reward and
// terminated [rows]. Every row is checked before any is stored, so a
// batch is stored whole or not at all: a NaN or an infinity is the
// *replay.NonFiniteError Store returns, naming the first bad field ("obs",
// "act", "reward" or "nextObs", in that order within a row), its row
// within this call and its element, and the buffer and Stored are then
// unchanged. As with Store, slices whose lengths do not match rows (or
// rows < 0) are a programmer error and panic before anything is stored.
// rows = 0 stores nothing. It allocates nothing.
func (a *Agent) StoreBatch(obs, act, reward, nextObs []float32, terminated []bool, rows int) error {
	if err := a.Buffer.AddBatch(obs, act, reward, nextObs, terminated, rows); err != nil {
		return err
	}
	a.Stored += int64(rows)
	return nil
}

// fillNormal fills x with N(0, 1) draws.
func (a *Agent) fillNormal(x []float32) {
	for i := range x {
		x[i] = float32(a.RNG.NormFloat64())
	}
}

// Update runs one training iteration (§6) on a batch from the replay
// buffer. An update abandoned on a non-finite loss or gradient (an
// *UpdateError) leaves the agent as it was before the update, and it
// does so without a copy of the state:
//
//   - Every stage checks its loss and gradient before it applies
//     anything, and §6's order is kept: critic, actor, ADN, temperature.
//   - The temperature's loss needs only the actor step's log-likelihoods,
//     so it is checked before the ADN's step is applied; the ADN and
//     temperature steps then apply last, when nothing can fail any more,
//     and need no undo.
//   - The critic step and the actor step must be applied before the
//     stages after them run (the actor's Q comes from the updated online
//     critics, the ADN step uses the updated policy), so they are taken
//     out of place: the new parameters, moments and targets are written
//     into spare buffers, which are then bound to the networks, and the
//     previous buffers are kept as they were (nn.Undoable,
//     critic.Twin.Revert). A failed later stage binds them back.
//
// An out-of-place step moves as much memory as an in-place one; the
// price is a second copy of the critics' and the policy's parameters
// and moments in memory (docs/design.md).
func (a *Agent) Update() (Stats, error) {
	cfg := &a.Config
	if a.Buffer.Len() < cfg.BatchSize {
		return Stats{}, ErrNotEnoughData
	}
	st, err := a.update()
	if err != nil {
		a.actor.Undo()
		a.Critics.Revert()
		return Stats{}, err
	}
	a.actor.Keep()
	a.Critics.Keep()
	a.Updates++
	return st, nil
}

func (a *Agent) update() (Stats, error) {
	cfg := &a.Config
	u := &a.u
	B, K1, K2, d, T := cfg.BatchSize, cfg.PolicySamples, cfg.PosteriorSamples, a.Spaces.ActDim, cfg.Steps
	alpha := a.Alpha()
	st := Stats{Alpha: alpha}
	b := u.batch

	// §3 Critic step: a′, log π(a′|s′) from the current policy and ADN; the
	// entropy backup through the target critics; cross-entropy; targets.
	a.Buffer.Sample(a.RNG, b)
	a.fillNormal(u.eps)
	a.sampler.Sample(u.nextAct, u.nextLogp, b.NextObs, 1, u.eps, B, T)
	a.Critics.TargetDistribution(u.rho, b.NextObs, u.nextAct, u.nextLogp, b.Reward, b.NotDone, alpha, B)
	closs, err := a.Critics.Step(b.Obs, b.Act, u.rho, B)
	if err != nil {
		return st, &UpdateError{"critic", err}
	}
	st.CriticLoss = closs

	// §4 Actor step. K1 policy proposals per state with log π.
	a.fillNormal(u.propEps)
	a.sampler.Sample(u.prop, u.propLogp, b.Obs, K1, u.propEps, B*K1, T)
	// a_t from the first proposal of each state, fresh ε and (t, r).
	a.Be.CopyRows(u.a0, d, u.prop, K1*d, B, d)
	a.noisyActions()
	// K2 posterior proposals per state; the K1 + K2 candidates of state s
	// are rows s·(K1+K2) … of cand, scored by the online critics; then the
	// SNIS velocity of each state. Both per-state loops run on the shards,
	// the draws of each from a seed drawn from the agent's generator.
	for k := range a.perState {
		a.perState[k].seed = [2]uint64{a.RNG.Uint64(), a.RNG.Uint64()}
	}
	a.runShards(a.posteriorFn)
	a.Critics.Values(u.q, b.Obs, K1+K2, u.cand, B*(K1+K2))
	a.alpha = float64(alpha)
	a.runShards(a.snisFn)
	var ess1, ess2, meanQ float64
	for k := range a.perState {
		ess1 += a.perState[k].ess1
		ess2 += a.perState[k].ess2
		meanQ += a.perState[k].meanQ
	}
	st.ESSPolicy, st.ESSPosterior = float32(ess1/float64(B)), float32(ess2/float64(B))
	st.MeanQ = float32(meanQ / float64(B*K1))
	aloss, grad := a.trainer.MeanFlowLoss(b.Obs, u.at, u.t, u.h, u.vhat, B)
	if err := finiteLoss("actor loss", faulty("actor", aloss)); err != nil {
		return st, &UpdateError{"actor", err}
	}
	if err := a.actor.Step(grad); err != nil { // undone if a later stage fails
		return st, &UpdateError{"actor", err}
	}
	st.ActorLoss = aloss

	// §2 Average-divergence step with the updated policy, from the same a_0;
	// applied below, once the temperature's loss is known to be finite.
	a.noisyActions()
	a.fillNormal(u.probes)
	dloss, dgrad := a.trainer.DivergenceLoss(b.Obs, u.at, u.t, u.h, u.probes, B)
	if err := finiteLoss("average-divergence loss", faulty("average divergence", dloss)); err != nil {
		return st, &UpdateError{"average divergence", err}
	}
	if i := a.Be.FirstNonFinite(dgrad); i >= 0 {
		return st, &UpdateError{"average divergence", &nn.NonFiniteError{What: "gradient", Index: i, Value: float64(dgrad[i])}}
	}
	st.ADNLoss = dloss

	// §5 Temperature: loss α·(Ĥ − H̄), gradient w.r.t. log α the same.
	st.Entropy = float32(-a.Be.Sum64(u.propLogp) / float64(B*K1))
	g := alpha * (st.Entropy - a.TargetEntropy())
	st.AlphaLoss = g
	if err := finiteLoss("temperature loss", faulty("temperature", g)); err != nil {
		return st, &UpdateError{"temperature", err}
	}

	// Nothing can fail from here on: apply the ADN and temperature steps.
	// (Adam cannot refuse these gradients: both were checked finite.)
	u.alphaGrad[0] = g
	if err := a.ADNOpt.Step(a.ADN.Params, dgrad); err != nil {
		panic("mfpo: Agent.Update: " + err.Error())
	}
	if err := a.AlphaOpt.Step(a.LogAlpha, u.alphaGrad); err != nil {
		panic("mfpo: Agent.Update: " + err.Error())
	}
	return st, nil
}

// posteriorShard fills shard k's states' candidates: the K1 policy
// proposals, then K2 draws of the truncated posterior (§4).
func (a *Agent) posteriorShard(k int) {
	u := &a.u
	cfg := &a.Config
	K1, K2, d := cfg.PolicySamples, cfg.PosteriorSamples, a.Spaces.ActDim
	lo, hi := par.Range(cfg.BatchSize, len(a.perState), k)
	ld := (K1 + K2) * d
	a.Be.CopyRows(u.cand[lo*ld:], ld, u.prop[lo*K1*d:], K1*d, hi-lo, K1*d)
	a.Be.TruncPosterior(u.cand[lo*ld+K1*d:], ld, u.at[lo*d:hi*d], u.t[lo:hi], hi-lo, K2, d, a.perState[k].seed)
}

// snisShard computes the velocity targets of shard k's states and their
// ESS and Q sums.
func (a *Agent) snisShard(k int) {
	u := &a.u
	cfg := &a.Config
	K1, K2, d := cfg.PolicySamples, cfg.PosteriorSamples, a.Spaces.ActDim
	ps := &a.perState[k]
	lo, hi := par.Range(cfg.BatchSize, len(a.perState), k)
	K := K1 + K2
	ps.ess1, ps.ess2, ps.meanQ = a.Be.SNISVelocity(u.vhat[lo*d:hi*d], u.at[lo*d:hi*d], u.t[lo:hi],
		u.cand[lo*K*d:hi*K*d], u.q[lo*K:hi*K], u.propLogp[lo*K1:hi*K1], hi-lo, K1, K2, d, a.alpha, cfg.ProposalMix.backend(), ps.weights)
}

func (a *Agent) runShards(f func(int)) {
	if a.pool == nil {
		f(0)
		return
	}
	a.pool.Run(f)
}

// noisyActions draws fresh (t, r) and ε and sets a_t = (1−t)·a_0 + t·ε
// for every state, with t clamped to [TimeGuard, 1 − TimeGuard] and h to
// [0, t].
func (a *Agent) noisyActions() {
	u := &a.u
	cfg := &a.Config
	B, d := cfg.BatchSize, a.Spaces.ActDim
	cfg.TimeSampler.Sample(a.RNG, u.t, u.h, B)
	a.fillNormal(u.noise)
	a.Be.NoisyActions(u.at, u.t, u.h, u.a0, u.noise, B, d, float32(cfg.TimeGuard))
}

// faultHook, set only by tests, makes the loss of a stage NaN to exercise
// the rollback of an abandoned update.
var faultHook func(stage string) bool

func faulty(stage string, loss float32) float32 {
	if faultHook != nil && faultHook(stage) {
		return float32(math.NaN())
	}
	return loss
}

// finiteLoss is a *nn.NonFiniteError naming what unless loss is finite.
func finiteLoss(what string, loss float32) error {
	if l := float64(loss); math.IsNaN(l) || math.IsInf(l, 0) {
		return &nn.NonFiniteError{What: what, Index: -1, Value: l}
	}
	return nil
}

// SetLearningRate sets the rate of all four optimisers (actor, average
// divergence, both critics, temperature) to lr, for schedules that change
// it during training; Config keeps the rates the agent was made with.
func (a *Agent) SetLearningRate(lr float64) error {
	if !(lr >= 0) || !policy.Float32(lr) { // 0: a linear schedule's last value
		return &ConfigError{Field: "LearningRate", Value: lr, Reason: "want a rate ≥ 0 " + policy.Float32Range}
	}
	for _, o := range []*nn.Adam[float32]{a.PolicyOpt, a.ADNOpt, a.Critics.Opt[0], a.Critics.Opt[1], a.AlphaOpt} {
		o.LR = lr
	}
	return nil
}
