package policy

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/mfpo/mfpo/gocore/critic"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
)

// NoiseStream is the PCG stream of the noise of an Act call: its draws
// come from rand.New(rand.NewPCG(seed, NoiseStream)).
const NoiseStream = 0x6d66706f // "mfpo"

// chunkRows is the block height of the critics' forward passes in
// best-of-N: mfpo.Agent's critics score in blocks of 256 rows too, so the
// two choose the same candidate.
const chunkRows = 256

// Policy acts with a trained MeanFlow policy; see the package
// documentation. Its exported fields must not be changed after New.
type Policy struct {
	Config  mfpo.Config         // Steps, EvalCandidates, Atoms, VMin and VMax are used
	Spaces  Spaces              // the observation width and action box
	Actor   *nn.MLP[float32]    // u_θ
	Critics [2]*nn.MLP[float32] // the target critics φ̄1, φ̄2
	support critic.Support

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
	logits  [2][]float32 // [chunk×Atoms]
	obs     []float32    // [chunk×ObsDim] observations repeated
	in      [2][]float32
	pcg     *rand.PCG
	rng     *rand.Rand
}

// New returns a Policy acting with actor (u_θ, nn.PolicySpec's shape) and
// the target critics (nn.CriticSpec's shape with cfg.Atoms outputs) for
// the given spaces. It does not copy the networks. It returns an error
// when cfg or sp is invalid (a *mfpo.ConfigError or *SpacesError) or a
// network's shape does not match them.
func New(cfg mfpo.Config, sp Spaces, actor *nn.MLP[float32], targets [2]*nn.MLP[float32]) (*Policy, error) {
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
	cfg.Hidden = slices.Clone(cfg.Hidden)
	sp.Low, sp.High = slices.Clone(sp.Low), slices.Clone(sp.High)
	return &Policy{Config: cfg, Spaces: sp, Actor: actor, Critics: targets, support: sup}, nil
}

// View returns a Policy that shares a's policy network and target
// critics: it acts with a's current parameters, and must not be used
// while a updates.
func View(a *mfpo.Agent, sp Spaces) (*Policy, error) {
	if sp.ObsDim != a.ObsDim || sp.ActDim != a.ActDim {
		return nil, &SpacesError{"obs_dim/act_dim", fmt.Sprintf("%d and %d, the agent has %d and %d", sp.ObsDim, sp.ActDim, a.ObsDim, a.ActDim)}
	}
	return New(a.Config, sp, a.Policy, a.Critics.Target)
}

// FromAgent returns a Policy with private copies of a's policy network
// and target critics: a may go on training.
func FromAgent(a *mfpo.Agent, sp Spaces) (*Policy, error) {
	if sp.ObsDim != a.ObsDim || sp.ActDim != a.ActDim {
		return nil, &SpacesError{"obs_dim/act_dim", fmt.Sprintf("%d and %d, the agent has %d and %d", sp.ObsDim, sp.ActDim, a.ObsDim, a.ActDim)}
	}
	actor, err := Clone(a.Policy)
	if err != nil {
		return nil, err
	}
	var targets [2]*nn.MLP[float32]
	for k, m := range a.Critics.Target {
		if targets[k], err = Clone(m); err != nil {
			return nil, err
		}
	}
	return New(a.Config, sp, actor, targets)
}

// Clone returns a network of m's shape with a copy of its parameters.
func Clone(m *nn.MLP[float32]) (*nn.MLP[float32], error) {
	c, err := nn.New[float32](m.Spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, err
	}
	copy(c.Params, m.Params)
	return c, nil
}

// Candidates is the number of samples per observation that mode draws.
func (p *Policy) Candidates(mode mfpo.Mode) int {
	if mode == mfpo.BestOfN {
		return p.Config.EvalCandidates
	}
	return 1
}

// Act writes actions in the environment's units for rows observations
// (obs [rows×ObsDim]) into dst ([rows×ActDim]), drawing the noise from
// seed (see the package documentation; Deterministic ignores it). A NaN
// or an infinity in obs is a *nn.NonFiniteError and dst is unchanged;
// dst is written only when Act succeeds. Wrong lengths, rows < 1 and a
// mode other than Sample, BestOfN and Deterministic panic. Safe for
// concurrent use.
func (p *Policy) Act(dst, obs []float32, rows int, mode mfpo.Mode, seed uint64) error {
	o, d := p.Spaces.ObsDim, p.Spaces.ActDim
	if rows < 1 || len(obs) < rows*o || len(dst) < rows*d {
		panic(fmt.Sprintf("policy: Policy.Act: %d rows need obs of %d and dst of %d elements, have %d and %d",
			rows, rows*o, rows*d, len(obs), len(dst)))
	}
	if mode != mfpo.Sample && mode != mfpo.BestOfN && mode != mfpo.Deterministic {
		panic(fmt.Sprintf("policy: Policy.Act: mode %v, want Sample, BestOfN or Deterministic", mode))
	}
	obs = obs[:rows*o]
	if err := nn.CheckFinite("observation", obs); err != nil {
		return err
	}
	c := p.get()
	defer p.put(c)
	n := p.Candidates(mode)
	c.ensure(p, rows*n)
	eps := c.eps[:rows*n*d]
	if mode == mfpo.Deterministic {
		clear(eps)
	} else {
		c.pcg.Seed(seed, NoiseStream)
		for i := range eps {
			eps[i] = float32(c.rng.NormFloat64())
		}
	}
	p.act(c, obs, rows, n)
	p.Spaces.ToEnv(dst[:rows*d], c.cand[:rows*d])
	return nil
}

// act leaves in c.cand[:rows×d] the actions in [−1, 1] for the noise in
// c.eps: one sample per observation (n = 1), or the best of n by the
// target critics.
func (p *Policy) act(c *context, obs []float32, rows, n int) {
	d, T := p.Spaces.ActDim, p.Config.Steps
	c.sampler.Sample(c.cand, nil, obs, n, c.eps, rows*n, T)
	if n == 1 {
		return
	}
	p.values(c, obs, n, rows*n)
	for s := 0; s < rows; s++ {
		best := s * n
		for k := s*n + 1; k < (s+1)*n; k++ {
			if c.q[k] > c.q[best] {
				best = k
			}
		}
		copy(c.cand[s*d:(s+1)*d], c.cand[best*d:(best+1)*d]) // best ≥ s: rows before s are done
	}
}

// values writes min(Q_φ̄1, Q_φ̄2) of the candidates into c.q, as
// critic.Twin.Values with critic.TargetMin does: forward passes over
// blocks of chunkRows rows, critic.SoftmaxMean of each row of logits.
func (p *Policy) values(c *context, obs []float32, repeat, rows int) {
	o, d, na := p.Spaces.ObsDim, p.Spaces.ActDim, p.Config.Atoms
	z := p.support.Z
	for c0 := 0; c0 < rows; c0 += chunkRows {
		m := min(chunkRows, rows-c0)
		for i := 0; i < m; i++ {
			st := (c0 + i) / repeat
			copy(c.obs[i*o:(i+1)*o], obs[st*o:(st+1)*o])
		}
		c.in[0], c.in[1] = c.obs[:m*o], c.cand[c0*d:(c0+m)*d]
		for k, net := range p.Critics {
			net.Forward(c.ws[k], c.logits[k][:m*na], nn.Vars[float32]{X: c.in[:]}, m)
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
	d, o, na := p.Spaces.ActDim, p.Spaces.ObsDim, p.Config.Atoms
	c.rows = rows
	c.sampler = flow.NewSampler[float32](p.Actor, nil, rows, nil)
	c.eps, c.cand, c.q = make([]float32, rows*d), make([]float32, rows*d), make([]float32, rows)
	if p.Config.EvalCandidates > 1 {
		chunk := min(rows, chunkRows)
		for k, net := range p.Critics {
			c.ws[k] = net.NewWorkspace(chunk, 0)
			c.logits[k] = make([]float32, chunk*na)
		}
		c.obs = make([]float32, chunk*o)
	}
}
