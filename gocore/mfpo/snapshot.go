package mfpo

import (
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/par"
)

// snapshot holds a copy of everything an update changes — every network's
// parameters, the target critics, the Adam moments and step counts, log α
// — so that an update abandoned on a non-finite loss can be undone.
type snapshot struct {
	live, saved [][]float32
	opts        []*nn.Adam[float32]
	steps       []int64

	pool           *par.Pool // the copies are split across the shards
	saveFn, restFn func(int)
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
	s.pool = a.pool
	return s
}

func (s *snapshot) save() {
	if s.saveFn == nil {
		s.saveFn = func(k int) { s.copyShard(k, s.saved, s.live) }
		s.restFn = func(k int) { s.copyShard(k, s.live, s.saved) }
	}
	s.run(s.saveFn)
	for i, o := range s.opts {
		s.steps[i] = o.Steps
	}
}

func (s *snapshot) restore() {
	s.run(s.restFn)
	for i, o := range s.opts {
		o.Steps = s.steps[i]
	}
}

// copyShard copies shard k's part of every array from src to dst.
func (s *snapshot) copyShard(k int, dst, src [][]float32) {
	n := 1
	if s.pool != nil {
		n = s.pool.Shards()
	}
	for i, x := range src {
		lo, hi := par.Range(len(x), n, k)
		copy(dst[i][lo:hi], x[lo:hi])
	}
}

func (s *snapshot) run(f func(int)) {
	if s.pool == nil {
		f(0)
		return
	}
	s.pool.Run(f)
}
