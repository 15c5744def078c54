package mfpo

import (
	"errors"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/envs"
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
	if env.ObsDim() != a.ObsDim || env.ActDim() != a.ActDim {
		return &ConfigError{"env", env, "its observation or action width differs from the agent's"}
	}
	obs := append([]float32(nil), env.Reset(envRNG)...)
	act := make([]float32, a.ActDim)
	var ep Episode
	var last Stats
	for s := 0; s < steps; s++ {
		if err := a.Act(act, obs, 1, Explore); err != nil {
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

// Evaluate runs episodes episodes of env with actions chosen by mode and
// returns the mean undiscounted return.
func Evaluate(a *Agent, env envs.Env, episodes int, mode Mode, envRNG *rand.Rand) (float64, error) {
	act := make([]float32, a.ActDim)
	var total float64
	for e := 0; e < episodes; e++ {
		obs := append([]float32(nil), env.Reset(envRNG)...)
		for {
			if err := a.Act(act, obs, 1, mode); err != nil {
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
