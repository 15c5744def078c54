package cpu

import (
	"fmt"
	"math"
)

// Fourier sets out = [cos 2πtW, sin 2πtW] (backend.Backend). A row whose
// time equals the previous row's copies that row: the sampler's batches
// share one time value.
func (CPU[T]) Fourier(out, t, freq []T, rows int) {
	f := len(freq)
	checkRows("Fourier", out, 2*f, rows, 2*f)
	checkRows("Fourier", t, 1, rows, 1)
	_, fast := any(freq).([]float32)
	lv := vecLevel[T]()
	for i := 0; i < rows; i++ {
		row := out[i*2*f : (i+1)*2*f]
		if i > 0 && t[i] == t[i-1] {
			copy(row, out[(i-1)*2*f:i*2*f])
			continue
		}
		c, s := row[:f], row[f:]
		ti := float64(t[i])
		k0 := 0
		if lv != levelGo { // float32: sinCos2Pi's bits, whole vectors at a time
			k0 = vecSinCos2Pi(lv, f32(c), f32(s), f32(freq), ti)
		}
		for k := k0; k < f; k++ {
			var sin, cos float64
			if fast {
				sin, cos = sinCos2Pi(ti * float64(freq[k]))
			} else {
				sin, cos = math.Sincos(2 * math.Pi * ti * float64(freq[k]))
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
	sin = y * (1 + z*(sinS1+z*(sinS2+z*(sinS3+z*(sinS4+z*(sinS5+z*sinS6))))))
	cos = 1 + z*(cosC1+z*(cosC2+z*(cosC3+z*(cosC4+z*(cosC5+z*(cosC6+z*cosC7))))))
	return sin, sign * cos
}

// sinCos2Pi's Taylor coefficients, (−1)^j/(2j+1)! and (−1)^j/(2j)!
// (the vector kernels read them from vecConsts).
const (
	sinS1, sinS2, sinS3, sinS4, sinS5, sinS6        = -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800
	cosC1, cosC2, cosC3, cosC4, cosC5, cosC6, cosC7 = -1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600, -1.0 / 87178291200
)

// FourierJVP is the tangent of Fourier (backend.Backend).
func (CPU[T]) FourierJVP(dout, dt, out, freq []T, rows, p int) {
	f := len(freq)
	checkRows("FourierJVP", out, 2*f, rows, 2*f)
	checkRows("FourierJVP", dt, 1, rows*p, 1)
	checkRows("FourierJVP", dout, 2*f, rows*p, 2*f)
	for i := 0; i < rows*p; i++ {
		r := i / p
		c := out[r*2*f : r*2*f+f]
		s := out[r*2*f+f : (r+1)*2*f]
		dc := dout[i*2*f : i*2*f+f]
		ds := dout[i*2*f+f : (i+1)*2*f]
		for k, wk := range freq {
			df := 2 * math.Pi * wk * dt[i]
			dc[k] = -s[k] * df
			ds[k] = c[k] * df
		}
	}
}

// FourierBackward is the gradient of Fourier (backend.Backend).
func (CPU[T]) FourierBackward(dt, dfreq, dout, t, out, freq []T, rows int) {
	f := len(freq)
	checkRows("FourierBackward", out, 2*f, rows, 2*f)
	checkRows("FourierBackward", dout, 2*f, rows, 2*f)
	checkRows("FourierBackward", t, 1, rows, 1)
	if len(dfreq) < f {
		panic(fmt.Sprintf("backend/cpu: FourierBackward: dfreq has %d elements, want %d", len(dfreq), f))
	}
	dw := dfreq[:f]
	for i := 0; i < rows; i++ {
		c := out[i*2*f : i*2*f+f]
		s := out[i*2*f+f : (i+1)*2*f]
		dc := dout[i*2*f : i*2*f+f]
		ds := dout[i*2*f+f : (i+1)*2*f]
		var sum T
		for k, wk := range freq {
			g := (-s[k]*dc[k] + c[k]*ds[k]) * (2 * math.Pi)
			dw[k] += g * t[i]
			sum += g * wk
		}
		if dt != nil {
			dt[i] = sum
		}
	}
}
