package nn

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mfpo/mfpo/gocore/backend"
)

// TimeEmbedding maps a scalar time to a vector (docs/algorithm.md §7):
// Fourier(F) → Dense(2F→W) → GELU → Dense(W→W).
type TimeEmbedding[T Float] struct {
	Fourier Fourier[T]
	In, Out Dense[T]
}

// MLP is a network of the shape Spec describes. It holds the parameters,
// one contiguous vector of the backend Be, and views of them per layer;
// every pass writes into a Workspace of the same backend.
type MLP[T Float] struct {
	Spec   Spec
	Params []T
	Be     backend.Backend[T]

	emb   []TimeEmbedding[T]
	dense []Dense[T]     // len(Hidden)+1: the trunk, last one the output layer
	norm  []LayerNorm[T] // len(Hidden) when Spec.LayerNorm

	// Offsets of each layer's parameters in Params (and so in a gradient).
	embOff   []int // Freq; In.W, In.B, Out.W, Out.B follow contiguously
	denseOff []int // W; B follows
	normOff  []int // Scale; Bias follows
}

// New returns an MLP on the backend be with the paper's initialisation:
// Glorot-uniform Dense weights (limit √(6/(fan_in+fan_out))), zero
// biases, LayerNorm scale 1 and bias 0, Fourier frequencies N(0, 0.2²).
// The parameters are drawn on the host into the backend's buffer.
func New[T Float](be backend.Backend[T], spec Spec, rng *rand.Rand) (*MLP[T], error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	spec.Inputs = append([]int(nil), spec.Inputs...)
	spec.Hidden = append([]int(nil), spec.Hidden...)
	m := &MLP[T]{Spec: spec, Be: be}
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
	m.Params = be.Alloc(n)
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
		e := TimeEmbedding[T]{Fourier: Fourier[T]{F: f, Freq: p[off : off+f], Be: m.Be}}
		e.In = denseAt(m.Be, p, off+f, 2*f, w)
		e.Out = denseAt(m.Be, p, off+f+denseParams(2*f, w), w, w)
		m.emb = append(m.emb, e)
	}
	m.dense, m.norm = m.dense[:0], m.norm[:0] // (allocation-free: Rebind binds at every update)
	for l, off := range m.denseOff {
		m.dense = append(m.dense, denseAt(m.Be, p, off, s.width(l), s.width(l+1)))
	}
	for l, off := range m.normOff {
		k := s.width(l + 1)
		m.norm = append(m.norm, LayerNorm[T]{N: k, Scale: p[off : off+k], Bias: p[off+k : off+2*k]})
	}
}

func denseAt[T Float](be backend.Backend[T], p []T, off, in, out int) Dense[T] {
	return Dense[T]{In: in, Out: out, W: p[off : off+in*out], B: p[off+in*out : off+in*out+out], Be: be}
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

	// JVP: tx0 [rows·P×in0]; tA, tB ping-pong [rows·P×maxWidth]; the
	// embedding tangents tFeat [rows·P×2F], tE1, tE2 [rows·P×W].
	tx0, tA, tB, tFeat, tE1, tE2 []T

	// Backward: bx0 [rows×in0]; bA, bB [rows×maxWidth]; bFeat [rows×2F];
	// bE1, bE2 [rows×W]. The forward-only passes of split.go use them as
	// scratch: FirstBias bE1, bE2; SetGroups keeps its term in bB,
	// ForwardGrouped its per-group base in bA.
	bx0, bA, bB, bFeat, bE1, bE2 []T

	// SetGroups' term: groups rows in bB (0: none), for the inputs i
	// with grouped[i].
	groups  int
	grouped []bool
}

type embBufs[T Float] struct{ feat, h1, gp1 []T }

// hiddenBufs of a hidden layer: z the Dense output, x̂ and 1/σ of its
// LayerNorm, GELU′ and the activation h.
type hiddenBufs[T Float] struct{ z, xhat, rstd, gp, h []T }

// NewWorkspace allocates the buffers for batches of up to maxRows rows
// and JVPs of up to maxTangents tangents per row (0: no JVP).
func (m *MLP[T]) NewWorkspace(maxRows, maxTangents int) *Workspace[T] {
	if maxRows < 1 || maxTangents < 0 {
		panic(fmt.Sprintf("nn: NewWorkspace: maxRows %d, maxTangents %d", maxRows, maxTangents))
	}
	s := m.Spec
	in0, mw := s.inWidth(), s.maxWidth()
	f2, tw := 2*s.TimeFeatures, s.TimeWidth
	ws := &Workspace[T]{m: m, MaxRows: maxRows, MaxTangents: maxTangents, grouped: make([]bool, len(s.Inputs))}
	r, rp := maxRows, maxRows*maxTangents
	alloc := m.Be.Alloc
	ws.x0 = alloc(r * in0)
	for j := 0; j < s.Times; j++ {
		ws.times = append(ws.times, alloc(r))
		ws.embs = append(ws.embs, embBufs[T]{feat: alloc(r * f2), h1: alloc(r * tw), gp1: alloc(r * tw)})
	}
	for _, w := range s.Hidden {
		hb := hiddenBufs[T]{z: alloc(r * w), rstd: alloc(r), gp: alloc(r * w), h: alloc(r * w)}
		hb.xhat = hb.z // LNGELU turns z into x̂ in place
		if !s.LayerNorm {
			hb.xhat = nil
		}
		ws.hid = append(ws.hid, hb)
	}
	ws.tx0, ws.tA, ws.tB = alloc(rp*in0), alloc(rp*mw), alloc(rp*mw)
	ws.bx0, ws.bA, ws.bB = alloc(r*in0), alloc(r*mw), alloc(r*mw)
	if s.Times > 0 {
		ws.tFeat, ws.tE1, ws.tE2 = alloc(rp*f2), alloc(rp*tw), alloc(rp*tw)
		ws.bFeat, ws.bE1, ws.bE2 = alloc(r*f2), alloc(r*tw), alloc(r*tw)
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
	be := m.Be
	in0 := s.inWidth()
	m.scatterCols(ws.x0, in0, in.X, rows)

	// cond = Σ_j emb_j(time_j), written into the last TimeWidth columns of x0.
	cond := in0 - s.TimeWidth
	tw := s.TimeWidth
	for j, e := range m.emb {
		b := ws.embs[j]
		be.Copy(ws.times[j][:rows], in.Time[j][:rows])
		e.Fourier.ForwardTo(b.feat, in.Time[j], rows)
		e.In.ForwardTo(b.h1, b.feat, rows)
		be.LNGELU(b.h1, b.gp1, nil, nil, b.h1, nil, nil, nil, rows, tw)
		e.Out.ForwardTo(ws.bE1, b.h1, rows) // bE1 is free scratch here
		if j == 0 {
			be.CopyRows(ws.x0[cond:], in0, ws.bE1, tw, rows, tw)
		} else {
			be.AddRows(ws.x0[cond:], in0, ws.bE1, tw, rows, tw)
		}
	}

	m.trunk(ws, out, ws.x0, 0, rows)
}

// trunk runs the trunk's Dense layers from layer l0, whose input is x
// ([rows×width]), to out, recording the hidden layers in ws.
func (m *MLP[T]) trunk(ws *Workspace[T], out, x []T, l0, rows int) {
	L := len(m.Spec.Hidden)
	for l := l0; l < L; l++ {
		d := m.dense[l]
		var bias []T
		if m.Spec.LayerNorm {
			d.JVPTo(ws.hid[l].z, x, rows) // x·W alone: LNGELU adds the bias in its first pass
			bias = d.B
		} else {
			d.ForwardTo(ws.hid[l].z, x, rows)
		}
		x = m.activate(ws, l, rows, bias)
	}
	m.dense[L].ForwardTo(out, x, rows)
}

// activate applies hidden layer l's LayerNorm (when the spec has it) and
// GELU to its Dense output ws.hid[l].z plus bias (nil: none; only with
// LayerNorm) and returns the activation h.
func (m *MLP[T]) activate(ws *Workspace[T], l, rows int, bias []T) []T {
	b := ws.hid[l]
	var gamma, beta []T
	if m.Spec.LayerNorm {
		gamma, beta = m.norm[l].Scale, m.norm[l].Bias
	}
	gp, xhat, rstd := b.gp, b.xhat, b.rstd
	if ws.rows == 0 && forwardOnly(m.Be) { // not recorded (split.go): h alone
		gp, xhat, rstd = nil, nil, nil
	}
	m.Be.LNGELU(b.h, gp, xhat, rstd, b.z, bias, gamma, beta, rows, m.Spec.Hidden[l])
	return b.h
}

// forwardOnly reports whether be's LNGELU takes a nil gp
// (backend.ForwardOnly).
func forwardOnly[T Float](be backend.Backend[T]) bool {
	_, ok := be.(backend.ForwardOnly)
	return ok
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
	be := m.Be
	in0 := s.inWidth()
	m.scatterCols(ws.tx0, in0, din.X, rows*p)

	cond := in0 - s.TimeWidth
	tw := s.TimeWidth
	first := true
	for j, e := range m.emb {
		if din.Time[j] == nil {
			continue
		}
		b := ws.embs[j]
		e.Fourier.JVPTo(ws.tFeat, din.Time[j], b.feat, rows, p)
		e.In.JVPTo(ws.tE1, ws.tFeat, rows*p)
		be.LNGELUJVP(ws.tE1, ws.tE1, nil, nil, b.gp1, nil, rows, p, tw)
		e.Out.JVPTo(ws.tE2, ws.tE1, rows*p)
		if first {
			be.CopyRows(ws.tx0[cond:], in0, ws.tE2, tw, rows*p, tw)
		} else {
			be.AddRows(ws.tx0[cond:], in0, ws.tE2, tw, rows*p, tw)
		}
		first = false
	}
	if first && s.Times > 0 {
		be.CopyRows(ws.tx0[cond:], in0, nil, 0, rows*p, tw)
	}

	x := ws.tx0
	for l, d := range m.dense[:len(s.Hidden)] {
		b := ws.hid[l]
		y := [2][]T{ws.tA, ws.tB}[l%2]
		d.JVPTo(y, x, rows*p)
		// LayerNorm's tangent times GELU's derivative, in place.
		var gamma []T
		if s.LayerNorm {
			gamma = m.norm[l].Scale
		}
		be.LNGELUJVP(y, y, b.xhat, b.rstd, b.gp, gamma, rows, p, d.Out)
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
	ws.groups = 0 // bA and bB are overwritten

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
		var gamma, dgamma, dbeta []T
		if s.LayerNorm {
			no := m.normOff[l-1]
			gamma, dgamma, dbeta = m.norm[l-1].Scale, grad[no:no+w], grad[no+w:no+2*w]
		}
		m.Be.LNGELUBackward(dx, dgamma, dbeta, dx, b.xhat, b.rstd, b.gp, gamma, rows, w)
		dy = dx
	}

	if !m.needsInputGradient(din) {
		return
	}
	m.gatherCols(din.X, ws.bx0, in0, rows)
	cond := in0 - s.TimeWidth
	for j, e := range m.emb {
		b := ws.embs[j]
		w := s.TimeWidth
		m.Be.CopyRows(ws.bE1, w, ws.bx0[cond:], in0, rows, w)
		off := m.embOff[j]
		f := s.TimeFeatures
		o1 := off + f                  // In.W
		o2 := o1 + denseParams(2*f, w) // Out.W
		e.Out.BackwardTo(ws.bE2, grad[o2:o2+w*w], grad[o2+w*w:o2+w*w+w], ws.bE1, b.h1, rows)
		m.Be.LNGELUBackward(ws.bE2, nil, nil, ws.bE2, nil, nil, b.gp1, nil, rows, w)
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

// scatterCols copies the blocks xs[i] ([rows×Inputs[i]]) side by side
// into the first columns of dst ([rows×ld]); a nil block writes zeros.
func (m *MLP[T]) scatterCols(dst []T, ld int, xs [][]T, rows int) {
	c := 0
	for i, x := range xs {
		w := m.Spec.Inputs[i]
		m.Be.CopyRows(dst[c:], ld, x, w, rows, w)
		c += w
	}
}

// gatherCols is scatterCols' adjoint: it copies the side-by-side blocks of
// src into the non-nil xs[i].
func (m *MLP[T]) gatherCols(xs [][]T, src []T, ld, rows int) {
	c := 0
	for i, x := range xs {
		w := m.Spec.Inputs[i]
		if x != nil {
			m.Be.CopyRows(x, w, src[c:], ld, rows, w)
		}
		c += w
	}
}
