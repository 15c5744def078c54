package flow

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// Trainer computes the two MeanFlow losses of MFPO and their parameter
// gradients, sharded over a pool:
//
//   - MeanFlowLoss (the actor loss of §4): at (s, a_t, t, h), with a target
//     velocity v per row, (u, du/dt) = JVP of u_θ with tangent (v, 1, 1)
//     on (a, t, h); L(θ) = mean over rows and action dims of
//     (u − sg(v − clip(h, 0, 1)·du/dt))².
//   - DivergenceLoss (the ADN loss of §2): v = u_θ(s, a_t, t, 0), the
//     divergence ∇_a·v by Hutchinson (probes) or exactly;
//     (δ, dδ/dt) = JVP of δ_ω with tangent (v, 1, 1);
//     L(ω) = mean over rows of (δ − sg(div − clip(h, 0, 1)·dδ/dt))².
//
// The targets are constants: gradients flow only through the primal
// output, so no second-order derivative is ever taken.
type Trainer[T nn.Float] struct {
	Policy, ADN *nn.MLP[T]
	MaxRows     int
	Probes      int  // Hutchinson probes N per row (§2: 2)
	ExactTrace  bool // d JVPs per row instead of N probes

	obsDim, actDim int
	pool           *par.Pool
	shards         []trainerShard[T]
	job            trainerJob[T]
	runMeanFlow    func(int)
	runDivergence  func(int)
}

type trainerShard[T nn.Float] struct {
	pws, dws           *nn.Workspace[T]
	u, du, dout        []T // [rows×d]
	jv                 []T // [rows×P×d]
	v                  []T // [rows×d]
	delta, ddelta, dd1 []T // [rows]
	zeros, ones        []T // [rows]
	basis              []T // [rows×d×d] unit tangents, for the exact trace
	policyGrad         []T
	adnGrad            []T
	loss               float64
	in, tan, noGrad    nn.Vars[T]
}

type trainerJob[T nn.Float] struct {
	obs, at, t, h, target, probes []T
	rows                          int
}

// NewTrainer returns a trainer for batches of up to maxRows rows.
func NewTrainer[T nn.Float](policy, adn *nn.MLP[T], maxRows, probes int, exactTrace bool, pool *par.Pool) *Trainer[T] {
	if maxRows < 1 || (!exactTrace && probes < 1) {
		panic(fmt.Sprintf("flow: NewTrainer: maxRows %d, probes %d", maxRows, probes))
	}
	obsDim, actDim := policy.Spec.Inputs[1], policy.Spec.Inputs[0]
	tr := &Trainer[T]{Policy: policy, ADN: adn, MaxRows: maxRows, Probes: probes, ExactTrace: exactTrace,
		obsDim: obsDim, actDim: actDim, pool: pool}
	p := tr.tangentsPerRow()
	n := shardCount(pool)
	per := (maxRows + n - 1) / n
	d := actDim
	for range n {
		sh := trainerShard[T]{
			pws: policy.NewWorkspace(per, max(p, 1)), dws: adn.NewWorkspace(per, 1),
			u: make([]T, per*d), du: make([]T, per*d), dout: make([]T, per*d),
			jv: make([]T, per*p*d), v: make([]T, per*d),
			delta: make([]T, per), ddelta: make([]T, per), dd1: make([]T, per),
			zeros: make([]T, per), ones: make([]T, per),
			policyGrad: make([]T, policy.NumParams()), adnGrad: make([]T, adn.NumParams()),
		}
		for i := range sh.ones {
			sh.ones[i] = 1
		}
		if exactTrace {
			sh.basis = make([]T, per*d*d)
			for i := 0; i < per; i++ {
				for k := 0; k < d; k++ {
					sh.basis[(i*d+k)*d+k] = 1
				}
			}
		}
		sh.in = nn.Vars[T]{X: make([][]T, 2), Time: make([][]T, 2)}
		sh.tan = nn.Vars[T]{X: make([][]T, 2), Time: make([][]T, 2)}
		sh.noGrad = nn.Vars[T]{X: make([][]T, 2), Time: make([][]T, 2)}
		tr.shards = append(tr.shards, sh)
	}
	tr.runMeanFlow = tr.meanFlowShard
	tr.runDivergence = tr.divergenceShard
	return tr
}

func (tr *Trainer[T]) tangentsPerRow() int {
	if tr.ExactTrace {
		return tr.actDim
	}
	return tr.Probes
}

func (tr *Trainer[T]) check(op string, obs, at, t, h, target []T, tw, rows int) {
	d, o := tr.actDim, tr.obsDim
	if rows < 1 || rows > tr.MaxRows || len(obs) < rows*o || len(at) < rows*d || len(t) < rows || len(h) < rows || len(target) < rows*tw {
		panic(fmt.Sprintf("flow: Trainer.%s: %d rows (max %d); obs %d, a_t %d, t %d, h %d, target %d elements",
			op, rows, tr.MaxRows, len(obs), len(at), len(t), len(h), len(target)))
	}
}

// MeanFlowLoss returns the actor loss for target velocities v ([rows×d])
// at (obs, at, t, h) and the gradient ∂L/∂θ (a buffer the trainer owns,
// valid until the next call).
func (tr *Trainer[T]) MeanFlowLoss(obs, at, t, h, v []T, rows int) (T, []T) {
	tr.check("MeanFlowLoss", obs, at, t, h, v, tr.actDim, rows)
	tr.job = trainerJob[T]{obs: obs, at: at, t: t, h: h, target: v, rows: rows}
	runShards(tr.pool, tr.runMeanFlow)
	tr.job = trainerJob[T]{}
	return tr.reduce(func(sh *trainerShard[T]) []T { return sh.policyGrad })
}

// DivergenceLoss returns the ADN loss at (obs, at, t, h) and ∂L/∂ω (a
// buffer the trainer owns). probes ([rows×N×d], Gaussian, drawn
// independently of a_t's noise) are ignored with ExactTrace.
func (tr *Trainer[T]) DivergenceLoss(obs, at, t, h, probes []T, rows int) (T, []T) {
	tr.check("DivergenceLoss", obs, at, t, h, at, tr.actDim, rows)
	if !tr.ExactTrace && len(probes) < rows*tr.Probes*tr.actDim {
		panic(fmt.Sprintf("flow: Trainer.DivergenceLoss: probes has %d elements, want %d×%d×%d", len(probes), rows, tr.Probes, tr.actDim))
	}
	tr.job = trainerJob[T]{obs: obs, at: at, t: t, h: h, probes: probes, rows: rows}
	runShards(tr.pool, tr.runDivergence)
	tr.job = trainerJob[T]{}
	return tr.reduce(func(sh *trainerShard[T]) []T { return sh.adnGrad })
}

// reduce sums the shards' losses and gradients into shard 0's, in shard
// order.
func (tr *Trainer[T]) reduce(grad func(*trainerShard[T]) []T) (T, []T) {
	g0 := grad(&tr.shards[0])
	loss := tr.shards[0].loss
	for k := 1; k < len(tr.shards); k++ {
		loss += tr.shards[k].loss
		for i, v := range grad(&tr.shards[k]) {
			g0[i] += v
		}
	}
	return T(loss), g0
}

// clip01 is clip(h, 0, 1), the weight of the total derivative in a MeanFlow target.
func clip01[T nn.Float](h T) T { return min(max(h, 0), 1) }

// begin resets shard k's loss and gradient, points its inputs at its rows
// of (a_t, s, t, h) and returns them as [lo, hi).
func (tr *Trainer[T]) begin(k int, grad []T) (sh *trainerShard[T], lo, hi int) {
	j := &tr.job
	sh = &tr.shards[k]
	clear(grad)
	sh.loss = 0
	lo, hi = par.Range(j.rows, len(tr.shards), k)
	d, o := tr.actDim, tr.obsDim
	sh.in.X[0], sh.in.X[1] = j.at[lo*d:hi*d], j.obs[lo*o:hi*o]
	sh.in.Time[0], sh.in.Time[1] = j.t[lo:hi], j.h[lo:hi]
	return sh, lo, hi
}

func (tr *Trainer[T]) meanFlowShard(k int) {
	j := &tr.job
	sh, lo, hi := tr.begin(k, tr.shards[k].policyGrad)
	n := hi - lo
	if n == 0 {
		return
	}
	d := tr.actDim
	tr.Policy.Forward(sh.pws, sh.u, sh.in, n)
	v := j.target[lo*d : hi*d]
	sh.tan.X[0], sh.tan.X[1] = v, nil
	sh.tan.Time[0], sh.tan.Time[1] = sh.ones[:n], sh.ones[:n]
	tr.Policy.JVP(sh.pws, sh.du, sh.tan, 1)
	scale := 2 / T(j.rows*d)
	var loss float64
	for i := 0; i < n; i++ {
		w := clip01(j.h[lo+i])
		for c := i * d; c < (i+1)*d; c++ {
			diff := sh.u[c] - (v[c] - w*sh.du[c])
			loss += float64(diff * diff)
			sh.dout[c] = scale * diff
		}
	}
	sh.loss = loss / float64(j.rows*d)
	tr.Policy.Backward(sh.pws, sh.dout, sh.policyGrad, sh.noGrad)
}

func (tr *Trainer[T]) divergenceShard(k int) {
	j := &tr.job
	sh, lo, hi := tr.begin(k, tr.shards[k].adnGrad)
	n := hi - lo
	if n == 0 {
		return
	}
	d := tr.actDim
	// v = u_θ(s, a_t, t, 0) and its a-Jacobian applied to P tangents.
	sh.in.Time[1] = sh.zeros[:n]
	tr.Policy.Forward(sh.pws, sh.v, sh.in, n)
	p := tr.tangentsPerRow()
	probes := sh.basis
	if !tr.ExactTrace {
		probes = j.probes[lo*p*d : hi*p*d]
	}
	sh.tan.X[0], sh.tan.X[1] = probes, nil
	sh.tan.Time[0], sh.tan.Time[1] = nil, nil
	tr.Policy.JVP(sh.pws, sh.jv, sh.tan, p)
	// div_i = (1/P) Σ_n ⟨ε_n, J ε_n⟩ (Hutchinson) or Σ_k (J e_k)_k (exact);
	// both are mean-of-P of ⟨tangent, J·tangent⟩ times (1 or d).
	norm := 1 / T(p)
	if tr.ExactTrace {
		norm = 1
	}
	for i := 0; i < n; i++ {
		var s T
		for c := i * p * d; c < (i+1)*p*d; c++ {
			s += probes[c] * sh.jv[c]
		}
		sh.dd1[i] = s * norm // the instantaneous divergence
	}
	// (δ, dδ/dt) at (s, a_t, t, h) with tangent (v, 1, 1).
	sh.in.Time[1] = j.h[lo:hi]
	tr.ADN.Forward(sh.dws, sh.delta, sh.in, n)
	sh.tan.X[0] = sh.v[:n*d]
	sh.tan.Time[0], sh.tan.Time[1] = sh.ones[:n], sh.ones[:n]
	tr.ADN.JVP(sh.dws, sh.ddelta, sh.tan, 1)
	scale := 2 / T(j.rows)
	var loss float64
	for i := 0; i < n; i++ {
		diff := sh.delta[i] - (sh.dd1[i] - clip01(j.h[lo+i])*sh.ddelta[i])
		loss += float64(diff * diff)
		sh.dd1[i] = scale * diff // reuse: the loss gradient w.r.t. δ
	}
	sh.loss = loss / float64(j.rows)
	tr.ADN.Backward(sh.dws, sh.dd1[:n], sh.adnGrad, sh.noGrad)
}
