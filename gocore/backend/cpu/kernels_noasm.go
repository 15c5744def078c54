//go:build !amd64 || purego

package cpu

// supported lists the paths this build runs: the portable code alone.
var supported = []level{levelGo}

// The vector entry points exist only on amd64; vecLevel never selects
// them here.

func vecLNGELU(level, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32, int, int) {
	panic("unreachable")
}

func vecLNGELUJVP(level, []float32, []float32, []float32, []float32, []float32, []float32, int, int, int) {
	panic("unreachable")
}

func vecLNGELUBackward(level, []float32, []float32, []float32, []float32, []float32, []float32, []float32, []float32, int, int) {
	panic("unreachable")
}

func vecGELU(level, []float32, []float32, []float32)            { panic("unreachable") }
func vecMul(level, []float32, []float32, []float32)             { panic("unreachable") }
func vecSumRows(level, []float32, []float32, int)               { panic("unreachable") }
func vecPolyak(level, []float32, []float32, []float32, float32) { panic("unreachable") }
func vecAdam(level, []float32, []float32, []float32, []float32, []float32, []float32, []float32, float32, float32, float32, float32) {
	panic("unreachable")
}

func vecMatVec(level, []float32, []float32, []float32, int, int, int, int, bool) {
	panic("unreachable")
}

func vecExpShift(level, []float32, float32) int { panic("unreachable") }

func vecSinCos2Pi(level, []float32, []float32, []float32, float64) int { panic("unreachable") }

func gemmTile(level, *float32, *float32, *float32, int, int, int, int, int, int, bool, bool) {
	panic("unreachable")
}
