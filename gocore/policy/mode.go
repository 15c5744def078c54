package policy

import (
	"fmt"
	"strings"
)

// Mode selects how actions are chosen (docs/algorithm.md §6).
type Mode int

const (
	// Sample draws one action from the T-step sampler.
	Sample Mode = iota
	// BestOfN samples EvalCandidates actions per observation and keeps
	// the one the target critics value most, min(Q_φ̄1, Q_φ̄2): the
	// paper's evaluation rule.
	BestOfN
	// Deterministic runs the sampler from ε = 0.
	Deterministic
	// Explore is the training loop's behaviour: uniform in [−1, 1]^d
	// until LearningStarts transitions are stored, then Sample, drawn
	// from the agent's training generator. Only an agent explores;
	// Policy.Act refuses it.
	Explore
)

// Modes lists every mode, in order.
var Modes = []Mode{Sample, BestOfN, Deterministic, Explore}

// modeNames are the canonical names, indexed by Mode.
var modeNames = [...]string{Sample: "sample", BestOfN: "best_of_n", Deterministic: "deterministic", Explore: "explore"}

// String is the mode's canonical name: "sample", "best_of_n",
// "deterministic" or "explore".
func (m Mode) String() string {
	if m >= 0 && int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ParseMode returns the mode of a canonical name; any other name is an
// error listing the valid ones.
func ParseMode(name string) (Mode, error) {
	for _, m := range Modes {
		if m.String() == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("policy: unknown acting mode %q: want %s", name, modeList(Modes))
}

// modeList is `"a", "b" or "c"`.
func modeList(ms []Mode) string {
	q := make([]string, len(ms))
	for i, m := range ms {
		q[i] = fmt.Sprintf("%q", m.String())
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
