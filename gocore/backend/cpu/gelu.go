package cpu

const (
	geluK = 0.7978845608028654 // √(2/π)
	geluC = 0.044715
)

// geluRow sets g = GELU(x) = 0.5x(1 + tanh z), z = √(2/π)(x + 0.044715x³),
// and its derivative gp = 0.5(1 + tanh z) + 0.5x(1 − tanh²z)·√(2/π)(1 +
// 3·0.044715x²), which is all that the backward pass and the JVP need.
// g may alias x; a nil gp writes g alone (the same values). float32 rows
// go to the vector kernels where a vector path is active.
func geluRow[T Float](g, gp, x []T) {
	n := len(x)
	if lv := vecLevel[T](); lv != levelGo && n > 0 {
		if gp != nil {
			gp = gp[:n]
		}
		vecGELU(lv, f32(g[:n]), f32(gp), f32(x))
		return
	}
	if gp != nil {
		geluPortable(g, gp, x)
		return
	}
	// GELU′ into a scratch block, dropped.
	var scratch [64]T
	g = g[:n]
	for j := 0; j < n; j += len(scratch) {
		k := min(n, j+len(scratch))
		geluPortable(g[j:k], scratch[:k-j], x[j:k])
	}
}

// geluPortable is geluRow in plain Go.
func geluPortable[T Float](g, gp, x []T) {
	n := len(x)
	g, gp = g[:n], gp[:n]
	for j, v := range x {
		gp[j] = geluK * (v + geluC*v*v*v)
	}
	tanhInPlace(gp)
	for j, v := range x {
		th := gp[j]
		g[j] = 0.5 * v * (1 + th)
		gp[j] = 0.5*(1+th) + 0.5*v*(1-th*th)*geluK*(1+3*geluC*v*v)
	}
}

// mulRow sets z = x⊙y; z may alias x. The vector paths give the same
// bits.
func mulRow[T Float](z, x, y []T) {
	z, y = z[:len(x)], y[:len(x)]
	if lv := vecLevel[T](); lv != levelGo && len(x) > 0 {
		vecMul(lv, f32(z), f32(x), f32(y))
		return
	}
	for j, v := range x {
		z[j] = v * y[j]
	}
}
