package flow

import (
	"fmt"
	"math"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// Sampler runs the T-step sampler (§1) and, when asked, the log-likelihood
// of §2 along the same trajectory, for batches of up to MaxRows rows:
//
//	a ← ε;  ℓ ← −½‖ε‖² − (d/2)·log 2π
//	for i = T … 1, h = 1/T:  u = u_θ(s, a, i/T, h), δ = δ_ω(s, a, i/T, h)
//	                         a ← a − h·u,  ℓ ← ℓ + h·δ
//	return clip(a, −1, 1), ℓ
//
// Both networks are evaluated at the same pre-step point; the clip is not
// accounted for in ℓ. The networks' first layers are split (§8,
// nn.MLP.ForwardGrouped): the state's term is computed once per state for
// all steps and the time embeddings once per call at the grid's steps
// (Grid), for the whole batch; only the action's term is per row. Every step is an operation of
// the networks' backend on its buffers.
type Sampler[T nn.Float] struct {
	Policy, ADN    *nn.MLP[T] // ADN may be nil when no likelihood is asked for
	MaxRows        int
	obsDim, actDim int
	be             backend.Backend[T]

	grid   Grid[T]             // Sample's, computed per call
	gridWS [2]*nn.Workspace[T] // SetGrid's, policy and ADN, made on first use
	times  [2][]T              // (t, h) of a block of the grid's steps

	pool   *par.Pool
	shards []samplerShard[T]
	job    samplerJob[T]
	run    func(int)
}

type samplerShard[T nn.Float] struct {
	pws, dws *nn.Workspace[T]
	u        []T    // [rows×actDim] the policy's output
	delta    []T    // [rows] the ADN's
	perRow   [2][]T // (a, nil): the inputs given per row
	perGroup [2][]T // (nil, s): the states, one per repeat rows
}

type samplerJob[T nn.Float] struct {
	grid                *Grid[T]
	act, logp, obs, eps []T
	repeat, rows        int
}

// Grid is what the sampler's first layers take from the step alone
// (§8): for the k-th step taken, k = 0 … Steps−1, at (t, h) =
// ((Steps−k)/Steps, 1/Steps), the term b + cond(t, h)·W_c of the
// policy's first layer (row k of Policy, nn.MLP.FirstBias) and of the
// ADN's (row k of ADN). It depends only on the networks' parameters, so
// networks that do not change need it computed once.
type Grid[T nn.Float] struct {
	Steps       int
	Policy, ADN []T // [Steps×FirstWidth]; ADN nil for a sampler without one
}

// NewSampler returns a sampler for batches of up to maxRows rows, split
// across pool's shards (a nil pool is one shard). adn may be nil. Its
// buffers are the policy's backend's.
func NewSampler[T nn.Float](policy, adn *nn.MLP[T], maxRows int, pool *par.Pool) *Sampler[T] {
	if maxRows < 1 {
		panic(fmt.Sprintf("flow: NewSampler: maxRows = %d", maxRows))
	}
	obsDim, actDim := policy.Spec.Inputs[1], policy.Spec.Inputs[0]
	be := policy.Be
	s := &Sampler[T]{Policy: policy, ADN: adn, MaxRows: maxRows, obsDim: obsDim, actDim: actDim, be: be, pool: pool}
	n := shardCount(pool)
	per := (maxRows + n - 1) / n
	for range n {
		sh := samplerShard[T]{pws: policy.NewWorkspace(per, 0), u: be.Alloc(per * actDim)}
		if adn != nil {
			sh.dws = adn.NewWorkspace(per, 0)
			sh.delta = be.Alloc(per)
		}
		s.shards = append(s.shards, sh)
	}
	s.run = s.shard
	return s
}

// SetGrid computes g for steps steps of the sampler's networks: the time
// embeddings of up to 16 steps at once, in workspaces of its own made on
// first use, growing g's buffers (backend memory) when they are too
// short. Not safe concurrently with Sample or another SetGrid of the
// same sampler.
func (s *Sampler[T]) SetGrid(g *Grid[T], steps int) {
	if steps < 1 {
		panic(fmt.Sprintf("flow: Sampler.SetGrid: steps = %d", steps))
	}
	if block := min(steps, gridBlock); len(s.times[0]) < block {
		s.times = [2][]T{s.be.Alloc(block), s.be.Alloc(block)}
		s.gridWS[0] = s.Policy.NewWorkspace(block, 0)
		if s.ADN != nil {
			s.gridWS[1] = s.ADN.NewWorkspace(block, 0)
		}
	}
	g.Steps = steps
	g.Policy = s.gridOf(s.Policy, s.gridWS[0], g.Policy, steps)
	if s.ADN == nil {
		g.ADN = nil
		return
	}
	g.ADN = s.gridOf(s.ADN, s.gridWS[1], g.ADN, steps)
}

// gridBlock bounds the steps of one FirstBias call of SetGrid.
const gridBlock = 16

// gridOf computes m's grid in blocks of len(s.times[0]) steps.
func (s *Sampler[T]) gridOf(m *nn.MLP[T], ws *nn.Workspace[T], dst []T, steps int) []T {
	w := m.FirstWidth()
	if cap(dst) < steps*w {
		dst = s.be.Alloc(steps * w)
	}
	dst = dst[:steps*w]
	block := len(s.times[0])
	s.be.Fill(s.times[1], 1/T(steps))
	for k0 := 0; k0 < steps; k0 += block {
		n := min(block, steps-k0)
		for k := k0; k < k0+n; k++ {
			s.be.Fill(s.times[0][k-k0:k-k0+1], T(steps-k)/T(steps))
		}
		m.FirstBias(ws, dst[k0*w:(k0+n)*w], s.times[:], n)
	}
	return dst
}

// Sample draws actions for rows rows into act ([rows×d]) and, when logp
// is not nil, their log-likelihoods into logp ([rows]). obs holds one
// state per `repeat` consecutive rows ([rows/repeat × obsDim]); eps holds
// the initial noise a_1 ([rows×d]; zeros give the deterministic action).
// It computes the grid of steps steps, then runs SampleGrid.
func (s *Sampler[T]) Sample(act, logp, obs []T, repeat int, eps []T, rows, steps int) {
	if steps < 1 {
		panic(fmt.Sprintf("flow: Sampler.Sample: steps = %d", steps))
	}
	s.SetGrid(&s.grid, steps)
	s.SampleGrid(&s.grid, act, logp, obs, repeat, eps, rows)
}

// SampleGrid is Sample with g.Steps steps whose grid g (SetGrid of this
// sampler's networks, or of networks with the same parameters) is given.
func (s *Sampler[T]) SampleGrid(g *Grid[T], act, logp, obs []T, repeat int, eps []T, rows int) {
	if rows < 1 || rows > s.MaxRows || repeat < 1 || rows%repeat != 0 || g.Steps < 1 {
		panic(fmt.Sprintf("flow: Sampler.Sample: rows %d (max %d), repeat %d, steps %d", rows, s.MaxRows, repeat, g.Steps))
	}
	if len(act) < rows*s.actDim || len(eps) < rows*s.actDim || len(obs) < rows/repeat*s.obsDim || (logp != nil && len(logp) < rows) {
		panic(fmt.Sprintf("flow: Sampler.Sample: %d rows need act and eps of %d, obs of %d, logp of %d; have %d, %d, %d, %d",
			rows, rows*s.actDim, rows/repeat*s.obsDim, rows, len(act), len(eps), len(obs), len(logp)))
	}
	if logp != nil && (s.ADN == nil || len(g.ADN) < g.Steps*s.ADN.FirstWidth()) {
		panic("flow: Sampler.Sample: log-likelihoods asked of a sampler or grid without an ADN")
	}
	if len(g.Policy) < g.Steps*s.Policy.FirstWidth() {
		panic(fmt.Sprintf("flow: Sampler.Sample: a grid of %d policy elements for %d steps of width %d", len(g.Policy), g.Steps, s.Policy.FirstWidth()))
	}
	s.job = samplerJob[T]{grid: g, act: act, logp: logp, obs: obs, eps: eps, repeat: repeat, rows: rows}
	runShards(s.pool, s.run)
	s.job = samplerJob[T]{}
}

func (s *Sampler[T]) shard(k int) {
	j := &s.job
	lo, hi := par.Range(j.rows, len(s.shards), k)
	n := hi - lo
	if n == 0 {
		return
	}
	sh := &s.shards[k]
	be := s.be
	d, o := s.actDim, s.obsDim
	// Rows lo … hi−1 are states lo/repeat … (hi−1)/repeat, the first
	// lo mod repeat rows into its group.
	st0 := lo / j.repeat
	groups := (hi-1)/j.repeat - st0 + 1
	sh.perGroup[1] = j.obs[st0*o : (st0+groups)*o]
	a := j.act[lo*d : hi*d] // the trajectory runs in the output
	be.Copy(a, j.eps[lo*d:hi*d])
	sh.perRow[0] = a
	in := nn.Grouped[T]{X: sh.perRow[:], Repeat: j.repeat, Phase: lo % j.repeat}
	s.Policy.SetGroups(sh.pws, sh.perGroup[:], groups)
	var logp []T
	if j.logp != nil {
		logp = j.logp[lo:hi]
		be.RowSumSquares(logp, a, n, d, -0.5, T(-0.5*float64(d)*math.Log(2*math.Pi)))
		s.ADN.SetGroups(sh.dws, sh.perGroup[:], groups)
	}
	g := j.grid
	h := 1 / T(g.Steps)
	pw := s.Policy.FirstWidth()
	for k := 0; k < g.Steps; k++ {
		in.Bias = g.Policy[k*pw : (k+1)*pw]
		s.Policy.ForwardGrouped(sh.pws, sh.u, in, n)
		if logp != nil {
			dw := s.ADN.FirstWidth()
			in.Bias = g.ADN[k*dw : (k+1)*dw]
			s.ADN.ForwardGrouped(sh.dws, sh.delta, in, n)
			be.Axpy(logp, h, sh.delta[:n])
		}
		be.Axpy(a, -h, sh.u[:n*d])
	}
	be.Clamp(a, -1, 1)
}

func shardCount(pool *par.Pool) int {
	if pool == nil {
		return 1
	}
	return pool.Shards()
}

func runShards(pool *par.Pool, f func(int)) {
	if pool == nil {
		f(0)
		return
	}
	pool.Run(f)
}
