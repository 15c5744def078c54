package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TimeEmbedding maps a scalar time to a vector (docs/algorithm.md §7):
// Fourier(F) → Dense(2F→W) → GELU → Dense(W→W).
type TimeEmbedding[T Float] struct {
	Fourier Fourier[T]
	In, Out Dense[T]
}

// MLP is a network of the shape Spec describes. It holds the parameters,
// one contiguous vector, and views of them per layer; every pass writes
// into a Workspace.
type MLP[T Float] struct {
	Spec   Spec
	Params []T

	emb   []TimeEmbedding[T]
	dense []Dense[T]     // len(Hidden)+1: the trunk, last one the output layer
	norm  []LayerNorm[T] // len(Hidden) when Spec.LayerNorm

	// Offsets of each layer's parameters in Params (and so in a gradient).
	embOff   []int // Freq; In.W, In.B, Out.W, Out.B follow contiguously
	denseOff []int // W; B follows
	normOff  []int // Scale; Bias follows
}

// New returns an MLP with the paper's initialisation: Glorot-uniform
// Dense weights (limit √(6/(fan_in+fan_out))), zero biases, LayerNorm
// scale 1 and bias 0, Fourier frequencies N(0, 0.2²).
func New[T Float](spec Spec, rng *rand.Rand) (*MLP[T], error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.Inputs = append([]int(nil), spec.Inputs...)
	spec.Hidden = append([]int(nil), spec.Hidden...)
	m := &MLP[T]{Spec: spec}
	n := 0
	for j := 0; j < spec.Times; j++ {
		m.embOff = append(m.embOff, n)
		n += spec.TimeFeatures + denseParams(2*spec.TimeFeatures, spec.TimeWidth) + denseParams(spec.TimeWidth, spec.TimeWidth)
	}
	w := spec.widths()
	for l := 0; l+1 < len(w); l++ {
		m.denseOff = append(m.denseOff, n)
		n += denseParams(w[l], w[l+1])
		if spec.LayerNorm && l+2 < len(w) {
			m.normOff = append(m.normOff, n)
			n += layerNormParams(w[l+1])
		}
	}
	m.Params = make([]T, n)
	m.bind()

	for _, e := range m.emb {
		for k := range e.Fourier.Freq {
			e.Fourier.Freq[k] = T(0.2 * rng.NormFloat64())
		}
		glorot(e.In, rng)
		glorot(e.Out, rng)
	}
	for _, d := range m.dense {
		glorot(d, rng)
	}
	for _, l := range m.norm {
		for k := range l.Scale {
			l.Scale[k] = 1
		}
	}
	return m, nil
}

// bind points the layer views at Params.
func (m *MLP[T]) bind() {
	s := m.Spec
	p := m.Params
	m.emb = m.emb[:0]
	for _, off := range m.embOff {
		f, w := s.TimeFeatures, s.TimeWidth
		e := TimeEmbedding[T]{Fourier: Fourier[T]{F: f, Freq: p[off : off+f]}}
		e.In = denseAt(p, off+f, 2*f, w)
		e.Out = denseAt(p, off+f+denseParams(2*f, w), w, w)
		m.emb = append(m.emb, e)
	}
	w := s.widths()
	m.dense, m.norm = m.dense[:0], m.norm[:0]
	for l, off := range m.denseOff {
		m.dense = append(m.dense, denseAt(p, off, w[l], w[l+1]))
	}
	for l, off := range m.normOff {
		k := w[l+1]
		m.norm = append(m.norm, LayerNorm[T]{N: k, Scale: p[off : off+k], Bias: p[off+k : off+2*k]})
	}
}

func denseAt[T Float](p []T, off, in, out int) Dense[T] {
	return Dense[T]{In: in, Out: out, W: p[off : off+in*out], B: p[off+in*out : off+in*out+out]}
}

func glorot[T Float](d Dense[T], rng *rand.Rand) {
	limit := math.Sqrt(6 / float64(d.In+d.Out))
	for k := range d.W {
		d.W[k] = T(limit * (2*rng.Float64() - 1))
	}
}

// NumParams is len(Params).
func (m *MLP[T]) NumParams() int { return len(m.Params) }

// Vars names a network's per-row inputs, or their tangents, or their
// gradients: X[i] is [rows×Spec.Inputs[i]] and Time[j] is [rows] (for
// tangents, [rows×P×width] and [rows×P]).
type Vars[T Float] struct {
	X    [][]T
	Time [][]T
}

// Workspace holds what the passes of one MLP write: the recorded forward
// pass, the tangents and the backward scratch, sized for at most MaxRows
// rows and MaxTangents tangents per row.
type Workspace[T Float] struct {
	m                    *MLP[T]
	MaxRows, MaxTangents int
	rows                 int // rows of the recorded forward pass

	x0    []T   // [rows×in0] concat(inputs…, cond)
	times [][]T // copies of the time inputs, [rows] each
	embs  []embBufs[T]
	hid   []hiddenBufs[T]
	tmp   []T // one row of LayerNorm output, the GELU input

	// JVP: tx0 [rows·P×in0]; tA, tB ping-pong [rows·P×maxWidth]; the
	// embedding tangents tFeat [rows·P×2F], tE1, tE2 [rows·P×W].
	tx0, tA, tB, tFeat, tE1, tE2 []T

	// Backward: bx0 [rows×in0]; bA, bB [rows×maxWidth]; bFeat [rows×2F];
	// bE1, bE2 [rows×W].
	bx0, bA, bB, bFeat, bE1, bE2 []T
}

type embBufs[T Float] struct{ feat, h1, gp1 []T }

type hiddenBufs[T Float] struct{ xhat, rstd, gp, h []T }

// NewWorkspace allocates the buffers for batches of up to maxRows rows
// and JVPs of up to maxTangents tangents per row (0: no JVP).
func (m *MLP[T]) NewWorkspace(maxRows, maxTangents int) *Workspace[T] {
	if maxRows < 1 || maxTangents < 0 {
		panic(fmt.Sprintf("nn: NewWorkspace: maxRows %d, maxTangents %d", maxRows, maxTangents))
	}
	s := m.Spec
	in0, mw := s.inWidth(), s.maxWidth()
	f2, tw := 2*s.TimeFeatures, s.TimeWidth
	ws := &Workspace[T]{m: m, MaxRows: maxRows, MaxTangents: maxTangents}
	r, rp := maxRows, maxRows*maxTangents
	ws.x0 = make([]T, r*in0)
	for j := 0; j < s.Times; j++ {
		ws.times = append(ws.times, make([]T, r))
		ws.embs = append(ws.embs, embBufs[T]{feat: make([]T, r*f2), h1: make([]T, r*tw), gp1: make([]T, r*tw)})
	}
	for _, w := range s.Hidden {
		ws.hid = append(ws.hid, hiddenBufs[T]{xhat: make([]T, r*w), rstd: make([]T, r), gp: make([]T, r*w), h: make([]T, r*w)})
	}
	ws.tmp = make([]T, mw)
	ws.tx0, ws.tA, ws.tB = make([]T, rp*in0), make([]T, rp*mw), make([]T, rp*mw)
	ws.bx0, ws.bA, ws.bB = make([]T, r*in0), make([]T, r*mw), make([]T, r*mw)
	if s.Times > 0 {
		ws.tFeat, ws.tE1, ws.tE2 = make([]T, rp*f2), make([]T, rp*tw), make([]T, rp*tw)
		ws.bFeat, ws.bE1, ws.bE2 = make([]T, r*f2), make([]T, r*tw), make([]T, r*tw)
	}
	return ws
}

// checkVars panics unless v matches the spec for rows rows and p values
// per row; nilOK allows nil entries (zero tangents, unwanted gradients).
func (m *MLP[T]) checkVars(op, what string, v Vars[T], rows, p int, nilOK bool) {
	s := m.Spec
	if len(v.X) != len(s.Inputs) || len(v.Time) != s.Times {
		panic(fmt.Sprintf("nn: MLP.%s: %s has %d vector and %d time inputs, the network takes %d and %d",
			op, what, len(v.X), len(v.Time), len(s.Inputs), s.Times))
	}
	for i, x := range v.X {
		if x == nil && nilOK {
			continue
		}
		if len(x) < rows*p*s.Inputs[i] {
			panic(fmt.Sprintf("nn: MLP.%s: %s X[%d] has %d elements, want %d×%d×%d", op, what, i, len(x), rows, p, s.Inputs[i]))
		}
	}
	for j, t := range v.Time {
		if t == nil && nilOK {
			continue
		}
		if len(t) < rows*p {
			panic(fmt.Sprintf("nn: MLP.%s: %s Time[%d] has %d elements, want %d×%d", op, what, j, len(t), rows, p))
		}
	}
}

// Forward computes out ([rows×Out]) from in and records the pass in ws
// for JVP and Backward.
func (m *MLP[T]) Forward(ws *Workspace[T], out []T, in Vars[T], rows int) {
	m.checkWorkspace("Forward", ws)
	if rows < 1 || rows > ws.MaxRows {
		panic(fmt.Sprintf("nn: MLP.Forward: rows = %d, workspace holds 1…%d", rows, ws.MaxRows))
	}
	m.checkVars("Forward", "input", in, rows, 1, false)
	need("MLP.Forward", "out", out, rows, m.Spec.Out)
	ws.rows = rows
	s := m.Spec
	in0 := s.inWidth()
	scatterCols(ws.x0, in0, in.X, s.Inputs, rows)

	// cond = Σ_j emb_j(time_j), written into the last TimeWidth columns of x0.
	cond := in0 - s.TimeWidth
	for j, e := range m.emb {
		b := ws.embs[j]
		copy(ws.times[j][:rows], in.Time[j])
		e.Fourier.ForwardTo(b.feat, in.Time[j], rows)
		e.In.ForwardTo(b.h1, b.feat, rows)
		GELUForwardTo(b.h1, b.gp1, b.h1, rows*s.TimeWidth)
		e.Out.ForwardTo(ws.bE1, b.h1, rows) // bE1 is free scratch here
		addCols(ws.x0, in0, cond, ws.bE1, s.TimeWidth, rows, j == 0)
	}

	x := ws.x0
	for l, d := range m.dense[:len(s.Hidden)] {
		b := ws.hid[l]
		w := d.Out
		d.ForwardTo(b.xhat, x, rows)
		for i := 0; i < rows; i++ {
			z := b.xhat[i*w : (i+1)*w]
			if s.LayerNorm {
				b.rstd[i] = m.norm[l].forwardRow(ws.tmp[:w], z)
				z = ws.tmp[:w]
			}
			geluRow(b.h[i*w:(i+1)*w], b.gp[i*w:(i+1)*w], z)
		}
		x = b.h
	}
	m.dense[len(s.Hidden)].ForwardTo(out, x, rows)
}

// JVP computes the output tangents dout ([rows×P×Out]) of the recorded
// forward pass for the input tangents din (X[i] [rows×P×width], Time[j]
// [rows×P]; a nil entry is a zero tangent). The tangents are with respect
// to the inputs only; parameters are constants.
func (m *MLP[T]) JVP(ws *Workspace[T], dout []T, din Vars[T], p int) {
	m.checkWorkspace("JVP", ws)
	rows := ws.rows
	if rows == 0 || p < 1 || p > ws.MaxTangents {
		panic(fmt.Sprintf("nn: MLP.JVP: %d recorded rows, %d tangents, workspace holds up to %d tangents", rows, p, ws.MaxTangents))
	}
	m.checkVars("JVP", "tangent", din, rows, p, true)
	s := m.Spec
	need("MLP.JVP", "dout", dout, rows*p, s.Out)
	in0 := s.inWidth()
	scatterCols(ws.tx0, in0, din.X, s.Inputs, rows*p)

	cond := in0 - s.TimeWidth
	first := true
	for j, e := range m.emb {
		if din.Time[j] == nil {
			continue
		}
		b := ws.embs[j]
		e.Fourier.JVPTo(ws.tFeat, din.Time[j], b.feat, rows, p)
		e.In.JVPTo(ws.tE1, ws.tFeat, rows*p)
		GELUJVPTo(ws.tE1, ws.tE1, b.gp1, rows, p, s.TimeWidth)
		e.Out.JVPTo(ws.tE2, ws.tE1, rows*p)
		addCols(ws.tx0, in0, cond, ws.tE2, s.TimeWidth, rows*p, first)
		first = false
	}
	if first && s.Times > 0 {
		zeroCols(ws.tx0, in0, cond, s.TimeWidth, rows*p)
	}

	x := ws.tx0
	for l, d := range m.dense[:len(s.Hidden)] {
		b := ws.hid[l]
		w := d.Out
		y := [2][]T{ws.tA, ws.tB}[l%2]
		d.JVPTo(y, x, rows*p)
		if s.LayerNorm { // LayerNorm's tangent times GELU's derivative
			for i := 0; i < rows*p; i++ {
				r := i / p
				t := y[i*w : (i+1)*w]
				m.norm[l].jvpRow(t, t, b.xhat[r*w:(r+1)*w], b.rstd[r], b.gp[r*w:(r+1)*w])
			}
		} else {
			GELUJVPTo(y, y, b.gp, rows, p, w)
		}
		x = y
	}
	m.dense[len(s.Hidden)].JVPTo(dout, x, rows*p)
}

// Backward accumulates into grad (len NumParams) the gradient of
// Σ dout⊙out with respect to the parameters, for the recorded forward
// pass, and writes the input gradients into the non-nil entries of din.
func (m *MLP[T]) Backward(ws *Workspace[T], dout, grad []T, din Vars[T]) {
	m.checkWorkspace("Backward", ws)
	rows := ws.rows
	if rows == 0 {
		panic("nn: MLP.Backward: no recorded forward pass")
	}
	s := m.Spec
	need("MLP.Backward", "dout", dout, rows, s.Out)
	need("MLP.Backward", "grad", grad, 1, len(m.Params))
	m.checkVars("Backward", "input gradient", din, rows, 1, true)
	in0 := s.inWidth()

	L := len(s.Hidden)
	dy := dout
	for l := L; l >= 0; l-- {
		d := m.dense[l]
		x := ws.x0
		if l > 0 {
			x = ws.hid[l-1].h
		}
		dx := ws.bx0
		if l > 0 {
			dx = [2][]T{ws.bA, ws.bB}[(L-l)%2]
		} else if !m.needsInputGradient(din) {
			dx = nil
		}
		off := m.denseOff[l]
		d.BackwardTo(dx, grad[off:off+d.In*d.Out], grad[off+d.In*d.Out:off+d.In*d.Out+d.Out], dy, x, rows)
		if l == 0 {
			break
		}
		// Through GELU and LayerNorm of hidden layer l−1, in place.
		b := ws.hid[l-1]
		w := d.In
		if s.LayerNorm { // GELU's derivative, then LayerNorm
			no := m.normOff[l-1]
			for i := 0; i < rows; i++ {
				r := dx[i*w : (i+1)*w]
				m.norm[l-1].backwardRow(r, grad[no:no+w], grad[no+w:no+2*w], r, b.xhat[i*w:(i+1)*w], b.rstd[i], b.gp[i*w:(i+1)*w])
			}
		} else {
			GELUBackwardTo(dx, dx, b.gp, rows*w)
		}
		dy = dx
	}

	if !m.needsInputGradient(din) {
		return
	}
	gatherCols(din.X, s.Inputs, ws.bx0, in0, rows)
	cond := in0 - s.TimeWidth
	for j, e := range m.emb {
		b := ws.embs[j]
		w := s.TimeWidth
		for i := 0; i < rows; i++ {
			copy(ws.bE1[i*w:(i+1)*w], ws.bx0[i*in0+cond:i*in0+cond+w])
		}
		off := m.embOff[j]
		f := s.TimeFeatures
		o1 := off + f                  // In.W
		o2 := o1 + denseParams(2*f, w) // Out.W
		e.Out.BackwardTo(ws.bE2, grad[o2:o2+w*w], grad[o2+w*w:o2+w*w+w], ws.bE1, b.h1, rows)
		GELUBackwardTo(ws.bE2, ws.bE2, b.gp1, rows*w)
		e.In.BackwardTo(ws.bFeat, grad[o1:o1+2*f*w], grad[o1+2*f*w:o1+2*f*w+w], ws.bE2, b.feat, rows)
		e.Fourier.BackwardTo(din.Time[j], grad[off:off+f], ws.bFeat, ws.times[j], b.feat, rows)
	}
}

// needsInputGradient reports whether Backward must compute the gradient
// of x0: for the time embeddings' parameters, or for a requested input
// gradient.
func (m *MLP[T]) needsInputGradient(din Vars[T]) bool {
	if m.Spec.Times > 0 {
		return true
	}
	for _, x := range din.X {
		if x != nil {
			return true
		}
	}
	return false
}

func (m *MLP[T]) checkWorkspace(op string, ws *Workspace[T]) {
	if ws == nil || ws.m != m {
		panic("nn: MLP." + op + ": workspace belongs to another network")
	}
}

// scatterCols copies the blocks xs[i] ([rows×widths[i]]) side by side into
// the first columns of dst ([rows×ld]); a nil block writes zeros.
func scatterCols[T Float](dst []T, ld int, xs [][]T, widths []int, rows int) {
	c := 0
	for i, x := range xs {
		w := widths[i]
		for r := 0; r < rows; r++ {
			d := dst[r*ld+c : r*ld+c+w]
			if x == nil {
				clear(d)
			} else {
				copy(d, x[r*w:(r+1)*w])
			}
		}
		c += w
	}
}

// gatherCols is scatterCols' adjoint: it copies the side-by-side blocks of
// src into the non-nil xs[i].
func gatherCols[T Float](xs [][]T, widths []int, src []T, ld, rows int) {
	c := 0
	for i, x := range xs {
		w := widths[i]
		if x != nil {
			for r := 0; r < rows; r++ {
				copy(x[r*w:(r+1)*w], src[r*ld+c:r*ld+c+w])
			}
		}
		c += w
	}
}

// addCols sets (overwrite) or adds src ([rows×w]) into columns c…c+w of
// dst ([rows×ld]).
func addCols[T Float](dst []T, ld, c int, src []T, w, rows int, overwrite bool) {
	for r := 0; r < rows; r++ {
		d := dst[r*ld+c : r*ld+c+w]
		s := src[r*w : (r+1)*w]
		if overwrite {
			copy(d, s)
			continue
		}
		for k, v := range s {
			d[k] += v
		}
	}
}

func zeroCols[T Float](dst []T, ld, c, w, rows int) {
	for r := 0; r < rows; r++ {
		clear(dst[r*ld+c : r*ld+c+w])
	}
}
