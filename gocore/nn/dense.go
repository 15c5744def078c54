package nn

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/backend"
)

// Dense is an affine layer y = x·W + b (docs/algorithm.md §7 writes Wx + b for
// a column x; rows here are samples). W is [In×Out] row-major and B is
// [Out]; both are views into a network's parameter vector, and Be is the
// backend that owns them.
type Dense[T Float] struct {
	In, Out int
	W, B    []T
	Be      backend.Backend[T]
}

// NumParams is the number of parameters of a Dense In→Out: In·Out + Out.
func denseParams(in, out int) int { return in*out + out }

func (d Dense[T]) check(op string, x []T, xw int, y []T, yw int, rows int) {
	if rows < 0 {
		panic(fmt.Sprintf("nn: Dense.%s: rows = %d", op, rows))
	}
	needIn("Dense", op, "input", x, rows, xw)
	needIn("Dense", op, "output", y, rows, yw)
}

// ForwardTo sets y = x·W + b for rows rows of x ([rows×In]) into y
// ([rows×Out]).
func (d Dense[T]) ForwardTo(y, x []T, rows int) {
	d.check("ForwardTo", x, d.In, y, d.Out, rows)
	d.Be.SetRows(y, d.B, rows)
	d.Be.Gemm(false, false, rows, d.Out, d.In, 1, x, d.In, d.W, d.Out, 1, y, d.Out)
}

// JVPTo sets the tangent ẏ = ẋ·W for rows tangent rows (the bias has no
// tangent). The tangent is linear in ẋ, so any number of tangents per
// sample are rows here.
func (d Dense[T]) JVPTo(dy, dx []T, rows int) {
	d.check("JVPTo", dx, d.In, dy, d.Out, rows)
	d.Be.Gemm(false, false, rows, d.Out, d.In, 1, dx, d.In, d.W, d.Out, 0, dy, d.Out)
}

// BackwardTo accumulates dW += xᵀ·dy and db += Σ_rows dy, and, when dx is
// not nil, sets dx = dy·Wᵀ. dW and dB are [In×Out] and [Out].
func (d Dense[T]) BackwardTo(dx, dW, dB, dy, x []T, rows int) {
	d.check("BackwardTo", x, d.In, dy, d.Out, rows)
	need("Dense.BackwardTo", "dW", dW, d.In, d.Out)
	need("Dense.BackwardTo", "dB", dB, 1, d.Out)
	d.Be.Gemm(true, false, d.In, d.Out, rows, 1, x, d.In, dy, d.Out, 1, dW, d.Out)
	d.Be.SumRows(dB[:d.Out], dy, rows)
	if dx != nil {
		need("Dense.BackwardTo", "dx", dx, rows, d.In)
		d.Be.Gemm(false, true, rows, d.In, d.Out, 1, dy, d.Out, d.W, d.Out, 0, dx, d.In)
	}
}
