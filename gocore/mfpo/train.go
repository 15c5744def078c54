package mfpo

import (
	"errors"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/envs"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Episode describes a finished training episode.
type Episode struct {
	Step    int64   // environment steps so far
	Index   int     // episodes so far, this one included
	Return  float64 // undiscounted
	Length  int
	Stats   Stats // of the last update, zero before learning starts
	Updates int64
}

// Train runs the training loop of §6 on env for steps environment steps:
// Explore actions (uniform until LearningStarts transitions are stored),
// each transition stored (a time-limit truncation keeps the bootstrap),
// and one Update per step once LearningStarts transitions are stored and
// a batch is available (UTD 1). onEpisode, when not nil, is called after
// every episode; returning false stops training early.
func Train(a *Agent, env envs.Env, steps int, envRNG *rand.Rand, onEpisode func(Episode) bool) error {
	if err := checkEnv(a, env); err != nil {
		return err
	}
	obs := append([]float32(nil), env.Reset(envRNG)...)
	act := make([]float32, a.Spaces.ActDim)
	var ep Episode
	var last Stats
	for s := 0; s < steps; s++ {
		if err := a.Act(act, obs, 1, policy.Explore, 0); err != nil {
			return err
		}
		next, r, terminated, truncated := env.Step(act)
		if err := a.Store(obs, act, float32(r), next, terminated); err != nil {
			return err
		}
		ep.Return += r
		ep.Length++
		copy(obs, next)
		if a.Stored >= int64(a.Config.LearningStarts) {
			st, err := a.Update()
			switch {
			case err == nil:
				last = st
			case !errors.Is(err, ErrNotEnoughData):
				return err
			}
		}
		if terminated || truncated {
			ep.Step, ep.Index, ep.Stats, ep.Updates = a.Stored, ep.Index+1, last, a.Updates
			if onEpisode != nil && !onEpisode(ep) {
				return nil
			}
			ep.Return, ep.Length = 0, 0
			copy(obs, env.Reset(envRNG))
		}
	}
	return nil
}

// checkEnv wants env's widths to be the agent's.
func checkEnv(a *Agent, env envs.Env) error {
	if env.ObsDim() != a.Spaces.ObsDim || env.ActDim() != a.Spaces.ActDim {
		return configError("env", env, "its observation or action width differs from the agent's")
	}
	return nil
}

// evalStream is the PCG stream of Evaluate's act seeds.
const evalStream = 0x6576616c // "eval"

// Evaluate runs episodes episodes of env with actions chosen by mode
// (Sample, BestOfN or Deterministic) and returns the mean undiscounted
// return. The seed of each act call is the next draw of
// rand.NewPCG(seed, evalStream): the agent's training generator is not
// touched, so evaluating does not change a training run.
func Evaluate(a *Agent, env envs.Env, episodes int, mode policy.Mode, seed uint64, envRNG *rand.Rand) (float64, error) {
	if mode == policy.Explore {
		return 0, policy.ErrExplore
	}
	if err := checkEnv(a, env); err != nil {
		return 0, err
	}
	seeds := rand.NewPCG(seed, evalStream)
	act := make([]float32, a.Spaces.ActDim)
	var total float64
	for e := 0; e < episodes; e++ {
		obs := append([]float32(nil), env.Reset(envRNG)...)
		for {
			if err := a.Act(act, obs, 1, mode, seeds.Uint64()); err != nil {
				return 0, err
			}
			next, r, terminated, truncated := env.Step(act)
			total += r
			if terminated || truncated {
				break
			}
			copy(obs, next)
		}
	}
	return total / float64(episodes), nil
}
