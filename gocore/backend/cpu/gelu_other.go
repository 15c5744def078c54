//go:build !amd64

package cpu

var useAVX2 = false

func gelu32(g, gp, x []float32) { geluPortable(g, gp, x) }
