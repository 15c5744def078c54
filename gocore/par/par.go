// Package par runs a fixed number of shards of work in parallel. The shard
// count is part of the computation (each shard owns its buffers and the
// caller reduces shard results in shard order), never the number of
// cores, so results are bit-identical for a given seed on any machine.
package par

import (
	"fmt"
	"sync"
)

// Pool runs f(0), …, f(n−1) concurrently on n−1 long-lived goroutines
// and the caller's. Run allocates nothing when f is a function value the
// caller made once (not a new closure per call).
type Pool struct {
	n      int
	work   []chan func(int)
	wg     sync.WaitGroup
	panics []any // per shard, set by a recovered panic
}

// NewPool starts a pool of n shards (n ≥ 1).
func NewPool(n int) *Pool {
	if n < 1 {
		panic(fmt.Sprintf("par: NewPool(%d): want at least one shard", n))
	}
	p := &Pool{n: n, work: make([]chan func(int), n), panics: make([]any, n)}
	for s := 1; s < n; s++ {
		ch := make(chan func(int))
		p.work[s] = ch
		go func(s int) {
			for f := range ch {
				p.run(f, s)
			}
		}(s)
	}
	return p
}

// Shards is the number of shards.
func (p *Pool) Shards() int { return p.n }

// Run calls f(s) for every shard s concurrently and returns when all are
// done. A panic in a shard is recovered there and re-raised in the caller
// (the lowest shard's) after all shards have finished, so that a caller
// that recovers panics (the C ABI does) sees it instead of the process
// dying.
func (p *Pool) Run(f func(shard int)) {
	p.wg.Add(p.n)
	for s := 1; s < p.n; s++ {
		p.work[s] <- f
	}
	p.run(f, 0)
	p.wg.Wait()
	for s, v := range p.panics {
		if v != nil {
			clear(p.panics)
			panic(fmt.Sprintf("par: shard %d: %v", s, v))
		}
	}
}

func (p *Pool) run(f func(int), s int) {
	defer p.wg.Done()
	defer func() {
		if v := recover(); v != nil {
			p.panics[s] = v
		}
	}()
	f(s)
}

// Close stops the pool's goroutines; the pool must not be used after.
func (p *Pool) Close() {
	for s := 1; s < p.n; s++ {
		close(p.work[s])
	}
}

// Range returns shard s's half-open slice [lo, hi) of n items split into
// shards nearly equal contiguous parts (the first n mod shards get one
// more).
func Range(n, shards, s int) (lo, hi int) {
	q, r := n/shards, n%shards
	lo = s*q + min(s, r)
	hi = lo + q
	if s < r {
		hi++
	}
	return lo, hi
}
