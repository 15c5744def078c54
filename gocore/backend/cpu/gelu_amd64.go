//go:build amd64

package cpu

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA GELU kernel; it is a variable so that the
// tests can compare the two paths.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// geluAVX2 computes GELU and its derivative (see geluRow) for n values, n
// a multiple of 8, eight lanes at a time, with the float32 rational tanh
// of tanh.go. c holds each constant broadcast to 8 lanes.
//
//go:noescape
func geluAVX2(out, deriv, in *float32, n int, c *geluConsts)

// geluConsts is the constant table of geluAVX2, in the order the assembly
// reads it (offsets 32·i).
type geluConsts [18][8]float32

var geluTable = func() (c geluConsts) {
	vals := [18]float32{
		geluK, geluK * geluC, 3 * geluK * geluC, 1.0 / 81,
		tanhP0, tanhP1, tanhP2, tanhP3, tanhP4, tanhP5, tanhP6,
		tanhQ0, tanhQ1, tanhQ2,
		1, 0.5, -9, 9,
	}
	for i, v := range vals {
		for j := range c[i] {
			c[i][j] = v
		}
	}
	return c
}()

// gelu32 is geluRow for float32: the vector kernel on the multiple-of-8
// prefix, the portable code on the rest.
func gelu32(g, gp, x []float32) {
	n := len(x)
	g, gp = g[:n], gp[:n]
	n8 := 0
	if useAVX2 {
		n8 = n &^ 7
		if n8 > 0 {
			geluAVX2(&g[0], &gp[0], &x[0], n8, &geluTable)
		}
	}
	if n8 < n {
		geluPortable(g[n8:], gp[n8:], x[n8:])
	}
}
