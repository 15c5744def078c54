package replay

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/nn"
)

// Buffer is a FIFO ring of transitions; see the package documentation.
type Buffer struct {
	capacity, obsDim, actDim int

	obs, act, reward, nextObs, notDone []float32

	pos int // row the next transition is written to
	n   int // number of stored transitions, ≤ capacity
}

// ArgError reports an invalid argument of New or NewBatch-like
// configuration: Arg is the argument's name, Value its value.
type ArgError struct {
	Arg   string
	Value int
	Want  string
}

func (e *ArgError) Error() string {
	return fmt.Sprintf("replay: %s = %d, want %s", e.Arg, e.Value, e.Want)
}

// NonFiniteError reports a NaN or an infinity in a transition. Field is
// "obs", "act", "reward" or "nextObs"; Row is the transition's row within
// the AddBatch call (0 for Add) and Index the element within that row
// (0 for reward).
type NonFiniteError struct {
	Field string
	Row   int
	Index int
	Value float64
	Limit float64 // > 0: Value is finite but beyond ±Limit (an observation beyond nn.MaxInput)
}

func (e *NonFiniteError) Error() string {
	if e.Limit > 0 {
		return fmt.Sprintf("replay: %s in row %d, element %d is %v, beyond ±%g, the range the networks take", e.Field, e.Row, e.Index, e.Value, e.Limit)
	}
	return fmt.Sprintf("replay: non-finite %s in row %d, element %d: %v", e.Field, e.Row, e.Index, e.Value)
}

// New returns an empty Buffer for capacity transitions with observations
// of obsDim and actions of actDim float32s. Each must be at least 1, and
// the storage size must fit in an int; otherwise the error is an
// *ArgError naming the argument.
func New(capacity, obsDim, actDim int) (*Buffer, error) {
	switch {
	case capacity < 1:
		return nil, &ArgError{Arg: "capacity", Value: capacity, Want: "≥ 1"}
	case obsDim < 1:
		return nil, &ArgError{Arg: "obsDim", Value: obsDim, Want: "≥ 1"}
	case actDim < 1:
		return nil, &ArgError{Arg: "actDim", Value: actDim, Want: "≥ 1"}
	case obsDim > math.MaxInt/capacity || actDim > math.MaxInt/capacity:
		return nil, &ArgError{Arg: "capacity", Value: capacity, Want: "capacity × dimension to fit in an int"}
	}
	return &Buffer{
		capacity: capacity,
		obsDim:   obsDim,
		actDim:   actDim,
		obs:      make([]float32, capacity*obsDim),
		act:      make([]float32, capacity*actDim),
		reward:   make([]float32, capacity),
		nextObs:  make([]float32, capacity*obsDim),
		notDone:  make([]float32, capacity),
	}, nil
}

// Len is the number of stored transitions.
func (b *Buffer) Len() int { return b.n }

// Capacity is the most transitions the buffer holds.
func (b *Buffer) Capacity() int { return b.capacity }

// ObsDim is the width of an observation.
func (b *Buffer) ObsDim() int { return b.obsDim }

// ActDim is the width of an action.
func (b *Buffer) ActDim() int { return b.actDim }

// Add stores the transition (obs, act, reward, nextObs, terminated),
// overwriting the oldest one when the buffer is full. notDone is stored as
// 1 − terminated. A NaN or an infinity anywhere returns a
// *NonFiniteError and leaves the buffer unchanged. obs and nextObs must
// have ObsDim elements and act ActDim, or Add panics.
func (b *Buffer) Add(obs, act []float32, reward float32, nextObs []float32, terminated bool) error {
	if len(obs) != b.obsDim || len(act) != b.actDim || len(nextObs) != b.obsDim {
		panic(b.lengthMessage("Add", 1, len(obs), len(act), 1, len(nextObs), 1))
	}
	if err := checkRow(obs, act, reward, nextObs, 0); err != nil {
		return err
	}
	b.store(b.pos, obs, act, reward, nextObs, terminated)
	b.advance(1)
	return nil
}

// AddBatch stores n transitions in order, as n calls of Add would: obs and
// nextObs are [n×ObsDim] row-major, act [n×ActDim], reward and terminated
// [n]. Every row is validated before any is stored, so on a
// *NonFiniteError (naming the first bad row) the buffer is unchanged.
// Wrong lengths or n < 0 panic. When n exceeds the capacity only the
// last Capacity() rows remain, as with n single adds.
func (b *Buffer) AddBatch(obs, act, reward, nextObs []float32, terminated []bool, n int) error {
	if n < 0 || len(obs) != n*b.obsDim || len(act) != n*b.actDim || len(reward) != n ||
		len(nextObs) != n*b.obsDim || len(terminated) != n {
		panic(b.lengthMessage("AddBatch", n, len(obs), len(act), len(reward), len(nextObs), len(terminated)))
	}
	o, a := b.obsDim, b.actDim
	for i := 0; i < n; i++ {
		if err := checkRow(obs[i*o:(i+1)*o], act[i*a:(i+1)*a], reward[i], nextObs[i*o:(i+1)*o], i); err != nil {
			return err
		}
	}
	// Rows that a later row of this batch would overwrite are skipped.
	first := 0
	if n > b.capacity {
		first = n - b.capacity
	}
	p := (b.pos + first) % b.capacity
	for i := first; i < n; {
		k := min(n-i, b.capacity-p) // rows until the end of the ring
		copy(b.obs[p*o:(p+k)*o], obs[i*o:(i+k)*o])
		copy(b.act[p*a:(p+k)*a], act[i*a:(i+k)*a])
		copy(b.reward[p:p+k], reward[i:i+k])
		copy(b.nextObs[p*o:(p+k)*o], nextObs[i*o:(i+k)*o])
		for j := 0; j < k; j++ {
			b.notDone[p+j] = notDone(terminated[i+j])
		}
		i += k
		p = 0
	}
	b.advance(n)
	return nil
}

// Batch is a sample of N transitions: Obs and NextObs [N×obsDim], Act
// [N×actDim], Reward and NotDone [N] (NotDone = 1 − terminated).
type Batch struct {
	Obs, Act, Reward, NextObs, NotDone []float32
	N                                  int
}

// NewBatch allocates a Batch of n transitions; it panics unless n,
// obsDim and actDim are at least 1.
func NewBatch(n, obsDim, actDim int) *Batch {
	if n < 1 || obsDim < 1 || actDim < 1 {
		panic(fmt.Sprintf("replay: NewBatch(%d, %d, %d): want every size ≥ 1", n, obsDim, actDim))
	}
	return &Batch{
		Obs:     make([]float32, n*obsDim),
		Act:     make([]float32, n*actDim),
		Reward:  make([]float32, n),
		NextObs: make([]float32, n*obsDim),
		NotDone: make([]float32, n),
		N:       n,
	}
}

// Sample fills dst with dst.N transitions drawn uniformly with
// replacement from the stored ones: row i of dst is stored row
// rng.IntN(Len()), for i = 0 … N−1 in order. It panics when the buffer is
// empty or dst's slices do not have the lengths NewBatch(dst.N, ObsDim(),
// ActDim()) gives.
func (b *Buffer) Sample(rng *rand.Rand, dst *Batch) {
	if b.n == 0 {
		panic("replay: Sample from an empty buffer")
	}
	n, o, a := dst.N, b.obsDim, b.actDim
	if n < 0 || len(dst.Obs) != n*o || len(dst.Act) != n*a || len(dst.Reward) != n ||
		len(dst.NextObs) != n*o || len(dst.NotDone) != n {
		panic(b.lengthMessage("Sample: dst", n, len(dst.Obs), len(dst.Act), len(dst.Reward), len(dst.NextObs), len(dst.NotDone)))
	}
	for i := 0; i < n; i++ {
		j := rng.IntN(b.n)
		copy(dst.Obs[i*o:(i+1)*o], b.obs[j*o:(j+1)*o])
		copy(dst.Act[i*a:(i+1)*a], b.act[j*a:(j+1)*a])
		dst.Reward[i] = b.reward[j]
		copy(dst.NextObs[i*o:(i+1)*o], b.nextObs[j*o:(j+1)*o])
		dst.NotDone[i] = b.notDone[j]
	}
}

// State is a buffer's complete contents: the five arrays at full capacity
// (rows at and beyond Len are unused while Len < capacity), the write
// position Pos and the count Len.
type State struct {
	Obs, Act, Reward, NextObs, NotDone []float32
	Pos, Len                           int
}

// State returns the buffer's contents. Its slices alias the storage: they
// are valid until the next Add, AddBatch or Restore, and must not be
// modified.
func (b *Buffer) State() State {
	return State{
		Obs: b.obs, Act: b.act, Reward: b.reward, NextObs: b.nextObs, NotDone: b.notDone,
		Pos: b.pos, Len: b.n,
	}
}

// Restore replaces the buffer's contents with a copy of s, typically read
// from a checkpoint into a buffer made by New with the same capacity and
// dimensions. It returns an error, and leaves the buffer unchanged, when
// an array's length does not match, when Pos and Len are not a reachable
// ring state (0 ≤ Len ≤ capacity, 0 ≤ Pos < capacity, Pos == Len while
// Len < capacity), when a stored row holds a NaN or an infinity (a
// *NonFiniteError), or when a stored NotDone is neither 0 nor 1.
func (b *Buffer) Restore(s State) error {
	c, o, a := b.capacity, b.obsDim, b.actDim
	for _, f := range [...]struct {
		name      string
		got, want int
	}{
		{"Obs", len(s.Obs), c * o}, {"Act", len(s.Act), c * a}, {"Reward", len(s.Reward), c},
		{"NextObs", len(s.NextObs), c * o}, {"NotDone", len(s.NotDone), c},
	} {
		if f.got != f.want {
			return fmt.Errorf("replay: Restore: %s has %d elements, want %d (capacity %d, obsDim %d, actDim %d)",
				f.name, f.got, f.want, c, o, a)
		}
	}
	if s.Len < 0 || s.Len > c || s.Pos < 0 || s.Pos >= c || (s.Len < c && s.Pos != s.Len) {
		return fmt.Errorf("replay: Restore: Pos %d, Len %d is not a state of a ring of capacity %d", s.Pos, s.Len, c)
	}
	for i := 0; i < s.Len; i++ {
		if err := checkRow(s.Obs[i*o:(i+1)*o], s.Act[i*a:(i+1)*a], s.Reward[i], s.NextObs[i*o:(i+1)*o], i); err != nil {
			return err
		}
		if m := s.NotDone[i]; m != 0 && m != 1 {
			return fmt.Errorf("replay: Restore: NotDone[%d] = %v, want 0 or 1", i, m)
		}
	}
	copy(b.obs, s.Obs)
	copy(b.act, s.Act)
	copy(b.reward, s.Reward)
	copy(b.nextObs, s.NextObs)
	copy(b.notDone, s.NotDone)
	b.pos, b.n = s.Pos, s.Len
	return nil
}

// store writes one transition to row p.
func (b *Buffer) store(p int, obs, act []float32, reward float32, nextObs []float32, terminated bool) {
	o, a := b.obsDim, b.actDim
	copy(b.obs[p*o:(p+1)*o], obs)
	copy(b.act[p*a:(p+1)*a], act)
	b.reward[p] = reward
	copy(b.nextObs[p*o:(p+1)*o], nextObs)
	b.notDone[p] = notDone(terminated)
}

// advance moves the write position past k newly stored transitions.
func (b *Buffer) advance(k int) {
	b.pos = (b.pos + k%b.capacity) % b.capacity
	b.n = min(b.n+k, b.capacity)
}

func notDone(terminated bool) float32 {
	if terminated {
		return 0
	}
	return 1
}

// checkRow returns a *NonFiniteError for the first NaN or infinity of
// one transition, row being its row number for the message.
func checkRow(obs, act []float32, reward float32, nextObs []float32, row int) error {
	if err := nn.CheckInput("obs", obs); err != nil {
		return rowError(err, "obs", row)
	}
	if i, v, bad := firstNonFinite(act); bad {
		return &NonFiniteError{Field: "act", Row: row, Index: i, Value: v}
	}
	if !finite(reward) {
		return &NonFiniteError{Field: "reward", Row: row, Value: float64(reward)}
	}
	if err := nn.CheckInput("nextObs", nextObs); err != nil {
		return rowError(err, "nextObs", row)
	}
	return nil
}

// rowError is nn.CheckInput's error as a *NonFiniteError of row.
func rowError(err error, field string, row int) error {
	e := err.(*nn.NonFiniteError)
	return &NonFiniteError{Field: field, Row: row, Index: e.Index, Value: e.Value, Limit: e.Limit}
}

func firstNonFinite(x []float32) (int, float64, bool) {
	for i, v := range x {
		if !finite(v) {
			return i, float64(v), true
		}
	}
	return 0, 0, false
}

// finite reports whether v is neither NaN nor ±Inf: v − v is 0 exactly
// for finite v and NaN otherwise.
func finite(v float32) bool { return v-v == 0 }

// lengthMessage formats the panic message for slices of the wrong length.
func (b *Buffer) lengthMessage(op string, n, obs, act, reward, nextObs, term int) string {
	return fmt.Sprintf("replay: %s: n = %d with obs %d, act %d, reward %d, nextObs %d, terminated/notDone %d elements; want n ≥ 0 and %d, %d, %d, %d, %d (obsDim %d, actDim %d)",
		op, n, obs, act, reward, nextObs, term, n*b.obsDim, n*b.actDim, n, n*b.obsDim, n, b.obsDim, b.actDim)
}
