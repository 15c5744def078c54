package replay

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// transition returns a distinct, recognisable transition number k:
// obs = (k, k+0.25, …), act = (−k, …), reward k/2, nextObs = obs+1000,
// terminated when k is a multiple of 3.
func transition(k, obsDim, actDim int) (obs, act []float32, reward float32, nextObs []float32, term bool) {
	obs = make([]float32, obsDim)
	nextObs = make([]float32, obsDim)
	act = make([]float32, actDim)
	for i := range obs {
		obs[i] = float32(k) + 0.25*float32(i)
		nextObs[i] = obs[i] + 1000
	}
	for i := range act {
		act[i] = -float32(k) - 0.5*float32(i)
	}
	return obs, act, float32(k) / 2, nextObs, k%3 == 0
}

// id recovers the transition number from a sampled or stored row and
// checks that the row is internally consistent.
func id(t *testing.T, obs, act []float32, reward float32, nextObs []float32, notDone float32) int {
	t.Helper()
	k := int(obs[0])
	wo, wa, wr, wn, wt := transition(k, len(obs), len(act))
	if !slices.Equal(obs, wo) || !slices.Equal(act, wa) || reward != wr || !slices.Equal(nextObs, wn) || notDone != notDoneOf(wt) {
		t.Fatalf("row is not transition %d: obs %v act %v r %v next %v notDone %v", k, obs, act, reward, nextObs, notDone)
	}
	return k
}

func notDoneOf(term bool) float32 {
	if term {
		return 0
	}
	return 1
}

func mustNew(t *testing.T, c, o, a int) *Buffer {
	t.Helper()
	b, err := New(c, o, a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func add(t *testing.T, b *Buffer, k int) {
	t.Helper()
	obs, act, r, next, term := transition(k, b.obsDim, b.actDim)
	if err := b.Add(obs, act, r, next, term); err != nil {
		t.Fatal(err)
	}
}

// stored returns the transition numbers in storage order, oldest first.
func stored(t *testing.T, b *Buffer) []int {
	t.Helper()
	s := b.State()
	o, a := b.obsDim, b.actDim
	var ks []int
	start := 0
	if s.Len == b.capacity {
		start = s.Pos
	}
	for j := 0; j < s.Len; j++ {
		i := (start + j) % b.capacity
		ks = append(ks, id(t, s.Obs[i*o:(i+1)*o], s.Act[i*a:(i+1)*a], s.Reward[i], s.NextObs[i*o:(i+1)*o], s.NotDone[i]))
	}
	return ks
}

func seq(lo, hi int) []int {
	var s []int
	for k := lo; k < hi; k++ {
		s = append(s, k)
	}
	return s
}

func TestNewRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		c, o, a int
		arg     string
	}{
		{0, 3, 2, "capacity"}, {-1, 3, 2, "capacity"}, {5, 0, 2, "obsDim"}, {5, 3, -2, "actDim"},
		{math.MaxInt / 2, 3, 1, "capacity"},
	} {
		b, err := New(c.c, c.o, c.a)
		var ae *ArgError
		if b != nil || !errors.As(err, &ae) || ae.Arg != c.arg || !strings.Contains(err.Error(), c.arg) {
			t.Errorf("New(%d, %d, %d) = %v, %v; want an *ArgError naming %s", c.c, c.o, c.a, b, err, c.arg)
		}
	}
	b := mustNew(t, 7, 3, 2)
	if b.Len() != 0 || b.Capacity() != 7 || b.ObsDim() != 3 || b.ActDim() != 2 {
		t.Fatalf("new buffer: Len %d Capacity %d ObsDim %d ActDim %d", b.Len(), b.Capacity(), b.ObsDim(), b.ActDim())
	}
}

func TestFIFOOverwriteAtCapacity(t *testing.T) {
	const c = 5
	b := mustNew(t, c, 3, 2)
	for k := 1; k <= 13; k++ {
		add(t, b, k)
		want := seq(max(1, k-c+1), k+1)
		if got := stored(t, b); !slices.Equal(got, want) {
			t.Fatalf("after %d adds stored %v, want %v", k, got, want)
		}
		if b.Len() != min(k, c) || b.State().Pos != k%c {
			t.Fatalf("after %d adds Len %d Pos %d", k, b.Len(), b.State().Pos)
		}
	}
}

// AddBatch must store exactly what the same rows added one by one store,
// for batches that fit, wrap around and exceed the capacity.
func TestAddBatchMatchesAdds(t *testing.T) {
	const c, o, a = 7, 3, 2
	one, batch := mustNew(t, c, o, a), mustNew(t, c, o, a)
	k := 1
	for _, n := range []int{0, 3, 2, 5, 1, 7, 16, 4, 9} {
		var obs, act, rew, next []float32
		var term []bool
		for i := 0; i < n; i++ {
			ob, ac, r, nx, tm := transition(k+i, o, a)
			obs, act, rew, next, term = append(obs, ob...), append(act, ac...), append(rew, r), append(next, nx...), append(term, tm)
			add(t, one, k+i)
		}
		if err := batch.AddBatch(obs, act, rew, next, term, n); err != nil {
			t.Fatal(err)
		}
		k += n
		s1, s2 := one.State(), batch.State()
		if s1.Pos != s2.Pos || s1.Len != s2.Len || !slices.Equal(stored(t, one), stored(t, batch)) {
			t.Fatalf("after a batch of %d: single adds Pos %d Len %d %v, AddBatch Pos %d Len %d %v",
				n, s1.Pos, s1.Len, stored(t, one), s2.Pos, s2.Len, stored(t, batch))
		}
	}
	if got, want := stored(t, batch), seq(k-c, k); !slices.Equal(got, want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
}

// snapshot deep-copies a State.
func snapshot(b *Buffer) State {
	s := b.State()
	return State{Obs: slices.Clone(s.Obs), Act: slices.Clone(s.Act), Reward: slices.Clone(s.Reward),
		NextObs: slices.Clone(s.NextObs), NotDone: slices.Clone(s.NotDone), Pos: s.Pos, Len: s.Len}
}

func sameState(x, y State) bool {
	eq := func(p, q []float32) bool { // bitwise, so that NaNs would count
		if len(p) != len(q) {
			return false
		}
		for i := range p {
			if math.Float32bits(p[i]) != math.Float32bits(q[i]) {
				return false
			}
		}
		return true
	}
	return x.Pos == y.Pos && x.Len == y.Len && eq(x.Obs, y.Obs) && eq(x.Act, y.Act) &&
		eq(x.Reward, y.Reward) && eq(x.NextObs, y.NextObs) && eq(x.NotDone, y.NotDone)
}

var nonFinite = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}

func TestAddRejectsNonFiniteAndLeavesBufferUnchanged(t *testing.T) {
	const c, o, a = 4, 3, 2
	for _, fill := range []int{0, 2, 6} { // empty, partly full, wrapped
		for _, field := range []string{"obs", "act", "reward", "nextObs"} {
			for _, bad := range nonFinite {
				for elem := 0; elem < 3; elem++ {
					b := mustNew(t, c, o, a)
					for k := 1; k <= fill; k++ {
						add(t, b, k)
					}
					before := snapshot(b)
					obs, act, r, next, term := transition(99, o, a)
					switch field {
					case "obs":
						obs[elem%o] = bad
					case "act":
						act[elem%a] = bad
					case "reward":
						r = bad
					case "nextObs":
						next[elem%o] = bad
					}
					err := b.Add(obs, act, r, next, term)
					var nf *NonFiniteError
					if !errors.As(err, &nf) || nf.Field != field || nf.Row != 0 {
						t.Fatalf("Add with %v in %s returned %v, want a *NonFiniteError for %s", bad, field, err, field)
					}
					if field != "reward" && nf.Index != elem%map[bool]int{true: o, false: a}[field != "act"] {
						t.Fatalf("Add with %v in %s[%d]: error names element %d", bad, field, elem, nf.Index)
					}
					if !sameState(before, b.State()) {
						t.Fatalf("Add with %v in %s changed the buffer", bad, field)
					}
				}
			}
		}
	}
}

func TestAddBatchIsAllOrNothing(t *testing.T) {
	const c, o, a, n = 5, 3, 2, 4
	for _, fill := range []int{0, 3, 7} {
		for row := 0; row < n; row++ {
			for _, field := range []string{"obs", "act", "reward", "nextObs"} {
				b := mustNew(t, c, o, a)
				for k := 1; k <= fill; k++ {
					add(t, b, k)
				}
				before := snapshot(b)
				var obs, act, rew, next []float32
				var term []bool
				for i := 0; i < n; i++ {
					ob, ac, r, nx, tm := transition(50+i, o, a)
					obs, act, rew, next, term = append(obs, ob...), append(act, ac...), append(rew, r), append(next, nx...), append(term, tm)
				}
				switch field {
				case "obs":
					obs[row*o+1] = float32(math.NaN())
				case "act":
					act[row*a+1] = float32(math.Inf(1))
				case "reward":
					rew[row] = float32(math.Inf(-1))
				case "nextObs":
					next[row*o+2] = float32(math.NaN())
				}
				err := b.AddBatch(obs, act, rew, next, term, n)
				var nf *NonFiniteError
				if !errors.As(err, &nf) || nf.Field != field || nf.Row != row {
					t.Fatalf("AddBatch with a bad %s in row %d returned %v", field, row, err)
				}
				if !sameState(before, b.State()) {
					t.Fatalf("AddBatch with a bad %s in row %d (fill %d) changed the buffer", field, row, fill)
				}
			}
		}
	}
}

func TestWrongLengthsPanic(t *testing.T) {
	b := mustNew(t, 4, 3, 2)
	add(t, b, 1)
	ok3, ok2 := make([]float32, 3), make([]float32, 2)
	for name, f := range map[string]func(){
		"Add obs":             func() { _ = b.Add(make([]float32, 2), ok2, 0, ok3, false) },
		"Add act":             func() { _ = b.Add(ok3, make([]float32, 3), 0, ok3, false) },
		"Add nextObs":         func() { _ = b.Add(ok3, ok2, 0, make([]float32, 4), false) },
		"AddBatch n":          func() { _ = b.AddBatch(ok3, ok2, make([]float32, 1), ok3, make([]bool, 1), 2) },
		"AddBatch negative":   func() { _ = b.AddBatch(nil, nil, nil, nil, nil, -1) },
		"AddBatch terminated": func() { _ = b.AddBatch(ok3, ok2, make([]float32, 1), ok3, nil, 1) },
		"Sample dst":          func() { b.Sample(rand.New(rand.NewPCG(1, 2)), NewBatch(2, 4, 2)) },
		"Sample empty":        func() { mustNew(t, 4, 3, 2).Sample(rand.New(rand.NewPCG(1, 2)), NewBatch(2, 3, 2)) },
		"NewBatch":            func() { NewBatch(0, 3, 2) },
	} {
		func() {
			defer func() {
				r := recover()
				if s, ok := r.(string); !ok || !strings.HasPrefix(s, "replay: ") {
					t.Errorf("%s: recovered %v, want a panic with a \"replay: \" message", name, r)
				}
			}()
			f()
		}()
	}
}

// Sampling: only stored rows come out, each row is a whole transition, and
// the counts are uniform (chi-square over the stored rows, loose bound).
func TestSampleUniformOverStoredRows(t *testing.T) {
	const c, o, a = 40, 3, 2
	for _, fill := range []int{1, 17, 40, 93} {
		b := mustNew(t, c, o, a)
		for k := 1; k <= fill; k++ {
			add(t, b, k)
		}
		live := map[int]bool{}
		for _, k := range stored(t, b) {
			live[k] = true
		}
		rng := rand.New(rand.NewPCG(7, uint64(fill)))
		dst := NewBatch(256, o, a)
		counts := map[int]int{}
		const rounds = 400
		for r := 0; r < rounds; r++ {
			b.Sample(rng, dst)
			for i := 0; i < dst.N; i++ {
				k := id(t, dst.Obs[i*o:(i+1)*o], dst.Act[i*a:(i+1)*a], dst.Reward[i], dst.NextObs[i*o:(i+1)*o], dst.NotDone[i])
				if !live[k] {
					t.Fatalf("fill %d: sampled transition %d, which is not stored", fill, k)
				}
				counts[k]++
			}
		}
		m := len(live)
		total := float64(rounds * dst.N)
		e := total / float64(m)
		chi2 := 0.0
		for k := range live {
			d := float64(counts[k]) - e
			chi2 += d * d / e
		}
		// chi2 has m−1 degrees of freedom: mean m−1, sd √(2(m−1)).
		dof := float64(m - 1)
		z := 0.0
		if m > 1 {
			z = (chi2 - dof) / math.Sqrt(2*dof)
		}
		t.Logf("fill %d: %d stored rows, chi2 = %.6f with %d dof (z = %.2f)", fill, m, chi2, m-1, z)
		if z > 5 {
			t.Errorf("fill %d: chi2 = %.1f with %v dof, not uniform", fill, chi2, dof)
		}
	}
}

func TestStateRestoreRoundTrip(t *testing.T) {
	const c, o, a = 9, 4, 3
	for _, fill := range []int{3, 9, 23} {
		src := mustNew(t, c, o, a)
		for k := 1; k <= fill; k++ {
			add(t, src, k)
		}
		dst := mustNew(t, c, o, a)
		add(t, dst, 500) // restored contents must replace this
		if err := dst.Restore(snapshot(src)); err != nil {
			t.Fatal(err)
		}
		if !sameState(src.State(), dst.State()) {
			t.Fatalf("fill %d: restored state differs", fill)
		}
		// Same rng seed → same samples, also after more adds on both.
		r1, r2 := rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
		b1, b2 := NewBatch(32, o, a), NewBatch(32, o, a)
		for step := 0; step < 20; step++ {
			src.Sample(r1, b1)
			dst.Sample(r2, b2)
			if !slices.Equal(b1.Obs, b2.Obs) || !slices.Equal(b1.Act, b2.Act) || !slices.Equal(b1.Reward, b2.Reward) ||
				!slices.Equal(b1.NextObs, b2.NextObs) || !slices.Equal(b1.NotDone, b2.NotDone) {
				t.Fatalf("fill %d, step %d: samples differ after Restore", fill, step)
			}
			add(t, src, 1000+step)
			add(t, dst, 1000+step)
		}
	}
}

func TestRestoreRejectsBadStates(t *testing.T) {
	const c, o, a = 6, 2, 1
	src := mustNew(t, c, o, a)
	for k := 1; k <= 4; k++ {
		add(t, src, k)
	}
	good := snapshot(src)
	bads := map[string]func(s *State){
		"short Obs":      func(s *State) { s.Obs = s.Obs[:len(s.Obs)-1] },
		"long Act":       func(s *State) { s.Act = append(s.Act, 0) },
		"Reward":         func(s *State) { s.Reward = s.Reward[:c-1] },
		"NextObs":        func(s *State) { s.NextObs = nil },
		"NotDone":        func(s *State) { s.NotDone = s.NotDone[:1] },
		"Len > cap":      func(s *State) { s.Len = c + 1 },
		"negative Len":   func(s *State) { s.Len = -1 },
		"Pos = cap":      func(s *State) { s.Pos, s.Len = c, c },
		"Pos ≠ Len":      func(s *State) { s.Pos = 2 },
		"NaN obs":        func(s *State) { s.Obs[3] = float32(math.NaN()) },
		"Inf reward":     func(s *State) { s.Reward[0] = float32(math.Inf(1)) },
		"NotDone = 0.5":  func(s *State) { s.NotDone[2] = 0.5 },
		"NaN nextObs":    func(s *State) { s.NextObs[7] = float32(math.NaN()) },
		"Inf act (last)": func(s *State) { s.Act[3] = float32(math.Inf(-1)) },
	}
	for name, spoil := range bads {
		b := mustNew(t, c, o, a)
		add(t, b, 77)
		before := snapshot(b)
		s := snapshot(src)
		spoil(&s)
		if err := b.Restore(s); err == nil || !strings.HasPrefix(err.Error(), "replay: ") {
			t.Errorf("Restore with %s: err = %v, want a replay error", name, err)
		}
		if !sameState(before, b.State()) {
			t.Errorf("Restore with %s changed the buffer", name)
		}
	}
	// Garbage beyond Len is not checked (those rows are unused).
	s := snapshot(src)
	s.Obs[len(s.Obs)-1] = float32(math.NaN())
	if err := mustNew(t, c, o, a).Restore(s); err != nil {
		t.Errorf("Restore with NaN in an unused row: %v", err)
	}
	if err := mustNew(t, c, o, a).Restore(good); err != nil {
		t.Errorf("Restore of a good state: %v", err)
	}
	if err := mustNew(t, c+1, o, a).Restore(good); err == nil {
		t.Errorf("Restore into a buffer of another capacity succeeded")
	}
}

func TestNoAllocations(t *testing.T) {
	const o, a = 17, 6
	b := mustNew(t, 1000, o, a)
	obs, act, r, next, term := transition(1, o, a)
	n := 8
	var bo, ba, br, bn []float32
	var bt []bool
	for i := 0; i < n; i++ {
		ob, ac, rr, nx, tm := transition(i, o, a)
		bo, ba, br, bn, bt = append(bo, ob...), append(ba, ac...), append(br, rr), append(bn, nx...), append(bt, tm)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	dst := NewBatch(256, o, a)
	if al := testing.AllocsPerRun(2000, func() { _ = b.Add(obs, act, r, next, term) }); al != 0 {
		t.Errorf("Add allocates %v times", al)
	}
	if al := testing.AllocsPerRun(500, func() { _ = b.AddBatch(bo, ba, br, bn, bt, n) }); al != 0 {
		t.Errorf("AddBatch allocates %v times", al)
	}
	if al := testing.AllocsPerRun(200, func() { b.Sample(rng, dst) }); al != 0 {
		t.Errorf("Sample allocates %v times", al)
	}
	if al := testing.AllocsPerRun(200, func() { _ = b.State() }); al != 0 {
		t.Errorf("State allocates %v times", al)
	}
}

func BenchmarkAdd(b *testing.B) {
	const o, a = 17, 6
	buf, _ := New(1_000_000, o, a)
	obs, act, r, next, term := transition(1, o, a)
	b.ReportAllocs()
	for b.Loop() {
		_ = buf.Add(obs, act, r, next, term)
	}
}

func BenchmarkSample256(b *testing.B) {
	const o, a = 17, 6
	buf, _ := New(1_000_000, o, a)
	obs, act, r, next, term := transition(1, o, a)
	for i := 0; i < 1_000_000; i++ {
		_ = buf.Add(obs, act, r, next, term)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	dst := NewBatch(256, o, a)
	b.ReportAllocs()
	for b.Loop() {
		buf.Sample(rng, dst)
	}
}
