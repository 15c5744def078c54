package mfpo

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mfpo/mfpo/gocore/replay"
)

// transitions are rows of random transitions, row-major as StoreBatch
// takes them.
type transitions struct {
	obs, act, reward, next []float32
	term                   []bool
	rows                   int
}

func randomTransitions(a *Agent, rows int, seed uint64) transitions {
	rng := newTestRNG(seed)
	tr := transitions{
		obs: make([]float32, rows*a.Spaces.ObsDim), act: make([]float32, rows*a.Spaces.ActDim), reward: make([]float32, rows),
		next: make([]float32, rows*a.Spaces.ObsDim), term: make([]bool, rows), rows: rows,
	}
	for i := range tr.obs {
		tr.obs[i], tr.next[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for i := range tr.act {
		tr.act[i] = float32(2*rng.Float64() - 1)
	}
	for i := range tr.reward {
		tr.reward[i], tr.term[i] = float32(rng.NormFloat64()), rng.IntN(3) == 0
	}
	return tr
}

func (tr transitions) storeBatch(a *Agent) error {
	return a.StoreBatch(tr.obs, tr.act, tr.reward, tr.next, tr.term, tr.rows)
}

// storeEach stores the rows one by one with Store.
func (tr transitions) storeEach(t *testing.T, a *Agent) {
	t.Helper()
	o, d := a.Spaces.ObsDim, a.Spaces.ActDim
	for i := 0; i < tr.rows; i++ {
		if err := a.Store(tr.obs[i*o:(i+1)*o], tr.act[i*d:(i+1)*d], tr.reward[i], tr.next[i*o:(i+1)*o], tr.term[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// bufferState is a copy of everything StoreBatch may change.
type bufferState struct {
	replay.State
	stored int64
}

func stateOf(a *Agent) bufferState {
	s := a.Buffer.State()
	return bufferState{replay.State{
		Obs: slices.Clone(s.Obs), Act: slices.Clone(s.Act), Reward: slices.Clone(s.Reward),
		NextObs: slices.Clone(s.NextObs), NotDone: slices.Clone(s.NotDone), Pos: s.Pos, Len: s.Len,
	}, a.Stored}
}

// equal compares bit patterns (the two buffers have the same capacity).
func (s bufferState) equal(u bufferState) bool {
	return sameBits([][]float32{s.Obs, s.Act, s.Reward, s.NextObs, s.NotDone},
		[][]float32{u.Obs, u.Act, u.Reward, u.NextObs, u.NotDone}) &&
		s.Pos == u.Pos && s.Len == u.Len && s.stored == u.stored
}

func smallBufferConfig() Config {
	c := tinyConfig()
	c.BatchSize, c.BufferSize = 4, 7
	return c
}

func TestStoreBatchEqualsStoringRowByRow(t *testing.T) {
	cfg := smallBufferConfig()
	batched, single := newTiny(t, cfg, 3, 2), newTiny(t, cfg, 3, 2)
	// Batch sizes that fill the ring of 7 partly, wrap it, store nothing,
	// and exceed its capacity (the early rows are overwritten by later
	// ones of the same batch).
	for k, rows := range []int{3, 1, 5, 0, 7, 10, 2, 16} {
		tr := randomTransitions(batched, rows, uint64(k))
		if err := tr.storeBatch(batched); err != nil {
			t.Fatalf("batch %d of %d rows: %v", k, rows, err)
		}
		tr.storeEach(t, single)
		if got, want := stateOf(batched), stateOf(single); !got.equal(want) {
			t.Fatalf("after batch %d of %d rows: StoreBatch gives %+v,\nrow-by-row Store %+v", k, rows, got, want)
		}
	}
	if want := int64(3 + 1 + 5 + 7 + 10 + 2 + 16); batched.Stored != want {
		t.Fatalf("Stored = %d, want %d", batched.Stored, want)
	}
	if nd := stateOf(batched).NotDone; !slices.Contains(nd, 0) || !slices.Contains(nd, 1) {
		t.Fatalf("NotDone %v: the test should store both terminal and non-terminal rows", nd)
	}
}

func TestStoreBatchRejectsNonFiniteRowsWhole(t *testing.T) {
	a := newTiny(t, smallBufferConfig(), 3, 2)
	if err := randomTransitions(a, 5, 1).storeBatch(a); err != nil {
		t.Fatal(err)
	}
	before := stateOf(a)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	const rows, last = 6, 5
	for _, c := range []struct {
		field string
		index int
		value float32
		set   func(tr transitions)
	}{
		{"obs", 2, nan, func(tr transitions) { tr.obs[last*3+2] = nan }},
		{"act", 1, -inf, func(tr transitions) { tr.act[last*2+1] = -inf }},
		{"reward", 0, inf, func(tr transitions) { tr.reward[last] = inf }},
		{"nextObs", 0, nan, func(tr transitions) { tr.next[last*3] = nan }},
	} {
		tr := randomTransitions(a, rows, 2)
		c.set(tr)
		err := tr.storeBatch(a)
		var nf *replay.NonFiniteError
		if !errors.As(err, &nf) {
			t.Fatalf("%s: StoreBatch returned %v, want a *replay.NonFiniteError", c.field, err)
		}
		sameValue := nf.Value == float64(c.value) || math.IsNaN(nf.Value) && c.value != c.value
		if nf.Field != c.field || nf.Row != last || nf.Index != c.index || !sameValue {
			t.Errorf("%s: error %+v, want field %s, row %d, element %d, value %v", c.field, *nf, c.field, last, c.index, c.value)
		}
		if msg := err.Error(); !strings.Contains(msg, c.field) || !strings.Contains(msg, "row 5") {
			t.Errorf("%s: message %q does not name the field and row 5", c.field, msg)
		}
		if !stateOf(a).equal(before) {
			t.Fatalf("%s: a rejected batch changed the buffer or Stored", c.field)
		}
	}
}

func TestStoreBatchPanicsOnWrongLengths(t *testing.T) {
	a := newTiny(t, smallBufferConfig(), 3, 2)
	before := stateOf(a)
	for _, c := range []struct {
		name string
		cut  func(tr *transitions)
	}{
		{"obs", func(tr *transitions) { tr.obs = tr.obs[1:] }},
		{"act", func(tr *transitions) { tr.act = append(tr.act, 0) }},
		{"reward", func(tr *transitions) { tr.reward = tr.reward[:2] }},
		{"nextObs", func(tr *transitions) { tr.next = tr.next[:0] }},
		{"terminated", func(tr *transitions) { tr.term = tr.term[1:] }},
		{"rows", func(tr *transitions) { tr.rows = 4 }},
		{"negative rows", func(tr *transitions) { tr.rows = -3 }},
	} {
		tr := randomTransitions(a, 3, 3)
		c.cut(&tr)
		func() {
			defer func() {
				r := recover()
				if msg, _ := r.(string); !strings.Contains(msg, "AddBatch") {
					t.Errorf("%s: recovered %v, want a panic that names AddBatch and the lengths", c.name, r)
				}
			}()
			err := tr.storeBatch(a)
			t.Errorf("%s: StoreBatch returned %v, want a panic", c.name, err)
		}()
		if !stateOf(a).equal(before) {
			t.Fatalf("%s: wrong lengths changed the buffer or Stored", c.name)
		}
	}
}

func TestStoreBatchAllocatesNothing(t *testing.T) {
	a := newTiny(t, smallBufferConfig(), 3, 2)
	tr := randomTransitions(a, 5, 4)
	if n := testing.AllocsPerRun(100, func() {
		if err := tr.storeBatch(a); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("StoreBatch allocates %v times a call", n)
	}
}
