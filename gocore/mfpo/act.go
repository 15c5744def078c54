package mfpo

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Act writes actions in [−1, 1] (the agent's units; a.Spaces.ToEnv maps
// them to the environment's) for rows observations (obs [rows×ObsDim])
// into dst ([rows×ActDim]).
//
// Sample, BestOfN and Deterministic act through the agent's
// ActingPolicy: their noise comes from seed alone, exactly as
// policy.Policy.ActUnit draws it, and they never touch a.RNG, so acting
// (evaluating, say) does not change a training run. Explore is the
// training loop's behaviour and ignores seed: uniform draws from a.RNG
// until LearningStarts transitions have been stored, then Sample with
// its noise from a.RNG.
//
// A NaN or an infinity in obs, or an element beyond ±nn.MaxInput, is a
// *nn.NonFiniteError and dst and a.RNG are left unchanged; actions that
// come out non-finite are policy.ErrNotFinite; a mode not in
// policy.Modes is an error. Wrong
// lengths and rows < 1 panic.
func (a *Agent) Act(dst, obs []float32, rows int, mode policy.Mode, seed uint64) error {
	if mode != policy.Explore {
		return a.view.ActUnit(dst, obs, rows, mode, seed)
	}
	o, d := a.Spaces.ObsDim, a.Spaces.ActDim
	if rows < 1 || len(obs) < rows*o || len(dst) < rows*d {
		panic(fmt.Sprintf("mfpo: Agent.Act: %d rows need obs of %d and dst of %d elements, have %d and %d",
			rows, rows*o, rows*d, len(obs), len(dst)))
	}
	if err := nn.CheckInput("observation", obs[:rows*o]); err != nil {
		return err
	}
	if a.Stored < int64(a.Config.LearningStarts) {
		for i := range dst[:rows*d] {
			dst[i] = float32(2*a.RNG.Float64() - 1)
		}
		return nil
	}
	// In chunks of policy.ChunkRows, the noise drawn in order: the draws
	// of one piece.
	chunk := min(rows, policy.ChunkRows)
	if len(a.exploreEps) < chunk*d {
		a.exploreEps = make([]float32, chunk*d)
	}
	for r0 := 0; r0 < rows; r0 += chunk {
		m := min(chunk, rows-r0)
		eps := a.exploreEps[:m*d]
		a.fillNormal(eps)
		if err := a.view.SampleUnit(dst[r0*d:(r0+m)*d], obs[r0*o:(r0+m)*o], eps, m); err != nil {
			return err
		}
	}
	return nil
}

// ActingPolicy is the agent's own policy network and target critics seen
// as a policy.Policy: it shares the networks (acts with the current
// parameters) and must not be used while the agent updates.
func (a *Agent) ActingPolicy() *policy.Policy { return a.view }

// CopyPolicy returns a policy.Policy with private copies of the agent's
// policy network and target critics: the agent may go on training.
func (a *Agent) CopyPolicy() (*policy.Policy, error) {
	actor, err := policy.Clone(a.Policy)
	if err != nil {
		return nil, err
	}
	var targets [2]*nn.MLP[float32]
	for k, m := range a.Critics.Target {
		if targets[k], err = policy.Clone(m); err != nil {
			return nil, err
		}
	}
	return policy.New(a.Config.Acting(), a.Spaces, actor, targets)
}
