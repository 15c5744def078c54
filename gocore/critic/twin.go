package critic

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// ConfigError reports an impossible Config field.
type ConfigError struct {
	Field  string // the Config field, e.g. "Atoms"
	Reason string // the value that came and what was expected
}

func (e *ConfigError) Error() string { return "critic: Config." + e.Field + " = " + e.Reason }

// Config sizes and tunes the twin critics. Every default is the paper's
// (docs/algorithm.md §3, §7); DefaultConfig fills them in.
type Config struct {
	ObsDim, ActDim int     // observation and action widths (no default)
	Atoms          int     // support size; default 101
	VMin, VMax     float64 // support bounds; default −1600, 1600
	Hidden         []int   // hidden widths; default nn.DefaultHidden (3×256)
	Gamma          float64 // discount γ ∈ [0, 1]; default 0.99
	Tau            float64 // soft target rate τ ∈ [0, 1]; default 0.005
	LR             float64 // Adam learning rate; default 3e-4
	// ClippedDoubleQ picks, per row, the target distribution of lower
	// expected value and scores actions for the actor with the min of the
	// two online critics; off, both use the mean of the two. Default true
	// (the authors turn it off for HalfCheetah only).
	ClippedDoubleQ bool
	// BatchRows is the most rows TargetDistribution and Step take; the
	// buffers are sized for it. Default 256.
	BatchRows int
	// ChunkRows is the rows per forward-only pass in Values (the shards
	// take whole chunks); Values takes any number of rows. Default 256.
	ChunkRows int
}

// DefaultConfig returns the paper's configuration for the given widths.
func DefaultConfig(obsDim, actDim int) Config {
	return Config{
		ObsDim: obsDim, ActDim: actDim,
		Atoms: 101, VMin: -1600, VMax: 1600,
		Hidden: append([]int(nil), nn.DefaultHidden...),
		Gamma:  0.99, Tau: 0.005, LR: 3e-4,
		ClippedDoubleQ: true,
		BatchRows:      256, ChunkRows: 256,
	}
}

// Validate reports the first impossible field as a *ConfigError.
func (c Config) Validate() error {
	bad := func(field string, v any, want string) error {
		return &ConfigError{Field: field, Reason: fmt.Sprintf("%v, want %s", v, want)}
	}
	switch {
	case c.ObsDim < 1:
		return bad("ObsDim", c.ObsDim, "≥ 1")
	case c.ActDim < 1:
		return bad("ActDim", c.ActDim, "≥ 1")
	}
	if _, err := NewSupport(c.Atoms, c.VMin, c.VMax); err != nil {
		return err
	}
	for i, w := range c.Hidden {
		if w < 1 {
			return bad(fmt.Sprintf("Hidden[%d]", i), w, "≥ 1")
		}
	}
	switch {
	case !(c.Gamma >= 0 && c.Gamma <= 1):
		return bad("Gamma", c.Gamma, "in [0, 1]")
	case !(c.Tau >= 0 && c.Tau <= 1):
		return bad("Tau", c.Tau, "in [0, 1]")
	case !(c.LR > 0) || math.IsInf(c.LR, 0):
		return bad("LR", c.LR, "finite and > 0")
	case c.BatchRows < 1:
		return bad("BatchRows", c.BatchRows, "≥ 1")
	case c.ChunkRows < 1:
		return bad("ChunkRows", c.ChunkRows, "≥ 1")
	}
	return nil
}

// Twin is MFPO's pair of C51 critics with their target copies and Adam
// optimisers (docs/algorithm.md §3). Its methods are not safe for concurrent
// use; each runs its rows in parallel on the pool's shards.
//
// Config is fixed at New: Gamma, Tau and ClippedDoubleQ may be changed
// between calls, the sizes may not (the buffers are sized from them), and
// the learning rate lives in Opt[k].LR.
//
// A checkpoint needs Online[k].Params, Target[k].Params and Opt[k]'s M, V
// and Steps (k = 0, 1); Config and Support rebuild the rest. Step binds
// new buffers to the networks and the moments (Revert), so read those
// slices afresh after a Step.
type Twin struct {
	Config  Config
	Support Support
	Online  [2]*nn.MLP[float32] // φ1, φ2
	Target  [2]*nn.MLP[float32] // φ̄1, φ̄2
	Opt     [2]*nn.Adam[float32]

	be     backend.Backend[float32]
	sup    backend.Support[float32] // Support with its atoms in be's memory
	pool   *par.Pool
	shards []shard

	// Undoing the last Step: the online networks' steps, and the targets'
	// buffers before their soft update.
	online      [2]*nn.Undoable[float32]
	spareTarget [2][]float32
	undoTarget  bool

	// Arguments of the call in progress, read by the shard functions.
	args callArgs
	// The shard functions, made once so that pool.Run allocates nothing.
	targetFn, stepFn, reduceFn, updateFn, valuesFn func(int)
	gradErr                                        [2]error
}

type callArgs struct {
	obs, act, rho     []float32
	logp, rew, notEnd []float32
	dst               []float32
	alpha, scale      float32
	rows, repeat      int
}

// shard is what one shard owns; the buffers are the backend's.
type shard struct {
	ws     [2][2]*nn.Workspace[float32] // [online, target][critic]
	logits [2][]float32                 // [capRows×Atoms] per critic
	grad   [2][]float32                 // gradient per critic
	loss   [2]float64                   // Σ over the shard's rows of the loss per critic
	in     [2][]float32                 // Forward's inputs (s, a)
	state  [2][]float32                 // Values' split first layer: (s per state, nil) …
	perRow [2][]float32                 // … and (nil, a)
	nilX   [2][]float32                 // Backward's input gradients: none
}

// New builds the twin critics: both online networks from rng (φ1 first),
// the targets as exact copies, and an Adam per critic. pool may be nil
// (one shard). The shard count is part of the computation: results are
// bit-identical for a given shard count.
func New(be backend.Backend[float32], cfg Config, rng *rand.Rand, pool *par.Pool) (*Twin, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if rng == nil {
		panic("critic: New: nil rng")
	}
	cfg.Hidden = append([]int(nil), cfg.Hidden...)
	sup, _ := NewSupport(cfg.Atoms, cfg.VMin, cfg.VMax)
	c := &Twin{Config: cfg, Support: sup, be: be, pool: pool}
	c.sup = backend.Support[float32]{Z: be.Alloc(sup.Atoms), Min: sup.Min, Max: sup.Max, Delta: sup.Delta}
	copy(c.sup.Z, sup.Z)
	spec := nn.CriticSpec(cfg.ObsDim, cfg.ActDim, cfg.Atoms, cfg.Hidden)
	for k := range c.Online {
		m, err := nn.New(be, spec, rng)
		if err != nil {
			return nil, err
		}
		c.Online[k] = m
	}
	spare := rand.New(rand.NewPCG(0, 0)) // the targets' own init is overwritten
	for k := range c.Target {
		m, err := nn.New(be, spec, spare)
		if err != nil {
			return nil, err
		}
		copy(m.Params, c.Online[k].Params)
		c.Target[k] = m
		c.Opt[k] = nn.NewAdam(be, m.NumParams(), cfg.LR)
		c.online[k] = nn.NewUndoable(c.Online[k], c.Opt[k])
		c.spareTarget[k] = be.Alloc(m.NumParams())
	}

	n := 1
	if pool != nil {
		n = pool.Shards()
	}
	capRows := max((cfg.BatchRows+n-1)/n, cfg.ChunkRows)
	c.shards = make([]shard, n)
	for s := range c.shards {
		sh := &c.shards[s]
		for k := 0; k < 2; k++ {
			sh.ws[0][k] = c.Online[k].NewWorkspace(capRows, 0)
			sh.ws[1][k] = c.Target[k].NewWorkspace(capRows, 0)
			sh.logits[k] = be.Alloc(capRows * cfg.Atoms)
			sh.grad[k] = be.Alloc(c.Online[k].NumParams())
		}
	}
	c.targetFn = c.targetShard
	c.stepFn = c.stepShard
	c.reduceFn = c.reduceShard
	c.updateFn = c.updateShard
	c.valuesFn = c.valuesShard
	return c, nil
}

// Shards is the number of shards the rows are split into.
func (c *Twin) Shards() int { return len(c.shards) }

func (c *Twin) run(f func(int)) {
	if c.pool == nil {
		f(0)
		return
	}
	c.pool.Run(f)
}

// need panics unless x holds rows×cols elements; the message is formatted
// only on failure.
func need(op, operand string, x []float32, rows, cols int) {
	if len(x) < rows*cols {
		panic(fmt.Sprintf("critic: Twin.%s: %s has %d elements, want %d×%d = %d", op, operand, len(x), rows, cols, rows*cols))
	}
}

func (c *Twin) checkBatch(op string, rows int) {
	if rows < 1 || rows > c.Config.BatchRows {
		panic(fmt.Sprintf("critic: Twin.%s: rows = %d, want 1…%d (Config.BatchRows)", op, rows, c.Config.BatchRows))
	}
}

// TargetDistribution writes the target distributions ρ ([rows×Atoms]) of
// docs/algorithm.md §3 for a batch of transitions with next observations
// nextObs [rows×ObsDim], next actions a′ ~ π(·|s′) nextAct
// [rows×ActDim], their log-likelihoods nextLogp [rows], rewards reward
// [rows] and notDone [rows] (m: 0 for a true termination, else 1). For
// each target critic k:
//
//	p_k  = softmax(logits_φ̄k(s′, a′))
//	Tz_j = clip(r + γ·m·(z_j − α·log π(a′|s′)), VMin, VMax)
//	ρ_k  = Support.Project(p_k at Tz)
//
// and ρ is the ρ_k with the lower expected value Σ_j ρ_kj·z_j (critic 0
// on a tie, and whichever is NaN if one is), or (ρ_0 + ρ_1)/2 when
// ClippedDoubleQ is off. Non-finite inputs propagate into ρ (Step then
// refuses it). rows ≤ Config.BatchRows.
func (c *Twin) TargetDistribution(rho, nextObs, nextAct, nextLogp, reward, notDone []float32, alpha float32, rows int) {
	const op = "TargetDistribution"
	c.checkBatch(op, rows)
	cfg := c.Config
	need(op, "rho", rho, rows, cfg.Atoms)
	need(op, "nextObs", nextObs, rows, cfg.ObsDim)
	need(op, "nextAct", nextAct, rows, cfg.ActDim)
	need(op, "nextLogp", nextLogp, rows, 1)
	need(op, "reward", reward, rows, 1)
	need(op, "notDone", notDone, rows, 1)
	c.args = callArgs{rho: rho, obs: nextObs, act: nextAct, logp: nextLogp, rew: reward, notEnd: notDone, alpha: alpha, rows: rows}
	c.run(c.targetFn)
	c.args = callArgs{}
}

func (c *Twin) targetShard(s int) {
	a := &c.args
	lo, hi := par.Range(a.rows, len(c.shards), s)
	n := hi - lo
	if n == 0 {
		return
	}
	sh := &c.shards[s]
	od, ad, na := c.Config.ObsDim, c.Config.ActDim, c.Config.Atoms
	sh.in[0], sh.in[1] = a.obs[lo*od:hi*od], a.act[lo*ad:hi*ad]
	for k, m := range c.Target {
		m.Forward(sh.ws[1][k], sh.logits[k][:n*na], nn.Vars[float32]{X: sh.in[:]}, n)
	}
	c.be.C51Target(a.rho[lo*na:hi*na], sh.logits[0][:n*na], sh.logits[1][:n*na], c.sup,
		a.rew[lo:hi], a.notEnd[lo:hi], a.logp[lo:hi], float32(c.Config.Gamma), a.alpha, c.Config.ClippedDoubleQ, n)
}

// Step takes one gradient step on both online critics for the batch
// (obs [rows×ObsDim], act [rows×ActDim]) with fixed targets rho
// [rows×Atoms] (from TargetDistribution), then the soft target update,
// docs/algorithm.md §3:
//
//	loss_k = (1/rows) Σ_i −Σ_j ρ_ij·log_softmax(logits_φk(s_i, a_i))_j
//	φk ← Adam(φk, ∂loss_k/∂φk),  φ̄k ← τ·φk + (1−τ)·φ̄k
//
// It returns both losses (before the step). When either loss or any
// gradient element is non-finite it returns a *nn.NonFiniteError and
// changes nothing: no parameter, no Adam moment or step count, no target.
// rows ≤ Config.BatchRows.
//
// The step is taken out of place: the new parameters, moments and
// targets go to spare buffers that are then bound to the networks and
// optimisers, and the old ones become the spares, so Revert can undo the
// step without a copy having been made.
func (c *Twin) Step(obs, act, rho []float32, rows int) (loss [2]float32, err error) {
	loss, err = c.gradients(obs, act, rho, rows)
	if err != nil {
		return loss, err
	}
	c.run(c.updateFn)
	for k := range c.gradErr { // Adam cannot refuse a gradient checked finite
		if c.gradErr[k] != nil {
			panic("critic: Twin.Step: " + c.gradErr[k].Error())
		}
	}
	c.undoTarget = true
	return loss, nil
}

// Revert undoes the last successful Step — both critics' parameters,
// Adam moments and step counts, and the targets — unless Keep or Revert
// came since; then it does nothing. It copies nothing (it binds the
// previous buffers back).
func (c *Twin) Revert() {
	for k := range c.online {
		c.online[k].Undo()
		if c.undoTarget {
			c.spareTarget[k] = c.Target[k].Rebind(c.spareTarget[k])
		}
	}
	c.undoTarget = false
}

// Keep makes the last Step final: Revert does nothing until the next
// Step.
func (c *Twin) Keep() {
	for k := range c.online {
		c.online[k].Keep()
	}
	c.undoTarget = false
}

var (
	whatLoss = [2]string{"critic[0] loss", "critic[1] loss"}
	whatGrad = [2]string{"critic[0] gradient", "critic[1] gradient"}
)

// gradients computes both losses and leaves both critics' gradients,
// reduced in shard order, in shard 0's gradient vectors.
func (c *Twin) gradients(obs, act, rho []float32, rows int) (loss [2]float32, err error) {
	const op = "Step"
	c.checkBatch(op, rows)
	cfg := c.Config
	need(op, "obs", obs, rows, cfg.ObsDim)
	need(op, "act", act, rows, cfg.ActDim)
	need(op, "rho", rho, rows, cfg.Atoms)
	c.args = callArgs{obs: obs, act: act, rho: rho, rows: rows, scale: float32(1 / float64(rows))}
	c.run(c.stepFn)
	c.args = callArgs{}
	for k := range loss {
		var sum float64
		for s := range c.shards {
			sum += c.shards[s].loss[k]
		}
		l := sum / float64(rows)
		loss[k] = float32(l)
		if f := float64(loss[k]); (math.IsNaN(f) || math.IsInf(f, 0)) && err == nil {
			err = &nn.NonFiniteError{What: whatLoss[k], Index: -1, Value: l}
		}
	}
	if err != nil {
		return loss, err
	}
	c.run(c.reduceFn)
	for _, e := range c.gradErr {
		if e != nil {
			return loss, e
		}
	}
	return loss, nil
}

func (c *Twin) stepShard(s int) {
	a := &c.args
	sh := &c.shards[s]
	for k := range sh.grad {
		clear(sh.grad[k])
		sh.loss[k] = 0
	}
	lo, hi := par.Range(a.rows, len(c.shards), s)
	n := hi - lo
	if n == 0 {
		return
	}
	od, ad, na := c.Config.ObsDim, c.Config.ActDim, c.Config.Atoms
	sh.in[0], sh.in[1] = a.obs[lo*od:hi*od], a.act[lo*ad:hi*ad]
	for k, m := range c.Online {
		ws, logits := sh.ws[0][k], sh.logits[k][:n*na]
		m.Forward(ws, logits, nn.Vars[float32]{X: sh.in[:]}, n)
		sh.loss[k] = c.be.C51CrossEntropy(logits, a.rho[lo*na:hi*na], a.scale, n, na)
		m.Backward(ws, logits, sh.grad[k], nn.Vars[float32]{X: sh.nilX[:]})
	}
}

// reduceShard sums critic k's shard gradients into shard 0's, in shard
// order, on shard k mod shards, and checks the sum.
func (c *Twin) reduceShard(s int) {
	for k := s; k < 2; k += len(c.shards) {
		g := c.shards[0].grad[k]
		for t := 1; t < len(c.shards); t++ {
			c.be.Axpy(g, 1, c.shards[t].grad[k]) // g + 1·h = g + h exactly
		}
		c.gradErr[k] = nil
		if i := c.be.FirstNonFinite(g); i >= 0 {
			c.gradErr[k] = &nn.NonFiniteError{What: whatGrad[k], Index: i, Value: float64(g[i])}
		}
	}
}

// updateShard applies critic k's Adam step and soft target update on
// shard k mod shards, out of place (Step).
func (c *Twin) updateShard(s int) {
	for k := s; k < 2; k += len(c.shards) {
		c.gradErr[k] = c.online[k].Step(c.shards[0].grad[k])
		if c.gradErr[k] == nil {
			t := c.Target[k]
			c.be.PolyakTo(c.spareTarget[k], t.Params, c.Online[k].Params, float32(c.Config.Tau))
			c.spareTarget[k] = t.Rebind(c.spareTarget[k])
		}
	}
}

// Values writes into dst [rows] the expected values
// Q(s, a) = Σ_j softmax(logits_φ(s, a))_j·z_j of the online critics,
// min(Q_φ1, Q_φ2) (their mean with ClippedDoubleQ off): the Q of the
// actor's importance weights, §4. (Best-of-N acting scores with the
// target critics in gocore/policy.) obs holds one row per state ([rows/repeat × ObsDim]), and state i
// goes with the repeat consecutive action rows i·repeat … i·repeat+repeat−1
// of act ([rows×ActDim]): the actor step scores its candidate actions per
// state this way.
// The rows run forward-only in blocks of Config.ChunkRows, whole blocks
// per shard: the result is bit-identical for any shard count, and
// depends on ChunkRows only through the BLAS's rounding (not at all on
// the CPU's vector paths, whose products round a row alike at every
// height).
func (c *Twin) Values(dst, obs []float32, repeat int, act []float32, rows int) {
	const op = "Values"
	if rows < 0 || repeat < 1 || rows%repeat != 0 {
		panic(fmt.Sprintf("critic: Twin.Values: rows = %d, repeat = %d, want rows ≥ 0 a multiple of repeat ≥ 1", rows, repeat))
	}
	if rows == 0 {
		return
	}
	cfg := c.Config
	need(op, "dst", dst, rows, 1)
	need(op, "obs", obs, rows/repeat, cfg.ObsDim)
	need(op, "act", act, rows, cfg.ActDim)
	c.args = callArgs{dst: dst, obs: obs, act: act, rows: rows, repeat: repeat}
	c.run(c.valuesFn)
	c.args = callArgs{}
}

// valuesShard scores shard s's blocks. The rows are cut into blocks of
// ChunkRows at fixed offsets (block b is rows b·ChunkRows … ) and the
// shards take contiguous runs of whole blocks, so every matrix product
// sees the same rows whatever the shard count: the values are
// bit-identical for any number of shards (a BLAS may round a row
// differently in products of different heights, so ChunkRows itself can
// change the last bits).
func (c *Twin) valuesShard(s int) {
	a := &c.args
	chunk := c.Config.ChunkRows
	b0, b1 := par.Range((a.rows+chunk-1)/chunk, len(c.shards), s)
	lo, hi := b0*chunk, min(b1*chunk, a.rows)
	sh := &c.shards[s]
	od, ad, na := c.Config.ObsDim, c.Config.ActDim, c.Config.Atoms
	useMin := c.Config.ClippedDoubleQ
	for c0 := lo; c0 < hi; c0 += chunk {
		n := min(chunk, hi-c0)
		sh.in[1] = a.act[c0*ad : (c0+n)*ad]
		if a.repeat == 1 {
			sh.in[0] = a.obs[c0*od : (c0+n)*od]
			for k, m := range c.Online {
				m.Forward(sh.ws[0][k], sh.logits[k][:n*na], nn.Vars[float32]{X: sh.in[:]}, n)
			}
		} else { // the first layer's state term once per state (§8)
			st0 := c0 / a.repeat
			groups := (c0+n-1)/a.repeat - st0 + 1
			sh.state[0], sh.perRow[1] = a.obs[st0*od:(st0+groups)*od], sh.in[1]
			for k, m := range c.Online {
				m.SetGroups(sh.ws[0][k], sh.state[:], groups)
				m.ForwardGrouped(sh.ws[0][k], sh.logits[k][:n*na], nn.Grouped[float32]{X: sh.perRow[:], Repeat: a.repeat, Phase: c0 % a.repeat}, n)
			}
		}
		c.be.C51Values(a.dst[c0:c0+n], sh.logits[0][:n*na], sh.logits[1][:n*na], c.sup.Z, n, useMin)
	}
}
