package nn

import (
	"fmt"

	"github.com/mfpo/mfpo/gocore/backend"
)

// Fourier is the learnable Fourier feature map of a scalar time t
// (docs/algorithm.md §7): f = 2π·t·W with W ∈ R^F (init N(0, 0.2²)), out =
// [cos f, sin f] ∈ R^{2F}, the F cosines first. The arithmetic is the
// backend's.
type Fourier[T Float] struct {
	F    int
	Freq []T // W, a view into a parameter vector
	Be   backend.Backend[T]
}

// ForwardTo sets out ([rows×2F]) from t ([rows]).
func (f Fourier[T]) ForwardTo(out, t []T, rows int) {
	f.check("ForwardTo", out, t, rows)
	f.Be.Fourier(out, t, f.Freq[:f.F], rows)
}

// JVPTo sets the tangent dout ([rows·P×2F]) = [−sin f⊙ḟ, cos f⊙ḟ] with
// ḟ = 2π·W·ṫ, from dt ([rows·P]) and the recorded output out.
func (f Fourier[T]) JVPTo(dout, dt, out []T, rows, p int) {
	f.check("JVPTo", out, dt, rows)
	need("Fourier.JVPTo", "dt", dt, rows*p, 1)
	need("Fourier.JVPTo", "dout", dout, rows*p, 2*f.F)
	f.Be.FourierJVP(dout, dt, out, f.Freq[:f.F], rows, p)
}

// BackwardTo accumulates dFreq_k += Σ_rows 2π·t·g_k and, when dt is not
// nil, sets dt = Σ_k 2π·W_k·g_k, where g_k = −sin f_k·dcos_k + cos f_k·dsin_k
// is the gradient with respect to the phase f_k.
func (f Fourier[T]) BackwardTo(dt, dFreq, dout, t, out []T, rows int) {
	f.check("BackwardTo", out, t, rows)
	need("Fourier.BackwardTo", "dout", dout, rows, 2*f.F)
	need("Fourier.BackwardTo", "dFreq", dFreq, 1, f.F)
	f.Be.FourierBackward(dt, dFreq, dout, t, out, f.Freq[:f.F], rows)
}

func (f Fourier[T]) check(op string, out, t []T, rows int) {
	if rows < 0 {
		panic(fmt.Sprintf("nn: Fourier.%s: rows = %d", op, rows))
	}
	needIn("Fourier", op, "t", t, rows, 1)
	needIn("Fourier", op, "out", out, rows, 2*f.F)
}
