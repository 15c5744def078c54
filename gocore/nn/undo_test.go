package nn

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// Undoable's steps are Adam's steps bit for bit, the network computes
// with the buffer bound last, and Undo returns the network, the moments
// and the step count to their state before the last Step, once.
func TestUndoable(t *testing.T) {
	be := cpu.New[float32]()
	spec := PolicySpec(3, 2, []int{8, 8})
	spec.TimeFeatures, spec.TimeWidth = 4, 4
	rng := newRNG(5)
	net, err := New(be, spec, rng)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := New(be, spec, newRNG(6))
	copy(ref.Params, net.Params)
	opt, refOpt := NewAdam(be, net.NumParams(), 1e-2), NewAdam(be, net.NumParams(), 1e-2)
	u := NewUndoable(net, opt)

	rows := 3
	in := Vars[float32]{X: [][]float32{vec32(rng, rows*2), vec32(rng, rows*3)}, Time: [][]float32{{0.1, 0.5, 0.9}, {0.05, 0.2, 0.3}}}
	out := func(m *MLP[float32]) []float32 {
		y := make([]float32, rows*2)
		m.Forward(m.NewWorkspace(rows, 0), y, in, rows)
		return y
	}
	type state struct {
		p, m, v []float32
		steps   int64
	}
	snap := func() state {
		return state{slices.Clone(net.Params), slices.Clone(opt.M), slices.Clone(opt.V), opt.Steps}
	}
	same := func(a, b state) bool {
		return bits32(a.p, b.p) && bits32(a.m, b.m) && bits32(a.v, b.v) && a.steps == b.steps
	}
	grad := func() []float32 { return vec32(rng, net.NumParams()) }

	u.Undo() // nothing to undo
	for i := 0; i < 3; i++ {
		g := grad()
		before := snap()
		if err := u.Step(g); err != nil {
			t.Fatal(err)
		}
		if err := refOpt.Step(ref.Params, g); err != nil {
			t.Fatal(err)
		}
		if !bits32(net.Params, ref.Params) || !bits32(opt.M, refOpt.M) || !bits32(opt.V, refOpt.V) || opt.Steps != refOpt.Steps {
			t.Fatalf("step %d: not Adam's step", i)
		}
		if !bits32(out(net), out(ref)) {
			t.Fatalf("step %d: the network does not compute with its new parameters", i)
		}
		if i == 1 {
			after := snap()
			u.Undo()
			if !same(snap(), before) || !bits32(out(net), outWith(t, spec, before.p, out)) {
				t.Fatal("Undo did not restore the state before the step")
			}
			u.Undo()
			if !same(snap(), before) {
				t.Fatal("a second Undo changed the state")
			}
			if err := u.Step(g); err != nil || !same(snap(), after) {
				t.Fatalf("the step after Undo differs (%v)", err)
			}
		}
		u.Keep()
		u.Undo()
		if !bits32(net.Params, ref.Params) {
			t.Fatal("Undo after Keep changed the network")
		}
	}
	// A non-finite gradient is refused and leaves nothing to undo.
	before := snap()
	g := grad()
	g[3] = float32(math.Inf(-1))
	var nf *NonFiniteError
	if err := u.Step(g); !errors.As(err, &nf) || nf.Index != 3 || !same(snap(), before) {
		t.Fatalf("Step with an infinite gradient: %v", err)
	}
	u.Undo()
	if !same(snap(), before) {
		t.Fatal("Undo after a refused Step changed the state")
	}
	expectPanic(t, "Rebind of a short buffer", func() { net.Rebind(make([]float32, 3)) })
}

// outWith is the output of a network of spec with parameters p.
func outWith(t *testing.T, spec Spec, p []float32, out func(*MLP[float32]) []float32) []float32 {
	m, err := New(cpu.New[float32](), spec, newRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	copy(m.Params, p)
	return out(m)
}

func vec32(rng interface{ NormFloat64() float64 }, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func bits32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
