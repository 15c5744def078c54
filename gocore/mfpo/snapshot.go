package mfpo

import "github.com/mfpo/mfpo/gocore/nn"

// snapshot holds a copy of everything an update changes — every network's
// parameters, the target critics, the Adam moments and step counts, log α
// — so that an update abandoned on a non-finite loss can be undone.
type snapshot struct {
	live, saved [][]float32
	opts        []*nn.Adam[float32]
	steps       []int64
}

func newSnapshot(a *Agent) snapshot {
	var s snapshot
	add := func(x []float32) {
		s.live = append(s.live, x)
		s.saved = append(s.saved, make([]float32, len(x)))
	}
	addOpt := func(o *nn.Adam[float32]) {
		add(o.M)
		add(o.V)
		s.opts = append(s.opts, o)
	}
	add(a.Policy.Params)
	addOpt(a.PolicyOpt)
	add(a.ADN.Params)
	addOpt(a.ADNOpt)
	for k := 0; k < 2; k++ {
		add(a.Critics.Online[k].Params)
		add(a.Critics.Target[k].Params)
		addOpt(a.Critics.Opt[k])
	}
	add(a.LogAlpha)
	addOpt(a.AlphaOpt)
	s.steps = make([]int64, len(s.opts))
	return s
}

func (s *snapshot) save() {
	for i, x := range s.live {
		copy(s.saved[i], x)
	}
	for i, o := range s.opts {
		s.steps[i] = o.Steps
	}
}

func (s *snapshot) restore() {
	for i, x := range s.live {
		copy(x, s.saved[i])
	}
	for i, o := range s.opts {
		o.Steps = s.steps[i]
	}
}
