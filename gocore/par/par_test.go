package par

import (
	"strings"
	"testing"
)

func TestRunCoversEveryShardOnce(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	hits := make([]int, 3)
	f := func(s int) { hits[s]++ }
	for i := 0; i < 100; i++ {
		p.Run(f)
	}
	for s, h := range hits {
		if h != 100 {
			t.Fatalf("shard %d ran %d times, want 100", s, h)
		}
	}
	if a := testing.AllocsPerRun(100, func() { p.Run(f) }); a != 0 {
		t.Fatalf("Run allocates %v times per call", a)
	}
}

func TestRunReraisesShardPanics(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	func() {
		defer func() {
			if r, _ := recover().(string); !strings.Contains(r, "shard 1: boom") {
				t.Fatalf("recovered %q", r)
			}
		}()
		p.Run(func(s int) {
			if s == 1 {
				panic("boom")
			}
		})
	}()
	ran := make([]bool, 2)
	p.Run(func(s int) { ran[s] = true }) // still usable, no stale panic
	if !ran[0] || !ran[1] {
		t.Fatal("pool unusable after a panic")
	}
}

func TestRange(t *testing.T) {
	for _, n := range []int{0, 1, 7, 256} {
		for shards := 1; shards <= 5; shards++ {
			next := 0
			for s := 0; s < shards; s++ {
				lo, hi := Range(n, shards, s)
				if lo != next || hi < lo || hi-lo > n/shards+1 {
					t.Fatalf("Range(%d, %d, %d) = [%d, %d)", n, shards, s, lo, hi)
				}
				next = hi
			}
			if next != n {
				t.Fatalf("Range(%d, %d, ·) covers %d", n, shards, next)
			}
		}
	}
}
