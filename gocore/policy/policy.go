package policy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/mfpo/mfpo/gocore/critic"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/nn"
)

// NoiseStream is the PCG stream of the noise of an Act call: its draws
// come from rand.New(rand.NewPCG(seed, NoiseStream)).
const NoiseStream = 0x6d66706f // "mfpo"

// BlockRows is the block height of the target critics' forward passes in
// best-of-N scoring: the candidates are scored in blocks of BlockRows
// rows at fixed offsets.
const BlockRows = 256

// ChunkRows bounds the candidate rows one act call works on at once: the
// observations are acted on in chunks of max(1, ChunkRows/N) (N the
// candidates per observation), drawing the noise in order, so that an
// act call's memory is one chunk's whatever its rows. Acting on rows
// observations gives the actions of acting on them in one piece: the
// same bits on the CPU's vector paths, whose products round a row alike
// at every height; up to the BLAS's per-row rounding on the portable one.
const ChunkRows = 1024

// ErrNotFinite is the error of an act call whose actions are not finite:
// the inputs were in range, so the networks' weights overflow (a
// corrupted or diverged network).
var ErrNotFinite = errors.New("policy: the actions are not finite: the networks' weights overflow float32 for this observation")

// ErrExplore is the error of Policy.Act for Explore: only a training
// agent explores.
var ErrExplore = errors.New("policy: mode explore is the training loop's behaviour, only an agent explores: want " + modeList(Modes[:3]))

// Policy acts with a trained MeanFlow policy; see the package
// documentation. Its exported fields must not be changed after New.
type Policy struct {
	Config  Config              // the acting configuration
	Spaces  Spaces              // the observation and action spaces
	Actor   *nn.MLP[float32]    // u_θ
	Critics [2]*nn.MLP[float32] // the target critics φ̄1, φ̄2
	support critic.Support

	// grid is the actor's first-layer time terms at the sampler's steps
	// (flow.Grid, §8), computed by New once for networks that do not
	// change; nil for NewLive, whose calls compute it each time.
	grid *flow.Grid[float32]

	mu   sync.Mutex
	free []*context // contexts not in use
}

// context is what one Act call writes.
type context struct {
	rows    int // capacity in candidate rows
	sampler *flow.Sampler[float32]
	eps     []float32 // [rows×d] noise
	cand    []float32 // [rows×d] candidates, or the actions in [−1, 1]
	q       []float32 // [rows] best-of-N values
	ws      [2]*nn.Workspace[float32]
	logits  [2][]float32 // [block×Atoms]
	state   [2][]float32 // the critics' inputs: (s, nil) per observation …
	perRow  [2][]float32 // … and (nil, a) per candidate
	pcg     *rand.PCG
	rng     *rand.Rand
}

// New returns a Policy acting with actor (u_θ, nn.PolicySpec's shape) and
// the target critics (nn.CriticSpec's shape with cfg.Atoms outputs) for
// the given spaces. It does not copy the networks, and it computes once
// what the actor's first layer takes from the sampler's steps alone (§8):
// the networks' parameters must not change while the Policy is in use
// (NewLive acts with networks that do). It returns an error when cfg or
// sp is invalid (a *ConfigError or *SpacesError) or a network's shape
// does not match them.
func New(cfg Config, sp Spaces, actor *nn.MLP[float32], targets [2]*nn.MLP[float32]) (*Policy, error) {
	p, err := NewLive(cfg, sp, actor, targets)
	if err != nil {
		return nil, err
	}
	p.grid = new(flow.Grid[float32])
	flow.NewSampler[float32](actor, nil, 1, nil).SetGrid(p.grid, cfg.Steps)
	return p, nil
}

// NewLive is New for networks whose parameters change between calls (an
// agent's own networks, which it trains between acting): every call
// computes the actor's time terms anew, from the parameters of the moment.
func NewLive(cfg Config, sp Spaces, actor *nn.MLP[float32], targets [2]*nn.MLP[float32]) (*Policy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := sp.Validate(); err != nil {
		return nil, err
	}
	sup, err := critic.NewSupport(cfg.Atoms, cfg.VMin, cfg.VMax)
	if err != nil {
		return nil, err
	}
	o, d := sp.ObsDim, sp.ActDim
	if actor == nil || targets[0] == nil || targets[1] == nil {
		return nil, fmt.Errorf("policy: New: a nil network")
	}
	if s := actor.Spec; !slices.Equal(s.Inputs, []int{d, o}) || s.Times != 2 || s.Out != d {
		return nil, fmt.Errorf("policy: New: the actor takes inputs %v and %d times to %d outputs, want [%d %d], 2 and %d",
			s.Inputs, s.Times, s.Out, d, o, d)
	}
	for k, m := range targets {
		if s := m.Spec; !slices.Equal(s.Inputs, []int{o, d}) || s.Times != 0 || s.Out != cfg.Atoms {
			return nil, fmt.Errorf("policy: New: target critic %d takes inputs %v and %d times to %d outputs, want [%d %d], 0 and %d atoms",
				k, s.Inputs, s.Times, s.Out, o, d, cfg.Atoms)
		}
	}
	return &Policy{Config: cfg, Spaces: sp.Clone(), Actor: actor, Critics: targets, support: sup}, nil
}

// Clone returns a network of m's shape with a copy of its parameters.
func Clone(m *nn.MLP[float32]) (*nn.MLP[float32], error) {
	c, err := nn.New(m.Be, m.Spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	copy(c.Params, m.Params)
	return c, nil
}

// Candidates is the number of samples per observation that mode draws.
func (p *Policy) Candidates(mode Mode) int {
	if mode == BestOfN {
		return p.Config.EvalCandidates
	}
	return 1
}

// Act writes actions in the environment's units for rows observations
// (obs [rows×ObsDim]) into dst ([rows×ActDim]), drawing the noise from
// seed (see the package documentation; Deterministic ignores it): the
// actions of ActUnit mapped by Spaces.ToEnv. A NaN or an infinity in obs,
// or an element beyond ±nn.MaxInput, is a *nn.NonFiniteError; actions
// that come out non-finite are ErrNotFinite; Explore is ErrExplore,
// another mode not listed in Modes an error. On an error dst is written
// only for acting on more than one chunk (ChunkRows), and then holds no
// meaning. Wrong lengths and rows < 1 panic. Safe for concurrent use.
func (p *Policy) Act(dst, obs []float32, rows int, mode Mode, seed uint64) error {
	return p.act(dst, obs, rows, mode, seed, true)
}

// ActUnit is Act with the actions in the networks' units, [−1, 1]: what
// an agent stores. mfpo.Agent.Act acts through it.
func (p *Policy) ActUnit(dst, obs []float32, rows int, mode Mode, seed uint64) error {
	return p.act(dst, obs, rows, mode, seed, false)
}

// act runs mode over chunks of observations; env maps the actions to the
// environment's units.
func (p *Policy) act(dst, obs []float32, rows int, mode Mode, seed uint64, env bool) error {
	obs, err := p.check(dst, obs, rows, mode)
	if err != nil {
		return err
	}
	o, d := p.Spaces.ObsDim, p.Spaces.ActDim
	n := p.Candidates(mode)
	chunk := max(1, ChunkRows/n)
	c := p.get()
	defer p.put(c)
	c.ensure(p, min(rows, chunk)*n)
	c.pcg.Seed(seed, NoiseStream)
	for r0 := 0; r0 < rows; r0 += chunk {
		m := min(chunk, rows-r0)
		act := c.cand[:m*d]
		if !p.run(c, obs[r0*o:(r0+m)*o], m, mode, n) || nn.CheckFinite("action", act) != nil {
			return ErrNotFinite
		}
		if out := dst[r0*d : (r0+m)*d]; env {
			p.Spaces.ToEnv(out, act)
		} else {
			copy(out, act)
		}
	}
	return nil
}

// Probe acts on three observations, every element 0, +1 and −1, with
// best-of-N (Sample when N = 1) and seed 0: ErrNotFinite when the
// actions or the critics' values come out non-finite, the mark of
// weights that overflow (a loader refuses such a network). Acting
// checks every call's outputs as well.
func (p *Policy) Probe() error {
	o, d := p.Spaces.ObsDim, p.Spaces.ActDim
	obs := make([]float32, 3*o)
	for i := range o {
		obs[o+i], obs[2*o+i] = 1, -1
	}
	mode := BestOfN
	if p.Config.EvalCandidates == 1 {
		mode = Sample
	}
	return p.ActUnit(make([]float32, 3*d), obs, 3, mode, 0)
}

// SampleUnit writes into dst ([rows×ActDim], in [−1, 1]) the T-step
// sampler's actions for rows observations from the given noise eps
// ([rows×ActDim]): Sample with noise the caller drew (an agent's
// exploration draws it from its training generator). Errors and panics
// as ActUnit.
func (p *Policy) SampleUnit(dst, obs, eps []float32, rows int) error {
	d := p.Spaces.ActDim
	if len(eps) < rows*d {
		panic(fmt.Sprintf("policy: Policy.SampleUnit: %d rows need eps of %d elements, have %d", rows, rows*d, len(eps)))
	}
	obs, err := p.check(dst, obs, rows, Sample)
	if err != nil {
		return err
	}
	c := p.get()
	defer p.put(c)
	c.ensure(p, min(rows, ChunkRows))
	for r0 := 0; r0 < rows; r0 += ChunkRows {
		m := min(ChunkRows, rows-r0)
		out := dst[r0*d : (r0+m)*d]
		p.sample(c, out, obs[r0*p.Spaces.ObsDim:(r0+m)*p.Spaces.ObsDim], 1, eps[r0*d:(r0+m)*d], m)
		if nn.CheckFinite("action", out) != nil {
			return ErrNotFinite
		}
	}
	return nil
}

// check validates the arguments of an act call and returns obs cut to
// rows observations.
func (p *Policy) check(dst, obs []float32, rows int, mode Mode) ([]float32, error) {
	o, d := p.Spaces.ObsDim, p.Spaces.ActDim
	if rows < 1 || len(obs) < rows*o || len(dst) < rows*d {
		panic(fmt.Sprintf("policy: Policy.Act: %d rows need obs of %d and dst of %d elements, have %d and %d",
			rows, rows*o, rows*d, len(obs), len(dst)))
	}
	switch mode {
	case Sample, BestOfN, Deterministic:
	case Explore:
		return nil, ErrExplore
	default:
		return nil, fmt.Errorf("policy: unknown acting mode %v: want %s", mode, modeList(Modes[:3]))
	}
	obs = obs[:rows*o]
	return obs, nn.CheckInput("observation", obs)
}

// run leaves in c.cand[:rows×d] the actions in [−1, 1] of mode for rows
// observations (c sized for rows·n candidates), drawing the noise from
// c's generator: one sample per observation, or the best of n by the
// target critics. It is false when a critic's value is not finite.
func (p *Policy) run(c *context, obs []float32, rows int, mode Mode, n int) bool {
	d := p.Spaces.ActDim
	eps := c.eps[:rows*n*d]
	if mode == Deterministic {
		clear(eps)
	} else {
		for i := range eps {
			eps[i] = float32(c.rng.NormFloat64())
		}
	}
	p.sample(c, c.cand, obs, n, c.eps, rows*n)
	if n > 1 {
		return p.bestOfN(c, obs, rows, n)
	}
	return true
}

// sample runs c's sampler on rows rows (obs one per repeat rows) with the
// Policy's grid, or, for NewLive, the grid of the moment.
func (p *Policy) sample(c *context, act, obs []float32, repeat int, eps []float32, rows int) {
	if p.grid != nil {
		c.sampler.SampleGrid(p.grid, act, nil, obs, repeat, eps, rows)
		return
	}
	c.sampler.Sample(act, nil, obs, repeat, eps, rows, p.Config.Steps)
}

// bestOfN scores the n candidates of each of rows observations in c.cand
// with min(Q_φ̄1, Q_φ̄2) and moves the best of each observation's to its
// row (the first on a tie): c.cand[s×d…] is the action of observation s.
// It is false, choosing nothing, when a value is not finite.
func (p *Policy) bestOfN(c *context, obs []float32, rows, n int) bool {
	d := p.Spaces.ActDim
	p.values(c, obs, n, rows*n)
	if nn.CheckFinite("value", c.q[:rows*n]) != nil {
		return false
	}
	for s := 0; s < rows; s++ {
		best := s * n
		for k := s*n + 1; k < (s+1)*n; k++ {
			if c.q[k] > c.q[best] {
				best = k
			}
		}
		copy(c.cand[s*d:(s+1)*d], c.cand[best*d:(best+1)*d]) // best ≥ s: rows before s are done
	}
	return true
}

// values writes min(Q_φ̄1, Q_φ̄2) of the candidates into c.q, with
// Q = Σ_j softmax(logits)_j·z_j (critic.SoftmaxMean): forward passes over
// blocks of BlockRows rows, the first layer's state term once per
// observation (§8).
func (p *Policy) values(c *context, obs []float32, repeat, rows int) {
	o, d, na := p.Spaces.ObsDim, p.Spaces.ActDim, p.Config.Atoms
	z := p.support.Z
	for c0 := 0; c0 < rows; c0 += BlockRows {
		m := min(BlockRows, rows-c0)
		st0 := c0 / repeat
		groups := (c0+m-1)/repeat - st0 + 1
		c.state[0], c.perRow[1] = obs[st0*o:(st0+groups)*o], c.cand[c0*d:(c0+m)*d]
		in := nn.Grouped[float32]{X: c.perRow[:], Repeat: repeat, Phase: c0 % repeat}
		for k, net := range p.Critics {
			net.SetGroups(c.ws[k], c.state[:], groups)
			net.ForwardGrouped(c.ws[k], c.logits[k][:m*na], in, m)
		}
		for i := 0; i < m; i++ {
			q0 := critic.SoftmaxMean(c.logits[0][i*na:(i+1)*na], z)
			q1 := critic.SoftmaxMean(c.logits[1][i*na:(i+1)*na], z)
			c.q[c0+i] = min(q0, q1)
		}
	}
}

// get takes a context from the free list, or makes one.
func (p *Policy) get() *context {
	p.mu.Lock()
	if k := len(p.free); k > 0 {
		c := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		p.mu.Unlock()
		return c
	}
	p.mu.Unlock()
	pcg := rand.NewPCG(0, 0)
	return &context{pcg: pcg, rng: rand.New(pcg)}
}

func (p *Policy) put(c *context) {
	p.mu.Lock()
	p.free = append(p.free, c)
	p.mu.Unlock()
}

// Contexts is the number of idle per-call contexts (a debugging aid).
func (p *Policy) Contexts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// ensure sizes c for rows candidate rows.
func (c *context) ensure(p *Policy, rows int) {
	if rows <= c.rows {
		return
	}
	d, na := p.Spaces.ActDim, p.Config.Atoms
	c.rows = rows
	c.sampler = flow.NewSampler[float32](p.Actor, nil, rows, nil)
	be := p.Actor.Be // the context's buffers are the networks' backend's
	c.eps, c.cand, c.q = be.Alloc(rows*d), be.Alloc(rows*d), be.Alloc(rows)
	if p.Config.EvalCandidates > 1 {
		chunk := min(rows, BlockRows)
		for k, net := range p.Critics {
			c.ws[k] = net.NewWorkspace(chunk, 0)
			c.logits[k] = net.Be.Alloc(chunk * na)
		}
	}
}
