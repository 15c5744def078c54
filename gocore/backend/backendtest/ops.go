package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// shape is one shape of a row of the table; each operation reads the
// fields it needs.
type shape struct {
	rows, w, p  int     // rows, width, tangents per row
	m, n, k     int     // Gemm; n is also a vector length
	ta, tb      bool    // Gemm transposes
	pad         [3]int  // extra row stride of the matrix operands
	alpha, beta float64 // the scalars of the operation (float32-representable)
	ln, bias    bool    // LNGELU family: with LayerNorm, with a bias
	isNil       bool    // an optional operand passed as nil
	alias       bool    // the aliasing the contract allows
	special     bool    // NaN and infinities in the inputs
	at          int     // FirstNonFinite: where the first non-finite value is
	lo, hi      float64 // a range: the C51 support, the time guard
	gamma       float64 // the discount
	k1, k2      int     // candidates per state of the two proposals
	flag        bool    // an operation's switch (clipped double Q, the minimum of two critics)
}

func (s shape) String() string {
	var b []string
	add := func(f string, a ...any) { b = append(b, fmt.Sprintf(f, a...)) }
	if s.m+s.k > 0 {
		add("m=%d n=%d k=%d", s.m, s.n, s.k)
		tr := map[bool]string{false: "N", true: "T"}
		add("op=%s%s", tr[s.ta], tr[s.tb])
	} else if s.n > 0 {
		add("n=%d", s.n)
	}
	if s.rows > 0 {
		add("rows=%d", s.rows)
	}
	if s.w > 0 {
		add("w=%d", s.w)
	}
	if s.p > 0 {
		add("P=%d", s.p)
	}
	if s.pad != [3]int{} {
		add("pad=%v", s.pad)
	}
	if s.alpha != 0 || s.beta != 0 {
		add("α=%g β=%g", s.alpha, s.beta)
	}
	flag := func(on bool, name string) {
		if on {
			add("%s", name)
		}
	}
	flag(s.ln, "LayerNorm")
	flag(s.bias, "bias")
	flag(s.isNil, "nil operand")
	flag(s.alias, "aliased")
	flag(s.special, "NaN/Inf")
	if s.at != 0 {
		add("at=%d", s.at)
	}
	if s.lo != 0 || s.hi != 0 {
		add("range=[%g, %g]", s.lo, s.hi)
	}
	if s.gamma != 0 {
		add("γ=%g", s.gamma)
	}
	if s.k1+s.k2 > 0 {
		add("K1=%d K2=%d", s.k1, s.k2)
	}
	flag(s.flag, "switch on")
	return strings.Join(b, " ")
}

// op is one row of the table: an operation of the seam, the shapes it
// runs on, its operands for a shape (drawn from rng), the call, and the
// error allowance of each output operand (indexed as the operands; a nil
// entry or a nil result: exact) from every operand's values before the
// call (x) and the reference's outputs (want). call may return scalar
// results (what goes to the host); resTol is their allowance (nil:
// exact).
//
// An operation whose results are random draws has check instead of the
// comparison with the reference: it returns what is wrong with the
// backend's outputs (got, indexed as the operands) as a distribution.
type op[T Float] struct {
	name   string
	shapes []shape
	args   func(s shape, rng *rand.Rand) []operand
	call   func(be backend.Backend[T], x [][]T, s shape) []float64
	tol    func(s shape, x, want [][]float64) [][]float64
	resTol func(s shape, x [][]float64, res []float64) []float64
	check  func(s shape, x, got [][]float64, res []float64) []string
}

// ref is the float64 reference; the tolerance functions use it for the
// magnitude sums of linear operations (the operation on |inputs|).
var ref = cpu.New[float64]()

// Shapes shared by several rows: the paper's hidden layers and batches,
// and small odd ones around the vector widths.
var (
	oddWidths = []int{1, 3, 7, 64, 255, 257}
	oddRows   = []int{1, 5, 128}
	tangents  = []int{1, 2, 6}
	paper     = [][2]int{{256, 256}, {2048, 256}} // [rows×w]
	lengths   = []int{1, 7, 64, 257, 2048*256 + 3}
)

// rowShapes is every odd rows × width, then the paper's shapes.
func rowShapes(f func(s *shape, i int)) []shape { return rowShapesOf(paper, f) }

// rowShapesOf is every odd rows × width, then the shapes extra.
func rowShapesOf(extra [][2]int, f func(s *shape, i int)) []shape {
	var ss []shape
	add := func(rows, w int) {
		s := shape{rows: rows, w: w}
		f(&s, len(ss))
		ss = append(ss, s)
	}
	for _, r := range oddRows {
		for _, w := range oddWidths {
			add(r, w)
		}
	}
	for _, p := range extra {
		add(p[0], p[1])
	}
	return ss
}

// each concatenates f's shapes for every value of vs.
func each[V any](vs []V, f func(V) []shape) []shape {
	var ss []shape
	for _, v := range vs {
		ss = append(ss, f(v)...)
	}
	return ss
}

func normals(rng *rand.Rand, n int, sd float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = sd * rng.NormFloat64()
	}
	return x
}

// mixed is n normal draws of which a tenth are scaled by 1e3 and a tenth
// by 1e-3: the tolerances must follow the magnitudes.
func mixed(rng *rand.Rand, n int) []float64 {
	x := normals(rng, n, 1)
	for i := range x {
		switch rng.IntN(10) {
		case 0:
			x[i] *= 1e3
		case 1:
			x[i] *= 1e-3
		}
	}
	return x
}

// withSpecials puts NaN, +Inf and −Inf at a few places of x (when on).
func withSpecials(x []float64, on bool, rng *rand.Rand) []float64 {
	if on && len(x) > 0 {
		x[rng.IntN(len(x))] = math.NaN()
		x[rng.IntN(len(x))] = math.Inf(1)
		x[rng.IntN(len(x))] = math.Inf(-1)
	}
	return x
}

// lnInputs is [rows×w] LayerNorm inputs, row by row one of: standard
// normal; wide (sd 3, GELU's tails); large (sd 1e3); offset (30 + normal,
// the centring cancels); near-constant (0.75 + 1e-4·normal, variance far
// below ε); exactly constant (variance 0: 1/σ = 1/√ε).
func lnInputs(rng *rand.Rand, rows, w int) []float64 {
	x := make([]float64, rows*w)
	first := rng.IntN(6)
	for r := 0; r < rows; r++ {
		row := x[r*w : (r+1)*w]
		kind := (first + r) % 6
		for j := range row {
			g := rng.NormFloat64()
			switch kind {
			case 0:
				row[j] = g
			case 1:
				row[j] = 3 * g
			case 2:
				row[j] = 1e3 * g
			case 3:
				row[j] = 30 + g
			case 4:
				row[j] = 0.75 + 1e-4*g
			case 5:
				row[j] = 0.5 * float64(r%7-3)
			}
		}
	}
	return x
}

// geluInputs is n GELU inputs: half uniform on [−10, 10] (the tails),
// half standard normal, with 0 and ±10 exactly.
func geluInputs(rng *rand.Rand, n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		if i%2 == 0 {
			x[i] = 20*rng.Float64() - 10
		} else {
			x[i] = rng.NormFloat64()
		}
	}
	for i, v := range []float64{0, 10, -10} {
		if i < n {
			x[(i*7919)%n] = v
		}
	}
	return x
}

// layerParams are γ (around 1, some columns 4: GELU's tails through
// LayerNorm) and β.
func layerParams(rng *rand.Rand, w int) (gamma, beta []float64) {
	gamma, beta = normals(rng, w, 0.5), normals(rng, w, 1)
	for j := range gamma {
		gamma[j] += 1
		if j%5 == 3 {
			gamma[j] = 4
		}
	}
	return round32(gamma), round32(beta)
}

// recorded runs the float64 LNGELU on x and returns its recorded x̂,
// 1/σ and GELU′, rounded to float32: the inputs of the JVP and the
// backward pass.
func recorded(rng *rand.Rand, s shape) (xhat, rstd, gp, gamma []float64) {
	rows, w := s.rows, s.w
	x := round32(lnInputs(rng, rows, w))
	h := make([]float64, rows*w)
	gp = make([]float64, rows*w)
	var beta []float64
	if s.ln {
		xhat, rstd = make([]float64, rows*w), make([]float64, rows)
		gamma, beta = layerParams(rng, w)
	} else {
		x = round32(geluInputs(rng, rows*w))
	}
	ref.LNGELU(h, gp, xhat, rstd, x, nil, gamma, beta, rows, w)
	return round32(xhat), round32(rstd), round32(gp), gamma
}

// table is the conformance table, one entry per operation of the seam,
// built for the element type T: the backend under test's rows and the
// reference's are the same entries built twice.
func table[T Float]() []op[T] {
	return []op[T]{
		gemmOp[T](),
		{
			name:   "Copy",
			shapes: each([]bool{false, true}, func(sp bool) []shape { return lenShapes(func(s *shape) { s.special = sp }) }),
			args: func(s shape, rng *rand.Rand) []operand {
				dst := vecOut("dst", s.n)
				dst.extra = 3 // len(dst) > len(src): the rest is untouched
				src := withSpecials(mixed(rng, s.n), s.special, rng)
				if s.special && s.n > 2 {
					src[0], src[1] = math.MaxFloat32, 1e-40 // the largest float32, a subnormal
				}
				return []operand{dst, vecIn("src", src)}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.Copy(x[0], x[1]); return nil },
		},
		{
			name:   "CopyRows",
			shapes: stridedShapes(true),
			args: func(s shape, rng *rand.Rand) []operand {
				src := matIn("src", s.rows, s.w, s.w+s.pad[1], mixed(rng, s.rows*s.w))
				if s.isNil {
					src = nilArg("src")
				}
				return []operand{matOut("dst", s.rows, s.w, s.w+s.pad[0]), src}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				lds := s.w + s.pad[1]
				if s.isNil {
					lds = 0
				}
				be.CopyRows(x[0], s.w+s.pad[0], x[1], lds, s.rows, s.w)
				return nil
			},
		},
		{
			name:   "AddRows",
			shapes: stridedShapes(false),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{
					matInout("dst", s.rows, s.w, s.w+s.pad[0], mixed(rng, s.rows*s.w)),
					matIn("src", s.rows, s.w, s.w+s.pad[1], withSpecials(mixed(rng, s.rows*s.w), s.special, rng)),
				}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				be.AddRows(x[0], s.w+s.pad[0], x[1], s.w+s.pad[1], s.rows, s.w)
				return nil
			},
			tol: func(s shape, x, _ [][]float64) [][]float64 {
				m := absOf(x[0]) // one rounding of |dst + src| ≤ |dst| + |src|
				ref.AddRows(m, s.w, absOf(x[1]), s.w, s.rows, s.w)
				return [][]float64{scaled(slack*u, m)}
			},
		},
		{
			name: "RepeatRows",
			shapes: append(each([]int{1, 2, 6, 16}, func(rep int) []shape {
				return rowShapesOf(nil, func(s *shape, _ int) { s.p = rep })
			}), shape{rows: 256, w: 17, p: 16}, shape{rows: 256, w: 256, p: 2}), // states per K1 proposal; the paper's hidden width
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{matOut("dst", s.rows*s.p, s.w, 0), matIn("src", s.rows, s.w, 0, mixed(rng, s.rows*s.w))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				be.RepeatRows(x[0], x[1], s.rows, s.p, s.w)
				return nil
			},
		},
		{
			name: "Fill",
			shapes: each([]float64{0, -1.5, math.MaxFloat32, math.NaN()}, func(v float64) []shape {
				return lenShapes(func(s *shape) { s.alpha = v })
			}),
			args: func(s shape, _ *rand.Rand) []operand { return []operand{vecOut("x", s.n)} },
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.Fill(x[0], T(s.alpha)); return nil },
		},
		{
			name: "Axpy",
			shapes: each([]float64{1, -0.375, 0, 1e3}, func(a float64) []shape {
				return lenShapes(func(s *shape) { s.alpha, s.special = a, a == 1 })
			}),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{vecInout("y", mixed(rng, s.n)), vecIn("x", withSpecials(mixed(rng, s.n), s.special, rng))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.Axpy(x[0], T(s.alpha), x[1]); return nil },
			tol: func(s shape, x, _ [][]float64) [][]float64 {
				m := absOf(x[0]) // two roundings of |y| + |α||x|
				ref.Axpy(m, math.Abs(s.alpha), absOf(x[1]))
				return [][]float64{scaled(slack*2*u, m)}
			},
		},
		{
			name:   "Clamp",
			shapes: each([][2]float64{{-1, 1}, {0, 6.5}, {-1e30, -1e29}}, func(b [2]float64) []shape { return lenShapes(func(s *shape) { s.alpha, s.beta = b[0], b[1] }) }),
			args: func(s shape, rng *rand.Rand) []operand {
				x := normals(rng, s.n, 3)
				if s.n >= 8 { // NaN stays NaN, ±Inf go to the bounds, the bounds and −0 stay
					copy(x, []float64{math.NaN(), math.Inf(1), math.Inf(-1), s.alpha, s.beta, math.Copysign(0, -1), 1e38, -1e38})
				}
				return []operand{vecInout("x", x)}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				be.Clamp(x[0], T(s.alpha), T(s.beta))
				return nil
			},
		},
		{
			name: "RowSumSquares",
			// α = −½, c = −(d/2)·log 2π: the standard-normal log-density.
			shapes: rowShapes(func(s *shape, i int) {
				s.alpha, s.beta, s.special = -0.5, -0.5*float64(s.w)*math.Log(2*math.Pi), i == 8
			}),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{vecOut("dst", s.rows), matIn("x", s.rows, s.w, 0, withSpecials(mixed(rng, s.rows*s.w), s.special, rng))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				be.RowSumSquares(x[0], x[1], s.rows, s.w, T(s.alpha), T(s.beta))
				return nil
			},
			tol: func(s shape, x, _ [][]float64) [][]float64 {
				// w squares and w additions, then α· and c +: (w + 2)·u of
				// |c| + |α|·Σx².
				t := make([]float64, s.rows)
				for i := range t {
					var sq float64
					for _, v := range x[1][i*s.w : (i+1)*s.w] {
						sq += v * v
					}
					t[i] = slack * float64(s.w+2) * u * (math.Abs(s.beta) + math.Abs(s.alpha)*sq)
				}
				return [][]float64{t}
			},
		},
		{
			name:   "SumRows",
			shapes: rowShapes(func(s *shape, i int) { s.special = i == 8 }),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{vecInout("db", mixed(rng, s.w)), matIn("dy", s.rows, s.w, 0, withSpecials(mixed(rng, s.rows*s.w), s.special, rng))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.SumRows(x[0], x[1], s.rows); return nil },
			tol: func(s shape, x, _ [][]float64) [][]float64 {
				m := absOf(x[0]) // rows additions
				ref.SumRows(m, absOf(x[1]), s.rows)
				return [][]float64{scaled(slack*float64(s.rows+1)*u, m)}
			},
		},
		{
			name:   "SetRows",
			shapes: rowShapes(func(*shape, int) {}),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{matOut("y", s.rows, s.w, 0), vecIn("b", mixed(rng, s.w))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.SetRows(x[0], x[1], s.rows); return nil },
		},
		lngeluOp[T](),
		lngeluJVPOp[T](),
		lngeluBackwardOp[T](),
		fourierOp[T](),
		fourierJVPOp[T](),
		fourierBackwardOp[T](),
		adamOp[T](),
		{
			name: "Polyak",
			shapes: each([]float64{0.005, 0.5, 1, 0}, func(tau float64) []shape {
				return lenShapes(func(s *shape) { s.alpha = tau })
			}),
			args: func(s shape, rng *rand.Rand) []operand {
				return []operand{vecInout("target", mixed(rng, s.n)), vecIn("online", mixed(rng, s.n))}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 { be.Polyak(x[0], x[1], T(s.alpha)); return nil },
			tol: func(s shape, x, _ [][]float64) [][]float64 {
				// 1 − τ, two products and a sum: three roundings of the
				// magnitudes τ|online| + (1 − τ)|target|.
				m := absOf(x[0])
				ref.Polyak(m, absOf(x[1]), s.alpha)
				return [][]float64{scaled(slack*3*u, m)}
			},
		},
		{
			name:   "FirstNonFinite",
			shapes: firstNonFiniteShapes(),
			args: func(s shape, rng *rand.Rand) []operand {
				x := mixed(rng, s.n)
				if s.n > 2 {
					x[0], x[s.n-1] = math.MaxFloat32, 1e-40 // finite extremes
				}
				bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
				if s.at >= 0 {
					x[s.at] = bad[s.at%3]
					for k := 0; k < 3 && s.at+1+k < s.n; k++ {
						x[s.at+1+k*(s.n-s.at-1)/3] = bad[k]
					}
				}
				return []operand{vecIn("x", x)}
			},
			call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
				return []float64{float64(be.FirstNonFinite(x[0]))}
			},
		},
	}
}

// lenShapes is one shape per vector length.
func lenShapes(f func(s *shape)) []shape {
	var ss []shape
	for _, n := range lengths {
		s := shape{n: n}
		f(&s)
		ss = append(ss, s)
	}
	return ss
}

// stridedShapes is rowShapes with destination and source row strides
// cycling through packed and padded, some with NaN in the source (or a
// nil source, when nilSrc).
func stridedShapes(nilSrc bool) []shape {
	return rowShapes(func(s *shape, i int) {
		s.pad = [3]int{(i % 3) * 2, (i % 2) * 3, 0}
		s.isNil = nilSrc && i%4 == 3
		s.special = !nilSrc && i%5 == 4
	})
}

func firstNonFiniteShapes() []shape {
	var ss []shape
	for _, n := range lengths {
		for _, at := range []int{-1, 0, n / 2, n - 1} {
			if at < n {
				ss = append(ss, shape{n: n, at: at})
			}
		}
	}
	return ss
}

func gemmOp[T Float]() op[T] {
	var ss []shape
	tr := [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}}
	ab := [][2]float64{{1, 0}, {1, 1}, {-0.75, 0.5}}
	for i, mnk := range [][3]int{
		{1, 1, 1}, {1, 3, 7}, {1, 257, 64}, {1, 64, 255},
		{5, 7, 3}, {5, 64, 255}, {5, 1, 257}, {5, 255, 1},
		{128, 255, 7}, {128, 257, 255}, {128, 3, 1}, {128, 64, 64},
		{7, 5, 0},
	} {
		s := shape{m: mnk[0], n: mnk[1], k: mnk[2], ta: tr[i%4][0], tb: tr[i%4][1], alpha: ab[i%3][0], beta: ab[i%3][1]}
		if i%2 == 1 {
			s.pad = [3]int{3, 1, 2}
		}
		if s.k == 0 {
			s.beta = 0.5 // C = βC: never β = 0 on the NaN of a write-only C
		}
		ss = append(ss, s)
	}
	ss = append(ss,
		shape{m: 256, n: 256, k: 256, alpha: 1, beta: 1},            // a hidden layer, bias preset
		shape{m: 2048, n: 256, k: 256, alpha: 1, beta: 0},           // a tangent batch, C write-only
		shape{m: 256, n: 256, k: 2048, ta: true, alpha: 1, beta: 1}, // dW += xᵀ·dy
		shape{m: 2048, n: 256, k: 256, tb: true, alpha: 1, beta: 0}, // dx = dy·Wᵀ
	)
	dims := func(s shape) (ar, ac, br, bc int) {
		ar, ac, br, bc = s.m, s.k, s.k, s.n
		if s.ta {
			ar, ac = ac, ar
		}
		if s.tb {
			br, bc = bc, br
		}
		return
	}
	return op[T]{
		name:   "Gemm",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			ar, ac, br, bc := dims(s)
			c := matOut("C", s.m, s.n, s.n+s.pad[2]) // β = 0: C is write-only (BLAS)
			if s.beta != 0 {
				c = matInout("C", s.m, s.n, s.n+s.pad[2], mixed(rng, s.m*s.n))
			}
			return []operand{
				matIn("A", ar, ac, ac+s.pad[0], mixed(rng, ar*ac)),
				matIn("B", br, bc, bc+s.pad[1], mixed(rng, br*bc)),
				c,
			}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			_, ac, _, bc := dims(s)
			be.Gemm(s.ta, s.tb, s.m, s.n, s.k, T(s.alpha), x[0], max(ac+s.pad[0], 1), x[1], max(bc+s.pad[1], 1), T(s.beta), x[2], s.n+s.pad[2])
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			// k products and k additions per element, then α· and β·C +:
			// (k + 2)·u·(|α|·|op(A)||op(B)| + |β||C|).
			_, ac, _, bc := dims(s)
			m := make([]float64, s.m*s.n)
			if s.beta != 0 {
				m = absOf(x[2])
			}
			ref.Gemm(s.ta, s.tb, s.m, s.n, s.k, math.Abs(s.alpha), absOf(x[0]), max(ac, 1), absOf(x[1]), max(bc, 1), math.Abs(s.beta), m, s.n)
			return [][]float64{nil, nil, scaled(slack*float64(s.k+2)*u, m)}
		},
	}
}

// The LNGELU family's shapes: every rows × width, each with LayerNorm,
// with bias and LayerNorm, and GELU alone; NaN in one row of a few.
func lngeluShapes(tangents []int) []shape {
	var ss []shape
	for _, v := range [][2]bool{{true, false}, {true, true}, {false, false}} {
		for _, p := range tangents {
			extra := paper
			if p > 2 {
				extra = paper[:1] // [2048·6 × 256] tangents would only cost time
			}
			ss = append(ss, rowShapesOf(extra, func(s *shape, i int) {
				s.ln, s.bias, s.p = v[0], v[1], p
				s.special = i == 10 // rows 5, w 255
			})...)
		}
	}
	return ss
}

// specialRow puts NaN into row 1 of x (or row 0 of a one-row x).
func specialRow(x []float64, s shape, rng *rand.Rand) {
	if s.special {
		r := min(1, s.rows-1)
		x[r*s.w+rng.IntN(s.w)] = math.NaN()
	}
}

func lngeluOp[T Float]() op[T] {
	ss := lngeluShapes([]int{0})
	// nn runs GELU alone in place (h aliases x).
	ss = append(ss, rowShapes(func(s *shape, _ int) { s.alias = true })...)
	return op[T]{
		name:   "LNGELU",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, w := s.rows, s.w
			ops := []operand{
				matOut("h", rows, w, 0), matOut("gp", rows, w, 0),
				nilArg("xhat"), nilArg("rstd"), {}, nilArg("bias"), nilArg("gamma"), nilArg("beta"),
			}
			var x []float64
			if s.ln {
				x = lnInputs(rng, rows, w)
				ops[2], ops[3] = matOut("xhat", rows, w, 0), vecOut("rstd", rows)
				g, b := layerParams(rng, w)
				ops[6], ops[7] = vecIn("gamma", g), vecIn("beta", b)
				if s.bias {
					ops[5] = vecIn("bias", normals(rng, w, 1))
				}
			} else {
				x = geluInputs(rng, rows*w)
			}
			specialRow(x, s, rng)
			ops[4] = matIn("x", rows, w, 0, x)
			if s.alias {
				ops[0] = matInout("h", rows, w, 0, x)
				ops[4] = operand{name: "x", rows: rows, w: w, ld: w, role: in, alias: 1}
			}
			return ops
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.LNGELU(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], s.rows, s.w)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			rows, w := s.rows, s.w
			dh, dgp := make([]float64, rows*w), make([]float64, rows*w)
			if !s.ln {
				for i, v := range x[4] {
					dh[i], dgp[i] = geluBound(v, 0)
				}
				return [][]float64{dh, dgp}
			}
			dxhat, drstd := make([]float64, rows*w), make([]float64, rows)
			gamma, beta := x[6], x[7]
			for r := 0; r < rows; r++ {
				z, dz := make([]float64, w), make([]float64, w)
				for j := range z {
					z[j] = x[4][r*w+j]
					if s.bias {
						z[j] += x[5][j]
						dz[j] = u * math.Abs(z[j])
					}
				}
				row := lnBound(z, dz)
				drstd[r] = row.drel * row.rstd
				for j := range z {
					i := r*w + j
					dxhat[i] = row.dxhat[j]
					gx := gamma[j] * row.xhat[j]
					y := gx + beta[j]
					dy := math.Abs(gamma[j])*row.dxhat[j] + 2*u*(math.Abs(gx)+math.Abs(beta[j]))
					dh[i], dgp[i] = geluBound(y, dy)
				}
			}
			return [][]float64{dh, dgp, dxhat, drstd}
		},
	}
}

func lngeluJVPOp[T Float]() op[T] {
	ss := lngeluShapes(tangents)
	var keep []shape
	for _, s := range ss {
		if !s.bias { // the bias does not enter the JVP
			keep = append(keep, s)
		}
	}
	// nn computes the tangents in place (dy aliases dx).
	keep = append(keep, rowShapes(func(s *shape, i int) { s.alias, s.ln, s.p = true, i%2 == 0, 2 })...)
	return op[T]{
		name:   "LNGELUJVP",
		shapes: keep,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, w, p := s.rows, s.w, s.p
			xhat, rstd, gp, gamma := recorded(rng, s)
			dx := mixed(rng, rows*p*w)
			if s.special {
				dx[(min(1, rows-1)*p)*w+rng.IntN(w)] = math.NaN()
			}
			ops := []operand{matOut("dy", rows*p, w, 0), matIn("dx", rows*p, w, 0, dx), nilArg("xhat"), nilArg("rstd"), matIn("gp", rows, w, 0, gp), nilArg("gamma")}
			if s.ln {
				ops[2], ops[3], ops[5] = matIn("xhat", rows, w, 0, xhat), vecIn("rstd", rstd), vecIn("gamma", gamma)
			}
			if s.alias {
				ops[0] = matInout("dy", rows*p, w, 0, dx)
				ops[1] = operand{name: "dx", rows: rows * p, w: w, ld: w, role: in, alias: 1}
			}
			return ops
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.LNGELUJVP(x[0], x[1], x[2], x[3], x[4], x[5], s.rows, s.p, s.w)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			rows, w, p := s.rows, s.w, s.p
			dx, gp := x[1], x[4]
			t := make([]float64, rows*p*w)
			for i := 0; i < rows*p; i++ {
				r := i / p
				d := dx[i*w : (i+1)*w]
				if !s.ln { // ẏ = gp⊙ẋ: one rounding
					for j, v := range d {
						t[i*w+j] = slack * u * math.Abs(v*gp[r*w+j])
					}
					continue
				}
				xh, rstd, gamma := x[2][r*w:(r+1)*w], x[3][r], x[5]
				// mean ẋ; ċ = ẋ − mean ẋ; s = mean(x̂⊙ċ); ẏ = gp γ (ċ − x̂ s)/σ.
				n := float64(w)
				var md, mabs float64
				for _, v := range d {
					md += v
					mabs += math.Abs(v)
				}
				md /= n
				mabs /= n
				dmd := (n + 1) * u * mabs
				dc := make([]float64, w)
				var sv, dsv, sabs float64
				for j, v := range d {
					c := v - md
					dc[j] = dmd + u*(math.Abs(v)+math.Abs(md))
					sv += xh[j] * c
					sabs += math.Abs(xh[j] * c)
					dsv += math.Abs(xh[j]) * dc[j]
				}
				sv /= n
				dsv = dsv/n + (n+2)*u*sabs/n
				for j, v := range d {
					c := v - md
					k := math.Abs(gamma[j] * rstd * gp[r*w+j])
					t[i*w+j] = slack * k * (dc[j] + math.Abs(xh[j])*dsv + 5*u*(math.Abs(c)+math.Abs(xh[j]*sv)))
				}
			}
			return [][]float64{t}
		},
	}
}

func lngeluBackwardOp[T Float]() op[T] {
	ss := lngeluShapes([]int{0})
	var keep []shape
	for _, s := range ss {
		if !s.bias {
			keep = append(keep, s)
		}
	}
	// nn runs the backward pass in place (dx aliases dh).
	keep = append(keep, rowShapes(func(s *shape, i int) { s.alias, s.ln = true, i%2 == 0 })...)
	return op[T]{
		name:   "LNGELUBackward",
		shapes: keep,
		args: func(s shape, rng *rand.Rand) []operand {
			rows, w := s.rows, s.w
			xhat, rstd, gp, gamma := recorded(rng, s)
			dh := mixed(rng, rows*w)
			specialRow(dh, s, rng)
			ops := []operand{matOut("dx", rows, w, 0), nilArg("dgamma"), nilArg("dbeta"), matIn("dh", rows, w, 0, dh),
				nilArg("xhat"), nilArg("rstd"), matIn("gp", rows, w, 0, gp), nilArg("gamma")}
			if s.ln {
				ops[1], ops[2] = vecInout("dgamma", normals(rng, w, 1)), vecInout("dbeta", normals(rng, w, 1))
				ops[4], ops[5], ops[7] = matIn("xhat", rows, w, 0, xhat), vecIn("rstd", rstd), vecIn("gamma", gamma)
			}
			if s.alias {
				ops[0] = matInout("dx", rows, w, 0, dh)
				ops[3] = operand{name: "dh", rows: rows, w: w, ld: w, role: in, alias: 1}
			}
			return ops
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.LNGELUBackward(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], s.rows, s.w)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			rows, w := s.rows, s.w
			dh, gp := x[3], x[6]
			tdx := make([]float64, rows*w)
			if !s.ln { // dx = gp⊙dh: one rounding
				for i, v := range dh {
					tdx[i] = slack * u * math.Abs(v*gp[i])
				}
				return [][]float64{tdx}
			}
			xhat, rstd, gamma := x[4], x[5], x[7]
			dgs, dbs := absOf(x[1]), absOf(x[2]) // Σ of the magnitudes of dγ's and dβ's terms
			n := float64(w)
			for r := 0; r < rows; r++ {
				var mg, mgx, ma, max, dma, dmax float64
				a := make([]float64, w)
				for j := 0; j < w; j++ {
					i := r*w + j
					g := gp[i] * dh[i]
					dgs[j] += math.Abs(g * xhat[i])
					dbs[j] += math.Abs(g)
					a[j] = gamma[j] * g // two roundings
					mg += a[j]
					mgx += a[j] * xhat[i]
					ma += math.Abs(a[j])
					max += math.Abs(a[j] * xhat[i])
					dma += 2 * u * math.Abs(a[j])
					dmax += 2 * u * math.Abs(a[j]*xhat[i])
				}
				mg, mgx = mg/n, mgx/n
				dmg := (n+1)*u*ma/n + dma/n
				dmgx := (n+2)*u*max/n + dmax/n
				for j := 0; j < w; j++ {
					i := r*w + j
					xh := math.Abs(xhat[i])
					tdx[i] = slack * rstd[r] * (2*u*math.Abs(a[j]) + dmg + xh*dmgx + 4*u*(math.Abs(a[j])+math.Abs(mg)+xh*math.Abs(mgx)))
				}
			}
			// dγ: rows sums of a product of three; dβ: of a product of two.
			return [][]float64{tdx, scaled(slack*float64(rows+2)*u, dgs), scaled(slack*float64(rows+1)*u, dbs)}
		},
	}
}

// Fourier shapes: rows × F features (F = the paper's 64 and small odd
// ones), times in [0, 1] with runs of equal times (the sampler's rows
// share one) and 0, 1 exactly; frequencies at the initial scale 0.2 and
// a trained-up scale 3.
var fourierShapes = func() []shape {
	var ss []shape
	for _, rows := range []int{1, 5, 128, 2048} {
		for _, f := range []int{1, 3, 8, 64} {
			ss = append(ss, shape{rows: rows, w: f})
		}
	}
	return ss
}()

func fourierInputs(rng *rand.Rand, rows, f int) (t, freq []float64) {
	t = make([]float64, rows)
	for i := range t {
		switch {
		case i > 0 && rng.IntN(2) == 0:
			t[i] = t[i-1]
		case i%17 == 3:
			t[i] = float64(i % 2)
		default:
			t[i] = rng.Float64()
		}
	}
	freq = normals(rng, f, 0.2)
	for k := range freq {
		if k%2 == 1 {
			freq[k] *= 15
		}
	}
	return round32(t), round32(freq)
}

// fourierOut is the float64 Fourier features of t, rounded to float32.
func fourierOut(t, freq []float64) []float64 {
	out := make([]float64, len(t)*2*len(freq))
	ref.Fourier(out, t, freq, len(t))
	return round32(out)
}

func fourierOp[T Float]() op[T] {
	return op[T]{
		name:   "Fourier",
		shapes: fourierShapes,
		args: func(s shape, rng *rand.Rand) []operand {
			t, freq := fourierInputs(rng, s.rows, s.w)
			return []operand{matOut("out", s.rows, 2*s.w, 0), vecIn("t", t), vecIn("freq", freq)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.Fourier(x[0], x[1], x[2], s.rows)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			// The phase 2π·t·W takes three roundings in float32 (an
			// absolute error 3u·|phase| of cos and sin), the result a
			// few ulp of 1.
			t, freq := x[1], x[2]
			f := len(freq)
			tol := make([]float64, s.rows*2*f)
			for i, ti := range t {
				for k, wk := range freq {
					e := slack * (3*u*math.Abs(2*math.Pi*ti*wk) + 2*u)
					tol[i*2*f+k], tol[i*2*f+f+k] = e, e
				}
			}
			return [][]float64{tol}
		},
	}
}

func fourierJVPOp[T Float]() op[T] {
	var ss []shape
	for _, p := range tangents {
		for _, s := range fourierShapes {
			s.p = p
			ss = append(ss, s)
		}
	}
	return op[T]{
		name:   "FourierJVP",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			t, freq := fourierInputs(rng, s.rows, s.w)
			return []operand{matOut("dout", s.rows*s.p, 2*s.w, 0), vecIn("dt", mixed(rng, s.rows*s.p)),
				matIn("out", s.rows, 2*s.w, 0, fourierOut(t, freq)), vecIn("freq", freq)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.FourierJVP(x[0], x[1], x[2], x[3], s.rows, s.p)
			return nil
		},
		tol: func(s shape, _, want [][]float64) [][]float64 {
			// A product of four factors (2π, W, ṫ, sin or cos).
			return [][]float64{scaled(slack*4*u, absOf(want[0]))}
		},
	}
}

func fourierBackwardOp[T Float]() op[T] {
	var ss []shape
	for i, s := range fourierShapes {
		s.isNil = i%3 == 2 // dt nil: the time is not differentiated
		ss = append(ss, s)
	}
	return op[T]{
		name:   "FourierBackward",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			t, freq := fourierInputs(rng, s.rows, s.w)
			dt := vecOut("dt", s.rows)
			if s.isNil {
				dt = nilArg("dt")
			}
			return []operand{dt, vecInout("dfreq", normals(rng, s.w, 1)), matIn("dout", s.rows, 2*s.w, 0, mixed(rng, s.rows*2*s.w)),
				vecIn("t", t), matIn("out", s.rows, 2*s.w, 0, fourierOut(t, freq)), vecIn("freq", freq)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.FourierBackward(x[0], x[1], x[2], x[3], x[4], x[5], s.rows)
			return nil
		},
		tol: func(s shape, x, _ [][]float64) [][]float64 {
			// g = 2π(−sin⊙dcos + cos⊙dsin) has magnitude G ≤ 2π(|s·dc| +
			// |c·ds|) and four roundings; dfreq sums rows terms g·t, dt
			// sums F terms g·W.
			dout, t, out, freq := x[2], x[3], x[4], x[5]
			f := len(freq)
			tf := absOf(x[1])
			tt := make([]float64, s.rows)
			for i := 0; i < s.rows; i++ {
				for k := 0; k < f; k++ {
					c, sn := out[i*2*f+k], out[i*2*f+f+k]
					dc, ds := dout[i*2*f+k], dout[i*2*f+f+k]
					g := 2 * math.Pi * (math.Abs(sn*dc) + math.Abs(c*ds))
					tf[k] += g * math.Abs(t[i])
					tt[i] += g * math.Abs(freq[k])
				}
			}
			return [][]float64{scaled(slack*float64(f+5)*u, tt), scaled(slack*float64(s.rows+5)*u, tf)}
		},
	}
}

func adamOp[T Float]() op[T] {
	var ss []shape
	for _, c := range [][2]float64{{9.486833e-05, 3.1622776e-10}, {1e-3, 1e-8}} { // step, ε̂: Adam's first step at lr 3e-4, a later one
		ss = append(ss, lenShapes(func(s *shape) { s.alpha, s.beta = c[0], c[1] })...)
	}
	const beta1, beta2 = float32(0.9), float32(0.999)
	return op[T]{
		name:   "Adam",
		shapes: ss,
		args: func(s shape, rng *rand.Rand) []operand {
			n := s.n
			g := mixed(rng, n)
			m, v := make([]float64, n), make([]float64, n)
			for i := range g {
				switch rng.IntN(8) {
				case 0:
					g[i] = 0
				case 1:
					g[i] *= 1e-9 // around ε̂
				}
				m[i] = 0.3 * g[i] * rng.NormFloat64()
				v[i] = g[i] * g[i] * rng.Float64()
				if i%5 == 0 {
					m[i], v[i] = 0, 0 // the first step
				}
			}
			return []operand{vecInout("params", normals(rng, n, 1)), vecIn("grad", g), vecInout("m", m), vecInout("v", v)}
		},
		call: func(be backend.Backend[T], x [][]T, s shape) []float64 {
			be.Adam(x[0], x[1], x[2], x[3], T(s.alpha), T(s.beta), T(beta1), T(beta2))
			return nil
		},
		tol: func(s shape, x, want [][]float64) [][]float64 {
			tth, tm, tv := adamTol(x[0], x[1], x[2], x[3], want[2], want[3], s.alpha, s.beta, float64(beta1), float64(beta2))
			return [][]float64{tth, nil, tm, tv}
		},
	}
}

// adamTol is the allowance of Adam's results θ′, m′, v′ from θ, g, m, v,
// the reference's m′, v′ and the scalars: m′ = β1·m + (1−β1)·g takes
// three roundings of its terms' magnitudes (1 − β1 is exact), v′ =
// β2·v + (1−β2)·g² four; the step q = m′/(√v′ + ε̂) carries m′'s error,
// √'s response to v′'s and three roundings; θ′ = θ − step·q two more.
func adamTol(th, g, m, v, mw, vw []float64, step, eps, b1, b2 float64) (tth, tm, tv []float64) {
	n := len(g)
	tth, tm, tv = make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range g {
		dm := 3 * u * (b1*math.Abs(m[i]) + (1-b1)*math.Abs(g[i]))
		dv := 4 * u * (b2*v[i] + (1-b2)*g[i]*g[i])
		sq := math.Sqrt(vw[i])
		den := sq + eps
		q := mw[i] / den
		dsq := math.Sqrt(vw[i]+dv) - sq + u*sq
		dq := dm/den + math.Abs(q)*(dsq/den+3*u)
		tm[i], tv[i] = slack*dm, slack*dv
		tth[i] = slack * (step*dq + 2*u*(math.Abs(th[i])+math.Abs(step*q)))
	}
	return tth, tm, tv
}
