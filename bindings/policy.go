package bindings

import (
	"encoding/json"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Policy handles: gocore/policy's inference handle, the deployment path
// that libmfpo.so's mfpo_policy_* functions also take. A policy handle
// acts in the environment's units with explicit noise seeds: the same
// checkpoint, observations, mode and seed give the same float32 actions
// here and through the C ABI. Policies are immutable and safe for
// concurrent use, so calls on one handle run in parallel. Handles come
// from the agents' counter: no number is ever both an agent and a policy.

// policies holds the live policy handles; table's mutex guards it.
var policies = map[int64]*policy.Policy{}

func registerPolicy(p *policy.Policy) int64 {
	table.Lock()
	defer table.Unlock()
	table.next++
	policies[table.next] = p
	return table.next
}

func lookupPolicy(h int64) (*policy.Policy, error) {
	table.Lock()
	p := policies[h]
	table.Unlock()
	if p == nil {
		return nil, errorf(codeHandle, "policy handle %d is not live (never issued, or freed)", h)
	}
	return p, nil
}

// PolicyLoad reads the policy of a checkpoint of either kind and returns
// the JSON object {"handle": h, "info": {…}} (info as Load's).
func PolicyLoad(path string) (s string, err error) {
	defer recoverInto(&err)
	p, info, err := checkpoint.LoadPolicy(path)
	if err != nil {
		return "", checkpointErr(err)
	}
	return loadedPolicy(p, info)
}

// PolicyUnmarshal is PolicyLoad from a checkpoint's bytes (not kept).
func PolicyUnmarshal(data []byte) (s string, err error) {
	defer recoverInto(&err)
	p, info, err := checkpoint.UnmarshalPolicy(data, checkpoint.Limits{})
	if err != nil {
		return "", checkpointErr(err)
	}
	return loadedPolicy(p, info)
}

func loadedPolicy(p *policy.Policy, info *checkpoint.Info) (string, error) {
	h := registerPolicy(p)
	b, err := json.Marshal(map[string]any{"handle": h, "info": infoJSON(info)})
	if err != nil {
		PolicyFree(h)
		return "", coded(err)
	}
	return string(b), nil
}

// PolicyFromAgent returns a policy handle with a copy of agent h's policy
// and target critics (the agent may go on training) acting in the action
// box of spaces (the JSON of Save; obs_shape is ignored).
func PolicyFromAgent(h int64, spaces string) (p int64, err error) {
	defer recoverInto(&err)
	e, err := lookup(h)
	if err != nil {
		return 0, err
	}
	defer e.mu.Unlock()
	sp, err := parseSpaces(spaces, e.agent)
	if err != nil {
		return 0, err
	}
	sp.ObsShape = nil
	own, err := e.agent.CopyPolicy()
	if err != nil {
		return 0, errorf(codeConfig, "%s", err)
	}
	pol, err := policy.New(own.Config, sp, own.Actor, own.Critics)
	if err != nil {
		return 0, errorf(codeConfig, "%s", err)
	}
	return registerPolicy(pol), nil
}

// PolicyAct returns actions in the environment's units for rows
// observations (obs: rows×obs_dim little-endian float32s) as rows×act_dim
// float32s. mode is "sample", "best_of_n" or "deterministic"; the noise is
// drawn from seed alone (deterministic ignores it), so the call is a pure
// function of its arguments. A NaN or an infinity in obs is "nonfinite".
func PolicyAct(h int64, obs []byte, rows int, mode string, seed uint64) (out []byte, err error) {
	defer recoverInto(&err)
	m, err := parseMode(mode)
	if err != nil {
		return nil, err
	}
	if m == policy.Explore {
		return nil, errorf(codeConfig, `policy act: mode "explore" is for training agents: want "sample", "best_of_n" or "deterministic"`)
	}
	p, err := lookupPolicy(h)
	if err != nil {
		return nil, err
	}
	if rows < 1 {
		return nil, errorf(codeShape, "policy act: rows = %d, want ≥ 1", rows)
	}
	if err := checkSize("policy act", "obs", obs, rows, p.Spaces.ObsDim); err != nil {
		return nil, err
	}
	act := make([]float32, rows*p.Spaces.ActDim)
	if err := p.Act(act, decode(nil, obs), rows, m, seed); err != nil {
		return nil, coded(err)
	}
	return encode(act), nil
}

// PolicyFree releases policy handle h and reports whether it was live.
// A call in progress on h finishes normally.
func PolicyFree(h int64) bool {
	table.Lock()
	defer table.Unlock()
	_, ok := policies[h]
	delete(policies, h)
	return ok
}

// LivePolicies is the number of policy handles not yet freed.
func LivePolicies() int {
	table.Lock()
	defer table.Unlock()
	return len(policies)
}
