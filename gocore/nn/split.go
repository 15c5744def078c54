package nn

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/backend"
)

// The first layer split (docs/algorithm.md §8). The first Dense is linear
// in x0 = concat(x_1, …, x_n, cond), so with W = [W_1; …; W_n; W_c] (the
// row blocks of its [in0×H1] weight matrix)
//
//	z0 = b + Σ_i x_i·W_i + cond·W_c.
//
// Rows that share an input or the times share that input's term:
// FirstBias computes b + cond·W_c once for one value of the times,
// SetGroups computes Σ_i x_i·W_i once per group of rows for the inputs
// given per group (a state shared by K candidates), and ForwardGrouped
// adds the per-row inputs' products and runs the rest of the network.
// The result is Forward's in exact arithmetic; the sums are taken in
// another order, so float32 results differ from Forward's in the last
// bits. These passes are forward-only: they are not recorded, and JVP and
// Backward panic after them until the next Forward.

// FirstWidth is H1, the width of the first Dense's output (the first
// hidden width, or Out without hidden layers).
func (m *MLP[T]) FirstWidth() int { return m.dense[0].Out }

// FirstBias sets row r of dst ([rows×FirstWidth]) to b + cond_r·W_c,
// the first layer's term that depends only on the times: cond_r =
// Σ_j emb_j(times[j][r]) for rows values of the times (times[j] [rows],
// one slice per time input); without time inputs every row is b. A few
// rows cost about what one does (the weights are read once). It computes
// the embeddings in ws (rows ≤ MaxRows) and leaves no recorded pass.
func (m *MLP[T]) FirstBias(ws *Workspace[T], dst []T, times [][]T, rows int) {
	m.checkWorkspace("FirstBias", ws)
	s := m.Spec
	d0 := m.dense[0]
	if rows < 1 || rows > ws.MaxRows || len(times) != s.Times {
		panic(fmt.Sprintf("nn: MLP.FirstBias: %d rows of %d times; the workspace holds 1…%d rows, the network takes %d times",
			rows, len(times), ws.MaxRows, s.Times))
	}
	need("MLP.FirstBias", "dst", dst, rows, d0.Out)
	be := m.Be
	ws.rows = 0
	be.SetRows(dst[:rows*d0.Out], d0.B, rows)
	if s.Times == 0 {
		return
	}
	tw := s.TimeWidth
	cond := ws.bE2[:rows*tw]
	for j, e := range m.emb {
		need("MLP.FirstBias", "times", times[j], rows, 1)
		b := ws.embs[j]
		e.Fourier.ForwardTo(b.feat, times[j], rows)
		e.In.ForwardTo(b.h1, b.feat, rows)
		gp := b.gp1
		if forwardOnly(be) { // not recorded: no GELU′
			gp = nil
		}
		be.LNGELU(b.h1, gp, nil, nil, b.h1, nil, nil, nil, rows, tw)
		if j == 0 {
			e.Out.ForwardTo(cond, b.h1, rows)
		} else {
			e.Out.ForwardTo(ws.bE1, b.h1, rows)
			be.AddRows(cond, tw, ws.bE1, tw, rows, tw)
		}
	}
	wc := d0.W[(s.inWidth()-tw)*d0.Out:]
	be.Gemm(false, false, rows, d0.Out, tw, 1, cond, tw, wc, d0.Out, 1, dst, d0.Out)
}

// SetGroups records in ws the first layer's term of the inputs given once
// per group of rows, the non-nil x[i] ([groups×Inputs[i]]):
// P[g] = Σ_i x_i[g]·W_i for g < groups. ForwardGrouped on ws reads it
// until the next SetGroups or Backward on ws.
func (m *MLP[T]) SetGroups(ws *Workspace[T], x [][]T, groups int) {
	m.checkWorkspace("SetGroups", ws)
	s := m.Spec
	if len(x) != len(s.Inputs) || groups < 1 || groups > ws.MaxRows {
		panic(fmt.Sprintf("nn: MLP.SetGroups: %d inputs for %d groups; the network takes %d inputs, the workspace 1…%d rows",
			len(x), groups, len(s.Inputs), ws.MaxRows))
	}
	d0 := m.dense[0]
	part := ws.bB[:groups*d0.Out]
	ws.groups = 0
	beta, off := T(0), 0
	for i, xi := range x {
		w := s.Inputs[i]
		ws.grouped[i] = xi != nil
		if xi != nil {
			need("MLP.SetGroups", "x", xi, groups, w)
			m.Be.Gemm(false, false, groups, d0.Out, w, 1, xi, w, d0.W[off*d0.Out:], d0.Out, beta, part, d0.Out)
			beta = 1
		}
		off += w
	}
	if beta == 0 {
		panic("nn: MLP.SetGroups: no input given per group")
	}
	ws.groups = groups
}

// Grouped is the input of ForwardGrouped: rows whose times are the same
// and whose other inputs are given per row or, through SetGroups, per
// group of Repeat consecutive rows.
type Grouped[T Float] struct {
	// X[i] is input i per row ([rows×Inputs[i]]), or nil for the inputs
	// given to SetGroups.
	X [][]T
	// Row r takes group (r+Phase)/Repeat of SetGroups' term: Repeat ≥ 1
	// rows per group, the first group Phase rows short (0 ≤ Phase <
	// Repeat). Unused when no input is nil.
	Repeat, Phase int
	// Bias ([FirstWidth]) is FirstBias of the rows' times; nil is the
	// first layer's b alone (networks without time inputs only).
	Bias []T
}

// ForwardGrouped computes out ([rows×Out]) as Forward would for the rows
// described by in (z0 = Bias + P[(r+Phase)/Repeat] + Σ_i x_i[r]·W_i for
// the per-row inputs i), in another summation order. Forward-only: it
// leaves no recorded pass.
func (m *MLP[T]) ForwardGrouped(ws *Workspace[T], out []T, in Grouped[T], rows int) {
	m.checkWorkspace("ForwardGrouped", ws)
	s := m.Spec
	if rows < 1 || rows > ws.MaxRows || len(in.X) != len(s.Inputs) {
		panic(fmt.Sprintf("nn: MLP.ForwardGrouped: %d rows with %d inputs; the workspace holds 1…%d rows, the network takes %d inputs",
			rows, len(in.X), ws.MaxRows, len(s.Inputs)))
	}
	need("MLP.ForwardGrouped", "out", out, rows, s.Out)
	bias := in.Bias
	d0 := m.dense[0]
	if bias == nil {
		if s.Times > 0 {
			panic("nn: MLP.ForwardGrouped: a nil Bias for a network with time inputs (want FirstBias of the rows' times)")
		}
		bias = d0.B
	}
	need("MLP.ForwardGrouped", "Bias", bias, 1, d0.Out)
	be := m.Be
	ws.rows = 0
	L := len(s.Hidden)
	h1 := d0.Out
	z := out
	if L > 0 {
		z = ws.hid[0].z
	}

	grouped := false
	for i, x := range in.X {
		if x == nil {
			grouped = true
			if ws.groups == 0 || !ws.grouped[i] {
				panic(fmt.Sprintf("nn: MLP.ForwardGrouped: input %d is nil but SetGroups did not record it", i))
			}
		} else if ws.groups > 0 && ws.grouped[i] {
			panic(fmt.Sprintf("nn: MLP.ForwardGrouped: input %d is given per row and was given to SetGroups", i))
		} else {
			need("MLP.ForwardGrouped", "X", x, rows, s.Inputs[i])
		}
	}
	if grouped {
		rep, ph := in.Repeat, in.Phase
		if rep < 1 || ph < 0 || ph >= rep {
			panic(fmt.Sprintf("nn: MLP.ForwardGrouped: Repeat %d, Phase %d: want Repeat ≥ 1 and 0 ≤ Phase < Repeat", rep, ph))
		}
		g := (rows-1+ph)/rep + 1
		if g > ws.groups {
			panic(fmt.Sprintf("nn: MLP.ForwardGrouped: %d rows at Repeat %d, Phase %d need %d groups, SetGroups recorded %d", rows, rep, ph, g, ws.groups))
		}
		// base[g] = Bias + P[g], then one copy per row.
		base := ws.bA[:g*h1]
		be.SetRows(base, bias[:h1], g)
		be.AddRows(base, h1, ws.bB, h1, g, h1)
		repeatRows(be, z, base, rows, rep, ph, h1)
	} else {
		be.SetRows(z[:rows*h1], bias[:h1], rows)
	}
	off := 0
	for i, x := range in.X {
		w := s.Inputs[i]
		if x != nil {
			be.Gemm(false, false, rows, h1, w, 1, x, w, d0.W[off*h1:], h1, 1, z, h1)
		}
		off += w
	}
	if L > 0 {
		m.trunk(ws, out, m.activate(ws, 0, rows, nil), 1, rows)
	}
}

// repeatRows sets dst's row r ([rows×w]) to src's row (r+phase)/rep.
func repeatRows[T Float](be backend.Backend[T], dst, src []T, rows, rep, phase, w int) {
	r := 0
	if phase > 0 {
		n := min(rep-phase, rows)
		be.RepeatRows(dst, src[:w], 1, n, w)
		r, src = n, src[w:]
	}
	if full := (rows - r) / rep; full > 0 {
		be.RepeatRows(dst[r*w:], src, full, rep, w)
		r, src = r+full*rep, src[full*w:]
	}
	if r < rows {
		be.RepeatRows(dst[r*w:], src[:w], 1, rows-r, w)
	}
}
