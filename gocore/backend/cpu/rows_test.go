package cpu

import (
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/internal/fd"
)

// RowSumSquares against a float64 reference: exact to rounding in
// float64, within float32 rounding of a w-term sum in float32; the row
// past the last is untouched.
func TestRowSumSquares(t *testing.T) {
	rng := fd.NewRNG(9)
	rows, w := 5, 7
	x := fd.RandVec(rng, rows*w)
	alpha, c := -0.5, -0.5*float64(w)*math.Log(2*math.Pi)
	want := make([]float64, rows)
	for i := range want {
		s := 0.0
		for _, v := range x[i*w : (i+1)*w] {
			s += v * v
		}
		want[i] = c + alpha*s
	}
	got, ok := fd.Guarded[float64](t, rows)
	New[float64]().RowSumSquares(got, x, rows, w, alpha, c)
	ok()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-14*(1+math.Abs(want[i])) {
			t.Fatalf("float64 row %d: %v, want %v", i, got[i], want[i])
		}
	}
	x32 := make([]float32, len(x))
	for i, v := range x {
		x32[i] = float32(v)
	}
	got32 := make([]float32, rows+1)
	got32[rows] = 42
	New[float32]().RowSumSquares(got32, x32, rows, w, float32(alpha), float32(c))
	for i := range want {
		if math.Abs(float64(got32[i])-want[i]) > 1e-6*(1+math.Abs(want[i])) {
			t.Fatalf("float32 row %d: %v, want %v", i, got32[i], want[i])
		}
	}
	if got32[rows] != 42 {
		t.Fatal("RowSumSquares wrote past its rows")
	}
}
