package nn

import (
	"fmt"
	"math"
)

// Fourier is the learnable Fourier feature map of a scalar time t
// (docs/algorithm.md §7): f = 2π·t·W with W ∈ R^F (init N(0, 0.2²)), out =
// [cos f, sin f] ∈ R^{2F}, the F cosines first.
type Fourier[T Float] struct {
	F    int
	Freq []T // W, a view into a parameter vector
}

// ForwardTo sets out ([rows×2F]) from t ([rows]). A row whose time equals
// the previous row's copies that row: the sampler's batches share one
// time value.
func (f Fourier[T]) ForwardTo(out, t []T, rows int) {
	f.check("ForwardTo", out, t, rows)
	w := f.Freq[:f.F]
	_, fast := any(w).([]float32)
	for i := 0; i < rows; i++ {
		row := out[i*2*f.F : (i+1)*2*f.F]
		if i > 0 && t[i] == t[i-1] {
			copy(row, out[(i-1)*2*f.F:i*2*f.F])
			continue
		}
		c, s := row[:f.F], row[f.F:]
		ti := float64(t[i])
		for k, wk := range w {
			var sin, cos float64
			if fast {
				sin, cos = sinCos2Pi(ti * float64(wk))
			} else {
				sin, cos = math.Sincos(2 * math.Pi * ti * float64(wk))
			}
			c[k], s[k] = T(cos), T(sin)
		}
	}
}

// sinCos2Pi returns sin(2πx) and cos(2πx) to about 1e-9, enough for
// float32 results: x is reduced exactly to r ∈ [−¼, ¼] turn (using
// sin(π−y) = sin y, cos(π−y) = −cos y), then Taylor polynomials of
// degree 13 and 14 in y = 2πr ∈ [−π/2, π/2] (truncation below 7e-10).
func sinCos2Pi(x float64) (sin, cos float64) {
	r := x - math.Round(x) // exact, r ∈ [−½, ½]
	sign := 1.0
	if r > 0.25 {
		r, sign = 0.5-r, -1
	} else if r < -0.25 {
		r, sign = -0.5-r, -1
	}
	y := 2 * math.Pi * r
	z := y * y
	sin = y * (1 + z*(-1.0/6+z*(1.0/120+z*(-1.0/5040+z*(1.0/362880+z*(-1.0/39916800+z*(1.0/6227020800)))))))
	cos = 1 + z*(-0.5+z*(1.0/24+z*(-1.0/720+z*(1.0/40320+z*(-1.0/3628800+z*(1.0/479001600+z*(-1.0/87178291200)))))))
	return sin, sign * cos
}

// JVPTo sets the tangent dout ([rows·P×2F]) = [−sin f⊙ḟ, cos f⊙ḟ] with
// ḟ = 2π·W·ṫ, from dt ([rows·P]) and the recorded output out.
func (f Fourier[T]) JVPTo(dout, dt, out []T, rows, p int) {
	f.check("JVPTo", out, dt, rows)
	need("Fourier.JVPTo", "dt", dt, rows*p, 1)
	need("Fourier.JVPTo", "dout", dout, rows*p, 2*f.F)
	w := f.Freq[:f.F]
	for i := 0; i < rows*p; i++ {
		r := i / p
		c := out[r*2*f.F : r*2*f.F+f.F]
		s := out[r*2*f.F+f.F : (r+1)*2*f.F]
		dc := dout[i*2*f.F : i*2*f.F+f.F]
		ds := dout[i*2*f.F+f.F : (i+1)*2*f.F]
		for k, wk := range w {
			df := 2 * math.Pi * wk * dt[i]
			dc[k] = -s[k] * df
			ds[k] = c[k] * df
		}
	}
}

// BackwardTo accumulates dFreq_k += Σ_rows 2π·t·g_k and, when dt is not
// nil, sets dt = Σ_k 2π·W_k·g_k, where g_k = −sin f_k·dcos_k + cos f_k·dsin_k
// is the gradient with respect to the phase f_k.
func (f Fourier[T]) BackwardTo(dt, dFreq, dout, t, out []T, rows int) {
	f.check("BackwardTo", out, t, rows)
	need("Fourier.BackwardTo", "dout", dout, rows, 2*f.F)
	need("Fourier.BackwardTo", "dFreq", dFreq, 1, f.F)
	w, dw := f.Freq[:f.F], dFreq[:f.F]
	for i := 0; i < rows; i++ {
		c := out[i*2*f.F : i*2*f.F+f.F]
		s := out[i*2*f.F+f.F : (i+1)*2*f.F]
		dc := dout[i*2*f.F : i*2*f.F+f.F]
		ds := dout[i*2*f.F+f.F : (i+1)*2*f.F]
		var sum T
		for k, wk := range w {
			g := (-s[k]*dc[k] + c[k]*ds[k]) * (2 * math.Pi)
			dw[k] += g * t[i]
			sum += g * wk
		}
		if dt != nil {
			dt[i] = sum
		}
	}
}

func (f Fourier[T]) check(op string, out, t []T, rows int) {
	if rows < 0 {
		panic(fmt.Sprintf("nn: Fourier.%s: rows = %d", op, rows))
	}
	needIn("Fourier", op, "t", t, rows, 1)
	needIn("Fourier", op, "out", out, rows, 2*f.F)
}
