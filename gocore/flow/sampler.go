package flow

import (
	"fmt"
	"math"

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
// accounted for in ℓ.
type Sampler[T nn.Float] struct {
	Policy, ADN    *nn.MLP[T] // ADN may be nil when no likelihood is asked for
	MaxRows        int
	obsDim, actDim int

	pool   *par.Pool
	shards []samplerShard[T]
	job    samplerJob[T]
	run    func(int)
}

type samplerShard[T nn.Float] struct {
	pws, dws *nn.Workspace[T]
	obs      []T // [rows×obsDim], the states repeated
	a, u     []T // [rows×actDim]
	delta    []T // [rows]
	t, h     []T // [rows], constant within a step
	in       nn.Vars[T]
}

type samplerJob[T nn.Float] struct {
	act, logp, obs, eps []T
	repeat, rows, steps int
}

// NewSampler returns a sampler for batches of up to maxRows rows, split
// across pool's shards (a nil pool is one shard). adn may be nil.
func NewSampler[T nn.Float](policy, adn *nn.MLP[T], maxRows int, pool *par.Pool) *Sampler[T] {
	if maxRows < 1 {
		panic(fmt.Sprintf("flow: NewSampler: maxRows = %d", maxRows))
	}
	obsDim, actDim := policy.Spec.Inputs[1], policy.Spec.Inputs[0]
	s := &Sampler[T]{Policy: policy, ADN: adn, MaxRows: maxRows, obsDim: obsDim, actDim: actDim, pool: pool}
	n := shardCount(pool)
	per := (maxRows + n - 1) / n
	for range n {
		sh := samplerShard[T]{
			pws: policy.NewWorkspace(per, 0),
			obs: make([]T, per*obsDim), a: make([]T, per*actDim), u: make([]T, per*actDim),
			delta: make([]T, per), t: make([]T, per), h: make([]T, per),
		}
		if adn != nil {
			sh.dws = adn.NewWorkspace(per, 0)
		}
		sh.in = nn.Vars[T]{X: [][]T{sh.a, sh.obs}, Time: [][]T{sh.t, sh.h}}
		s.shards = append(s.shards, sh)
	}
	s.run = s.shard
	return s
}

// Sample draws actions for rows rows into act ([rows×d]) and, when logp
// is not nil, their log-likelihoods into logp ([rows]). obs holds one
// state per `repeat` consecutive rows ([rows/repeat × obsDim]); eps holds
// the initial noise a_1 ([rows×d]; zeros give the deterministic action).
func (s *Sampler[T]) Sample(act, logp, obs []T, repeat int, eps []T, rows, steps int) {
	if rows < 1 || rows > s.MaxRows || repeat < 1 || rows%repeat != 0 || steps < 1 {
		panic(fmt.Sprintf("flow: Sampler.Sample: rows %d (max %d), repeat %d, steps %d", rows, s.MaxRows, repeat, steps))
	}
	if len(act) < rows*s.actDim || len(eps) < rows*s.actDim || len(obs) < rows/repeat*s.obsDim || (logp != nil && len(logp) < rows) {
		panic(fmt.Sprintf("flow: Sampler.Sample: %d rows need act and eps of %d, obs of %d, logp of %d; have %d, %d, %d, %d",
			rows, rows*s.actDim, rows/repeat*s.obsDim, rows, len(act), len(eps), len(obs), len(logp)))
	}
	if logp != nil && s.ADN == nil {
		panic("flow: Sampler.Sample: log-likelihoods asked of a sampler without an ADN")
	}
	s.job = samplerJob[T]{act: act, logp: logp, obs: obs, eps: eps, repeat: repeat, rows: rows, steps: steps}
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
	d, o := s.actDim, s.obsDim
	for i := lo; i < hi; i++ {
		st := i / j.repeat
		copy(sh.obs[(i-lo)*o:(i-lo+1)*o], j.obs[st*o:(st+1)*o])
	}
	a := sh.a[:n*d]
	copy(a, j.eps[lo*d:hi*d])
	if j.logp != nil {
		c := -0.5 * float64(d) * math.Log(2*math.Pi)
		for i := 0; i < n; i++ {
			var sq T
			for _, e := range a[i*d : (i+1)*d] {
				sq += e * e
			}
			j.logp[lo+i] = T(c) - 0.5*sq
		}
	}
	h := 1 / T(j.steps)
	for step := j.steps; step >= 1; step-- {
		t := T(step) / T(j.steps)
		for i := 0; i < n; i++ {
			sh.t[i], sh.h[i] = t, h
		}
		s.Policy.Forward(sh.pws, sh.u, sh.in, n)
		if j.logp != nil {
			s.ADN.Forward(sh.dws, sh.delta, sh.in, n)
			for i := 0; i < n; i++ {
				j.logp[lo+i] += h * sh.delta[i]
			}
		}
		for i, u := range sh.u[:n*d] {
			a[i] -= h * u
		}
	}
	out := j.act[lo*d : hi*d]
	for i, v := range a {
		out[i] = min(max(v, -1), 1)
	}
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
