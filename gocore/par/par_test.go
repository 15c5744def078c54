package par

import (
	"os"
	"runtime"
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

// TestSpareP: one P more than the runtime's, once per process, unless the
// environment sets GOMAXPROCS.
func TestSpareP(t *testing.T) {
	if got := spareProcs("", 2); got != 3 {
		t.Errorf("spareProcs(unset, 2) = %d, want 3", got)
	}
	if got := spareProcs("2", 2); got != 2 {
		t.Errorf("spareProcs(\"2\", 2) = %d, want 2 (the environment's choice)", got)
	}
	before := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(before)
	want := spareProcs(os.Getenv("GOMAXPROCS"), before)
	if got := SpareP(); got != want || runtime.GOMAXPROCS(0) != want {
		t.Errorf("SpareP() = %d (GOMAXPROCS %d), want %d from %d", got, runtime.GOMAXPROCS(0), want, before)
	}
	if got := SpareP(); got != want {
		t.Errorf("a second SpareP() = %d, want %d: once per process", got, want)
	}
}
