package nn

import "fmt"

// Rebind makes p (NumParams elements of Be's memory) the network's
// parameter vector and returns the previous one; the layers view p from
// then on and workspaces stay valid. It copies nothing: Undoable keeps
// the state before a step in the previous buffer and undoes the step by
// binding it back. Code that holds Params across a Rebind holds the old
// buffer: read Params afresh.
func (m *MLP[T]) Rebind(p []T) []T {
	if len(p) != len(m.Params) {
		panic(fmt.Sprintf("nn: MLP.Rebind: %d parameters, the network has %d", len(p), len(m.Params)))
	}
	old := m.Params
	m.Params = p
	m.bind()
	return old
}

// Undoable takes Adam steps on a network so that the last one can be
// undone without copying anything (docs/design.md, "Abandoned updates"):
// Step writes the new parameters and moments into spare buffers
// (Adam.StepTo) and binds them, keeping the old ones as the spares, and
// Undo binds the old ones back and restores the step count. Each step
// costs what an in-place one does; the price is a second copy of the
// parameters and moments in memory.
type Undoable[T Float] struct {
	Net *MLP[T]
	Opt *Adam[T]

	p, m, v []T   // the spares: after a Step, the state before it
	steps   int64 // Opt.Steps before the last Step
	undo    bool  // a Step is there to undo
}

// NewUndoable allocates the spares for net's parameters and opt's moments
// on net's backend.
func NewUndoable[T Float](net *MLP[T], opt *Adam[T]) *Undoable[T] {
	n := net.NumParams()
	if len(opt.M) != n {
		panic(fmt.Sprintf("nn: NewUndoable: the optimiser has %d moments, the network %d parameters", len(opt.M), n))
	}
	return &Undoable[T]{Net: net, Opt: opt, p: net.Be.Alloc(n), m: net.Be.Alloc(n), v: net.Be.Alloc(n)}
}

// Step applies one Adam step from grad, undoably. A non-finite gradient
// is refused (a *NonFiniteError) and changes nothing, not even what Undo
// would undo.
func (u *Undoable[T]) Step(grad []T) error {
	steps := u.Opt.Steps
	oldM, oldV, err := u.Opt.StepTo(u.p, u.Net.Params, grad, u.m, u.v)
	if err != nil {
		return err
	}
	u.p = u.Net.Rebind(u.p)
	u.m, u.v = oldM, oldV
	u.steps, u.undo = steps, true
	return nil
}

// Undo returns the network and the optimiser to their state before the
// last Step, unless Keep or Undo came since (then it does nothing).
func (u *Undoable[T]) Undo() {
	if !u.undo {
		return
	}
	u.p = u.Net.Rebind(u.p)
	u.Opt.M, u.m = u.m, u.Opt.M
	u.Opt.V, u.v = u.v, u.Opt.V
	u.Opt.Steps = u.steps
	u.undo = false
}

// Keep makes the last Step final: Undo does nothing until the next Step.
func (u *Undoable[T]) Keep() { u.undo = false }

// width is widths()[l] without the allocation.
func (s Spec) width(l int) int {
	switch {
	case l == 0:
		return s.inWidth()
	case l <= len(s.Hidden):
		return s.Hidden[l-1]
	}
	return s.Out
}
