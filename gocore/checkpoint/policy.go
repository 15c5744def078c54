package checkpoint

import (
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
)

// LoadPolicy reads the policy of a checkpoint of either kind, with
// mfpo.MemoryLimit(): an inference handle (gocore/policy: safe for concurrent
// use, actions in the environment's units of the stored spaces) and the
// checkpoint's Info.
func LoadPolicy(path string) (*policy.Policy, *Info, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	p, info, err := UnmarshalPolicy(data, Limits{})
	return p, info, withPath(err, path)
}

// UnmarshalPolicy builds the inference handle of a checkpoint's bytes
// (either kind). It does not keep data.
func UnmarshalPolicy(data []byte, lim Limits) (p *policy.Policy, info *Info, err error) {
	defer recoverInto(&err)
	d, err := open(data, true)
	if err != nil {
		return nil, nil, err
	}
	return d.policy(lim)
}

// policyTensors checks the policy and the target critics of a
// checkpoint of either kind against the config, and the memory the
// inference handle needs against lim, before anything is allocated.
func (d *decoder) policyTensors(lim Limits) (actor tensor, targets [2]tensor, err error) {
	info, root := d.info, d.root
	cfg, obs, act := info.Config, info.Spaces.ObsDim, info.Spaces.ActDim
	ps, _, cs := mfpo.Specs(cfg, obs, act)
	if actor, err = network(root.Policy(nil), "Checkpoint.policy", ps); err != nil {
		return actor, targets, err
	}
	if targets, err = twoNetworks(root.TargetCriticsLength(), root.TargetCritics, "Checkpoint.target_critics", cs); err != nil {
		return actor, targets, err
	}
	return actor, targets, checkLimit(mfpo.EstimatePolicy(cfg, info.Spaces), 0, lim)
}

// policy builds the inference handle of a checkpoint of either kind.
func (d *decoder) policy(lim Limits) (*policy.Policy, *Info, error) {
	actor, targets, err := d.policyTensors(lim)
	if err != nil {
		return nil, nil, err
	}
	info := d.info
	cfg, obs, act := info.Config, info.Spaces.ObsDim, info.Spaces.ActDim
	ps, _, cs := mfpo.Specs(cfg, obs, act)

	spare := rand.New(rand.NewPCG(0, 0)) // initial values, all overwritten
	build := func(spec nn.Spec, t tensor) (*nn.MLP[float32], error) {
		m, err := nn.New(cpu.New[float32](), spec, spare)
		if err != nil { // the spec passed the config's checks
			return nil, &FormatError{Reason: "a network cannot be built", Err: err}
		}
		return m, t.decode(m.Params)
	}
	var nets [2]*nn.MLP[float32]
	net, err := build(ps, actor)
	if err != nil {
		return nil, nil, err
	}
	for k := range nets {
		if nets[k], err = build(cs, targets[k]); err != nil {
			return nil, nil, err
		}
	}
	p, err := policy.New(cfg.Acting(), info.Spaces, net, nets)
	if err != nil { // everything it checks was checked
		return nil, nil, &FormatError{Reason: "the policy cannot be built", Err: err}
	}
	if err := probe(p); err != nil {
		return nil, nil, err
	}
	return p, info, nil
}

// probe refuses networks whose acting is not finite (policy.Probe): finite
// weights large enough to overflow float32.
func probe(p *policy.Policy) error {
	if err := p.Probe(); err != nil {
		return &FormatError{Reason: "the stored networks act non-finite on the probe observations 0, +1 and −1 (weights that overflow float32)", Err: err}
	}
	return nil
}
