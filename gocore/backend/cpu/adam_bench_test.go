package cpu

import "testing"

// The rollback's cost per step (Agent.Update): an out-of-place Adam step
// (AdamTo) against the in-place step with and without the three copies
// of params and moments that the snapshot used to make. n is the paper
// policy's parameter count; 64 arrays cycle, so that every step finds
// its arrays out of cache, as in an update.
const adamBenchN = 182150

func adamBenchBufs() [][]float32 {
	var b [][]float32
	for i := 0; i < 64; i++ {
		x := make([]float32, adamBenchN)
		for j := range x {
			x[j] = 0.01
		}
		b = append(b, x)
	}
	return b
}

func BenchmarkAdamInPlaceAndSnapshot(b *testing.B) {
	be := New[float32]()
	x := adamBenchBufs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := (i % 8) * 8
		copy(x[o+4], x[o])
		copy(x[o+5], x[o+2])
		copy(x[o+6], x[o+3])
		be.Adam(x[o], x[o+1], x[o+2], x[o+3], 1e-4, 1e-8, 0.9, 0.999)
	}
}

func BenchmarkAdamInPlace(b *testing.B) {
	be := New[float32]()
	x := adamBenchBufs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := (i % 8) * 8
		be.Adam(x[o], x[o+1], x[o+2], x[o+3], 1e-4, 1e-8, 0.9, 0.999)
	}
}

func BenchmarkAdamTo(b *testing.B) {
	be := New[float32]()
	x := adamBenchBufs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o := (i % 8) * 8
		be.AdamTo(x[o+4], x[o+5], x[o+6], x[o], x[o+1], x[o+2], x[o+3], 1e-4, 1e-8, 0.9, 0.999)
	}
}
