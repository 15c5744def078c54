package mfpo

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/critic"
	"github.com/mfpo/mfpo/gocore/flow"
	"github.com/mfpo/mfpo/gocore/nn"
)

// Mode selects how Act chooses actions (§6).
type Mode int

const (
	// Sample draws one action from the T-step sampler: training behaviour.
	Sample Mode = iota
	// BestOfN samples EvalCandidates actions per observation and executes
	// the one the target critics value most (min of the two): evaluation.
	BestOfN
	// Deterministic runs the sampler from ε = 0.
	Deterministic
	// Explore is uniform in [−1, 1]^d until LearningStarts transitions
	// have been stored, then Sample: the behaviour of the training loop.
	Explore
)

func (m Mode) String() string {
	switch m {
	case Sample:
		return "sample"
	case BestOfN:
		return "best-of-N"
	case Deterministic:
		return "deterministic"
	case Explore:
		return "explore"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Act writes actions in [−1, 1] for rows observations (obs [rows×ObsDim])
// into dst ([rows×ActDim]). A NaN or an infinity in obs is a
// *nn.NonFiniteError and dst is left unchanged.
func (a *Agent) Act(dst, obs []float32, rows int, mode Mode) error {
	d := a.ActDim
	if rows < 1 || len(obs) < rows*a.ObsDim || len(dst) < rows*d {
		panic(fmt.Sprintf("mfpo: Agent.Act: %d rows need obs of %d and dst of %d elements, have %d and %d",
			rows, rows*a.ObsDim, rows*d, len(obs), len(dst)))
	}
	if err := nn.CheckFinite("observation", obs[:rows*a.ObsDim]); err != nil {
		return err
	}
	T := a.Config.Steps
	switch mode {
	case Explore:
		if a.Stored < int64(a.Config.LearningStarts) {
			for i := range dst[:rows*d] {
				dst[i] = float32(2*a.RNG.Float64() - 1)
			}
			return nil
		}
		fallthrough
	case Sample:
		a.ensureActRows(rows)
		a.fillNormal(a.act.eps[:rows*d])
		a.acting.Sample(dst, nil, obs, 1, a.act.eps, rows, T)
	case Deterministic:
		a.ensureActRows(rows)
		clear(a.act.eps[:rows*d])
		a.acting.Sample(dst, nil, obs, 1, a.act.eps, rows, T)
	case BestOfN:
		n := a.Config.EvalCandidates
		a.ensureActRows(rows * n)
		c := a.act
		a.fillNormal(c.eps[:rows*n*d])
		a.acting.Sample(c.cand, nil, obs, n, c.eps, rows*n, T)
		a.Critics.Values(c.q, obs, n, c.cand, rows*n, critic.TargetMin)
		for s := 0; s < rows; s++ {
			best := s * n
			for k := s*n + 1; k < (s+1)*n; k++ {
				if c.q[k] > c.q[best] {
					best = k
				}
			}
			copy(dst[s*d:(s+1)*d], c.cand[best*d:(best+1)*d])
		}
	default:
		panic(fmt.Sprintf("mfpo: Agent.Act: unknown mode %d", int(mode)))
	}
	return nil
}

// ensureActRows sizes the acting sampler and buffers for rows candidate
// rows; it allocates only when a batch larger than any before comes.
func (a *Agent) ensureActRows(rows int) {
	if rows <= a.act.rows {
		return
	}
	d := a.ActDim
	a.act = actBuffers{rows: rows, eps: make([]float32, rows*d), cand: make([]float32, rows*d), q: make([]float32, rows)}
	a.acting = flow.NewSampler[float32](a.Policy, nil, rows, nil)
}
