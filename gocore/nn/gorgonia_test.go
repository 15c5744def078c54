package nn_test

// An independent first-order oracle for the hand-written MLP derivatives
// (docs/design.md): the same network is rebuilt as a gorgonia expression
// graph from the MLP's exported parameter vector, and gorgonia's symbolic
// gradients of L = Σ w⊙out with respect to every parameter tensor and every
// input are compared with MLP.Backward.
//
// The oracle graph uses only gorgonia's matrix product (Mul on two
// matrices), same-shape elementwise ops (Add, Sub, HadamardProd,
// HadamardDiv, Square, Sqrt, Tanh, Cos, Sin) and Sum. Broadcasts are
// written as products with constant ones-matrices (b broadcast over rows
// is ones[rows×1]·b[1×n]; a row mean is x·(1/n)[n×1]), and concatenations
// as sums of products with constant 0/1 placement matrices, so that the
// oracle does not depend on gorgonia's broadcasting or Concat ops and
// their gradients; scalar constants are full constant matrices of the
// operand's shape. The placement products are exact in floating point
// (every term but one is an exact zero).
//
// Go 1.26 needs go4.org/unsafe/assume-no-moving-gc pinned (go.mod) or
// gorgonia panics at start.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
	"github.com/mfpo/mfpo/gocore/nn"
)

// gorgoniaTol bounds the normwise relative difference
// max|nn − gorgonia| / max|gorgonia| of every compared tensor.
const gorgoniaTol = 1e-9

// gg builds one oracle graph; it stops at the first gorgonia error.
type gg struct {
	t *testing.T
	g *G.ExprGraph
	n int // names
}

func (b *gg) must(n *G.Node, err error) *G.Node {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("gorgonia: %v", err)
	}
	return n
}

func (b *gg) dense(r, c int, data []float64) tensor.Tensor {
	return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(append([]float64(nil), data...)))
}

// variable is an [r×c] input node holding a copy of data.
func (b *gg) variable(name string, r, c int, data []float64) *G.Node {
	b.t.Helper()
	if len(data) != r*c {
		b.t.Fatalf("oracle: %s has %d values, want %d×%d", name, len(data), r, c)
	}
	return G.NewMatrix(b.g, tensor.Float64, G.WithShape(r, c), G.WithName(name), G.WithValue(b.dense(r, c, data)))
}

// constant is an [r×c] constant node.
func (b *gg) constant(r, c int, data []float64) *G.Node {
	b.n++
	return G.NewConstant(b.dense(r, c, data), G.WithName(fmt.Sprintf("const%d", b.n)))
}

// fill is an [r×c] constant node of v.
func (b *gg) fill(r, c int, v float64) *G.Node {
	d := make([]float64, r*c)
	for i := range d {
		d[i] = v
	}
	return b.constant(r, c, d)
}

// place is the [w×ld] 0/1 matrix that moves w columns to columns c…c+w.
func (b *gg) place(w, ld, c int) *G.Node {
	d := make([]float64, w*ld)
	for k := 0; k < w; k++ {
		d[k*ld+c+k] = 1
	}
	return b.constant(w, ld, d)
}

func (b *gg) mul(x, y *G.Node) *G.Node  { return b.must(G.Mul(x, y)) }
func (b *gg) add(x, y *G.Node) *G.Node  { return b.must(G.Add(x, y)) }
func (b *gg) sub(x, y *G.Node) *G.Node  { return b.must(G.Sub(x, y)) }
func (b *gg) had(x, y *G.Node) *G.Node  { return b.must(G.HadamardProd(x, y)) }
func (b *gg) hdiv(x, y *G.Node) *G.Node { return b.must(G.HadamardDiv(x, y)) }

// affine is x·W + b for x [rows×in], W [in×out], b [1×out].
func (b *gg) affine(x, w, bias *G.Node, rows int) *G.Node {
	return b.add(b.mul(x, w), b.mul(b.fill(rows, 1, 1), bias))
}

// gelu is 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) for x [r×c].
func (b *gg) gelu(x *G.Node, r, c int) *G.Node {
	x3 := b.had(b.had(x, x), x)
	z := b.had(b.fill(r, c, math.Sqrt(2/math.Pi)), b.add(x, b.had(b.fill(r, c, 0.044715), x3)))
	th := b.must(G.Tanh(z))
	return b.had(b.had(b.fill(r, c, 0.5), x), b.add(b.fill(r, c, 1), th))
}

// layerNorm normalises each row of x [rows×n] and applies scale, bias [1×n].
func (b *gg) layerNorm(x, scale, bias *G.Node, rows, n int) *G.Node {
	meanOp := b.fill(n, 1, 1/float64(n)) // x·meanOp is the row mean, [rows×1]
	spread := b.fill(1, n, 1)            // v·spread repeats v [rows×1] over n columns
	c := b.sub(x, b.mul(b.mul(x, meanOp), spread))
	v := b.mul(b.must(G.Square(c)), meanOp)
	sd := b.must(G.Sqrt(b.add(v, b.fill(rows, 1, nn.LayerNormEps))))
	xhat := b.hdiv(c, b.mul(sd, spread))
	ones := b.fill(rows, 1, 1)
	return b.add(b.had(b.mul(ones, scale), xhat), b.mul(ones, bias))
}

// oracle is the gorgonia copy of one MLP for one batch.
type oracle struct {
	params []*G.Node // in the MLP's Params layout order
	sizes  []int     // len of each params tensor
	xs, ts []*G.Node // vector inputs [rows×w] and time inputs [rows×1]
	out    *G.Node   // [rows×Out]
	loss   *G.Node
}

// buildOracle rebuilds m as a gorgonia graph on the batch (xs, ts) with
// the loss Σ w⊙out. It reads m.Params in nn's layout: per time input
// Freq[F], In.W[2F×W], In.B[W], Out.W[W×W], Out.B[W]; then per trunk
// layer W[in×out], B[out], and after each hidden Dense (when LayerNorm)
// Scale[n], Bias[n].
func buildOracle(b *gg, m *nn.MLP[float64], xs, ts [][]float64, w []float64, rows int) *oracle {
	b.t.Helper()
	s := m.Spec
	o := &oracle{}
	p := m.Params
	off := 0
	param := func(name string, r, c int) *G.Node {
		n := b.variable(name, r, c, p[off:off+r*c])
		off += r * c
		o.params = append(o.params, n)
		o.sizes = append(o.sizes, r*c)
		return n
	}

	in0 := 0
	for _, wi := range s.Inputs {
		in0 += wi
	}
	cond := in0
	if s.Times > 0 {
		in0 += s.TimeWidth
	}

	// Embeddings: cond = Σ_j Dense_Out(GELU(Dense_In([cos f, sin f]))),
	// f = 2π·t·Freq.
	var condN *G.Node
	for j := 0; j < s.Times; j++ {
		f, tw := s.TimeFeatures, s.TimeWidth
		freq := param(fmt.Sprintf("emb%d.freq", j), 1, f)
		inW := param(fmt.Sprintf("emb%d.in.W", j), 2*f, tw)
		inB := param(fmt.Sprintf("emb%d.in.B", j), 1, tw)
		outW := param(fmt.Sprintf("emb%d.out.W", j), tw, tw)
		outB := param(fmt.Sprintf("emb%d.out.B", j), 1, tw)
		tn := b.variable(fmt.Sprintf("time%d", j), rows, 1, ts[j])
		o.ts = append(o.ts, tn)
		phase := b.had(b.fill(rows, f, 2*math.Pi), b.mul(tn, freq))
		feat := b.add(b.mul(b.must(G.Cos(phase)), b.place(f, 2*f, 0)),
			b.mul(b.must(G.Sin(phase)), b.place(f, 2*f, f)))
		h1 := b.gelu(b.affine(feat, inW, inB, rows), rows, tw)
		e := b.affine(h1, outW, outB, rows)
		if condN == nil {
			condN = e
		} else {
			condN = b.add(condN, e)
		}
	}

	// x0 = concat(X[0], X[1], …, cond).
	var x *G.Node
	c := 0
	for i, wi := range s.Inputs {
		xn := b.variable(fmt.Sprintf("x%d", i), rows, wi, xs[i])
		o.xs = append(o.xs, xn)
		v := b.mul(xn, b.place(wi, in0, c))
		if x == nil {
			x = v
		} else {
			x = b.add(x, v)
		}
		c += wi
	}
	if condN != nil {
		v := b.mul(condN, b.place(s.TimeWidth, in0, cond))
		if x == nil {
			x = v
		} else {
			x = b.add(x, v)
		}
	}

	// Trunk: h = GELU(LayerNorm(x·W + b)) per hidden width, out = h·W + b.
	widths := append(append([]int{in0}, s.Hidden...), s.Out)
	for l := 0; l+1 < len(widths); l++ {
		wIn, wOut := widths[l], widths[l+1]
		W := param(fmt.Sprintf("dense%d.W", l), wIn, wOut)
		B := param(fmt.Sprintf("dense%d.B", l), 1, wOut)
		x = b.affine(x, W, B, rows)
		if l+2 == len(widths) {
			break
		}
		if s.LayerNorm {
			scale := param(fmt.Sprintf("norm%d.scale", l), 1, wOut)
			bias := param(fmt.Sprintf("norm%d.bias", l), 1, wOut)
			x = b.layerNorm(x, scale, bias, rows, wOut)
		}
		x = b.gelu(x, rows, wOut)
	}
	if off != len(p) {
		b.t.Fatalf("oracle consumed %d parameters, the MLP has %d", off, len(p))
	}
	o.out = x
	o.loss = b.must(G.Sum(b.had(x, b.constant(rows, s.Out, w))))
	return o
}

func nodeData(t *testing.T, what string, n *G.Node) []float64 {
	t.Helper()
	v := n.Value()
	if v == nil {
		t.Fatalf("gorgonia: %s has no value", what)
	}
	d, ok := v.Data().([]float64)
	if !ok {
		t.Fatalf("gorgonia: %s holds %T, want []float64", what, v.Data())
	}
	return append([]float64(nil), d...)
}

// relErr is max|got − want| / max|want|, with a floor of 1e-300 on the
// denominator; NaN anywhere is +Inf.
func relErr(got, want []float64) float64 {
	var diff, scale float64
	for i := range want {
		if math.IsNaN(got[i]) || math.IsNaN(want[i]) {
			return math.Inf(1)
		}
		diff = max(diff, math.Abs(got[i]-want[i]))
		scale = max(scale, math.Abs(want[i]))
	}
	return diff / max(scale, 1e-300)
}

func gorgoniaCase(t *testing.T, spec nn.Spec, rows int, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 2))
	m, err := nn.New(cpu.New[float64](), spec, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Move every parameter off its initial value (zero biases, unit
	// LayerNorm scales) so that no term of the derivative vanishes.
	for i := range m.Params {
		m.Params[i] += 0.3 * rng.NormFloat64()
	}

	xs := make([][]float64, len(spec.Inputs))
	for i, w := range spec.Inputs {
		xs[i] = make([]float64, rows*w)
		for k := range xs[i] {
			xs[i][k] = rng.NormFloat64()
		}
	}
	ts := make([][]float64, spec.Times)
	for j := range ts {
		ts[j] = make([]float64, rows)
		for k := range ts[j] {
			ts[j][k] = rng.Float64()
		}
	}
	w := make([]float64, rows*spec.Out)
	for k := range w {
		w[k] = rng.NormFloat64()
	}

	// nn: forward, then the gradients of Σ w⊙out. The input gradients are
	// overwritten, so they start as NaN.
	ws := m.NewWorkspace(rows, 0)
	out := make([]float64, rows*spec.Out)
	m.Forward(ws, out, nn.Vars[float64]{X: xs, Time: ts}, rows)
	grad := make([]float64, m.NumParams())
	din := nn.Vars[float64]{X: make([][]float64, len(xs)), Time: make([][]float64, len(ts))}
	for i, x := range xs {
		din.X[i] = nanVec(len(x))
	}
	for j, tj := range ts {
		din.Time[j] = nanVec(len(tj))
	}
	m.Backward(ws, w, grad, din)

	// gorgonia.
	b := &gg{t: t, g: G.NewGraph()}
	o := buildOracle(b, m, xs, ts, w, rows)
	wrt := append(append(append([]*G.Node(nil), o.params...), o.xs...), o.ts...)
	grads, err := G.Grad(o.loss, wrt...)
	if err != nil {
		t.Fatalf("gorgonia Grad: %v", err)
	}
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatalf("gorgonia run: %v", err)
	}

	worst := 0.0
	check := func(what string, got, want []float64) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: nn has %d values, gorgonia %d", what, len(got), len(want))
		}
		e := relErr(got, want)
		worst = max(worst, e)
		if !(e <= gorgoniaTol) {
			t.Errorf("%s: relative difference %.3g > %g\n nn       %v\n gorgonia %v", what, e, gorgoniaTol, got, want)
		}
	}

	check("forward out", out, nodeData(t, "out", o.out))
	k, off := 0, 0
	for i, n := range o.params {
		sz := o.sizes[i]
		check("d"+n.Name(), grad[off:off+sz], nodeData(t, "d"+n.Name(), grads[k]))
		k++
		off += sz
	}
	for i := range o.xs {
		check(fmt.Sprintf("dX[%d]", i), din.X[i], nodeData(t, "dX", grads[k]))
		k++
	}
	for j := range o.ts {
		check(fmt.Sprintf("dTime[%d]", j), din.Time[j], nodeData(t, "dTime", grads[k]))
		k++
	}

	// Backward accumulates into grad: a second identical pass doubles it
	// (up to the summation order of the accumulating matrix products).
	again := append([]float64(nil), grad...)
	m.Backward(ws, w, again, nn.Vars[float64]{X: make([][]float64, len(xs)), Time: make([][]float64, len(ts))})
	twice := make([]float64, len(grad))
	for i, v := range grad {
		twice[i] = 2 * v
	}
	if e := relErr(again, twice); !(e <= 1e-13) {
		t.Errorf("Backward does not accumulate: two passes differ from twice one pass by %.3g (relative)", e)
	}
	t.Logf("%d params, %d rows: worst relative difference nn vs gorgonia %.3g", m.NumParams(), rows, worst)
}

func nanVec(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.NaN()
	}
	return x
}

func TestGorgoniaMLPGradients(t *testing.T) {
	cases := []struct {
		name string
		spec nn.Spec
		rows int
	}{
		{"policy", nn.Spec{Inputs: []int{2, 3}, Times: 2, Hidden: []int{6, 5}, Out: 2,
			LayerNorm: true, TimeFeatures: 3, TimeWidth: 4}, 4},
		{"critic", nn.Spec{Inputs: []int{3, 2}, Hidden: []int{7, 7}, Out: 5, LayerNorm: true}, 4},
		{"no-layernorm", nn.Spec{Inputs: []int{4}, Times: 1, Hidden: []int{5, 3, 4}, Out: 3,
			TimeFeatures: 2, TimeWidth: 3}, 4},
		{"times-only", nn.Spec{Times: 2, Hidden: []int{4}, Out: 1, LayerNorm: true,
			TimeFeatures: 2, TimeWidth: 3}, 3},
		{"one-row", nn.Spec{Inputs: []int{2, 3}, Times: 2, Hidden: []int{6}, Out: 2,
			LayerNorm: true, TimeFeatures: 3, TimeWidth: 4}, 1},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) { gorgoniaCase(t, c.spec, c.rows, uint64(i+1)) })
	}
}
