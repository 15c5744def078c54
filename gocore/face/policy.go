package face

import (
	"github.com/mfpo/mfpo/gocore/policy"
)

// policyHandle is what a policy handle stands for. A policy is immutable
// and safe for concurrent use: no lock; a call that looked the handle up
// before a free finishes normally.
type policyHandle struct {
	p      *policy.Policy
	config string // the whole config of the agent it comes from, as JSON
}

func policyOf(h Handle) (*policyHandle, error) {
	ph, ok := lookup(h).(*policyHandle)
	if !ok {
		return nil, badHandle(h, "policy")
	}
	return ph, nil
}

// CheckPolicy is nil when h is a live policy handle, and the EHandle
// error saying why not otherwise.
func CheckPolicy(h Handle) error {
	_, err := policyOf(h)
	return err
}

// AgentPolicy makes a policy handle with copies of agent h's policy
// network and target critics: the agent may go on training.
func AgentPolicy(h Handle) (p Handle, err error) {
	defer catch(&err)
	err = withAgent(h, func(ah *agentHandle) error {
		pol, err := ah.agent.CopyPolicy()
		if err != nil {
			return AsError(err)
		}
		p = register(&policyHandle{p: pol, config: ah.agent.Config.JSON()})
		return nil
	})
	return p, err
}

// PolicyInfo is what a policy reports about itself.
type PolicyInfo struct {
	Spaces policy.Spaces
	Config string // the config of the agent it comes from, as JSON
}

// Policy returns policy h's info.
func Policy(h Handle) (info PolicyInfo, err error) {
	defer catch(&err)
	ph, err := policyOf(h)
	if err != nil {
		return info, err
	}
	return PolicyInfo{Spaces: ph.p.Spaces, Config: ph.config}, nil
}

// PolicyAct is AgentAct for a policy: the same arguments, checks and
// results (a policy made from an agent acts as the agent did then, for
// the same seed), except that Explore is EInval. Safe for concurrent use.
func PolicyAct(h Handle, dst, obs []float32, rows int, mode policy.Mode, seed uint64) (err error) {
	defer catch(&err)
	ph, err := policyOf(h)
	if err != nil {
		return err
	}
	p := ph.p
	if err := modeArg(mode, false); err != nil {
		return err
	}
	if err := actArgs(p.Spaces, dst, obs, rows); err != nil {
		return err
	}
	if err := p.Act(dst, obs, rows, mode, seed); err != nil {
		return AsError(err)
	}
	return nil
}

// FreePolicy frees policy h. 0 is no error; a handle not live is EHandle.
func FreePolicy(h Handle) (err error) {
	defer catch(&err)
	if h == 0 {
		return nil
	}
	if _, ok := lookup(h).(*policyHandle); !ok {
		return badHandle(h, "policy")
	}
	if unregister(h) == nil {
		return errorf(EHandle, "the policy handle was freed")
	}
	return nil
}
