package nn

import (
	"errors"
	"math"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

func TestAdamMatchesTheTextbookUpdate(t *testing.T) {
	// Three steps against the update written out in float64.
	params := []float64{0.5, -1, 2}
	grads := [][]float64{{0.1, -0.2, 3}, {-0.4, 0.1, 2}, {0.2, 0.2, -1}}
	a := NewAdam(cpu.New[float64](), 3, 3e-4)
	want := append([]float64(nil), params...)
	m, v := make([]float64, 3), make([]float64, 3)
	for k, g := range grads {
		if err := a.Step(params, g); err != nil {
			t.Fatal(err)
		}
		for i := range want {
			m[i] = 0.9*m[i] + 0.1*g[i]
			v[i] = 0.999*v[i] + 0.001*g[i]*g[i]
			mh := m[i] / (1 - math.Pow(0.9, float64(k+1)))
			vh := v[i] / (1 - math.Pow(0.999, float64(k+1)))
			want[i] -= 3e-4 * mh / (math.Sqrt(vh) + 1e-8)
		}
		checkClose(t, "params", params, want)
	}
	// The first step moves each parameter by lr·sign(g), up to ε.
	b := NewAdam(cpu.New[float64](), 1, 0.01)
	p := []float64{0}
	b.Step(p, []float64{-7})
	if math.Abs(p[0]-0.01) > 1e-9 {
		t.Fatalf("first Adam step = %v, want 0.01", p[0])
	}
}

func TestAdamRefusesNonFiniteGradients(t *testing.T) {
	a := NewAdam(cpu.New[float32](), 3, 1e-3)
	params := []float32{1, 2, 3}
	a.Step(params, []float32{1, 1, 1})
	before := append([]float32(nil), params...)
	m, v := append([]float32(nil), a.M...), append([]float32(nil), a.V...)
	err := a.Step(params, []float32{1, float32(math.NaN()), 1})
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Index != 1 {
		t.Fatalf("Step with a NaN gradient returned %v, want a *NonFiniteError at index 1", err)
	}
	for i := range params {
		if params[i] != before[i] || a.M[i] != m[i] || a.V[i] != v[i] || a.Steps != 1 {
			t.Fatal("a refused step changed the parameters or the optimiser state")
		}
	}
}

func TestPolyak(t *testing.T) {
	target := []float32{1, 2, 3}
	Polyak(cpu.New[float32](), target, []float32{3, 2, 1}, 0.25)
	want := []float32{1.5, 2, 2.5}
	for i := range want {
		if target[i] != want[i] {
			t.Fatalf("Polyak = %v, want %v", target, want)
		}
	}
}
