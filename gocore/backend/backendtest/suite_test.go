package backendtest_test

import (
	"math"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mfpo/mfpo/gocore/backend"
	"github.com/mfpo/mfpo/gocore/backend/backendtest"
	"github.com/mfpo/mfpo/gocore/backend/cpu"
)

// The suite must fail on a backend that is wrong. Each case below is the
// CPU backend with one defect; TestSuiteFailsOnBrokenBackends runs the
// suite on it in a child process (the suite reports through t.Errorf)
// and expects the child to fail with the message named.

// broken is the float32 CPU backend with the defect what.
type broken struct {
	cpu.CPU[float32]
	what  string
	calls *atomic.Int64
}

func (b broken) Name() string { return "broken/" + b.what }

func (b broken) LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta []float32, rows, w int) {
	b.CPU.LNGELU(h, gp, xhat, rstd, x, bias, gamma, beta, rows, w)
	if b.what == "rstd" && gamma != nil { // 1/σ 1e-5 too large
		for i := range rstd[:rows] {
			rstd[i] *= 1 + 1e-5
		}
	}
}

func (b broken) CopyRows(dst []float32, ldd int, src []float32, lds int, rows, w int) {
	if b.what == "gaps" && src != nil && ldd > w && lds >= ldd { // whole rows, gaps too
		for r := 0; r < rows; r++ {
			copy(dst[r*ldd:min(r*ldd+ldd, len(dst))], src[r*lds:])
		}
		return
	}
	b.CPU.CopyRows(dst, ldd, src, lds, rows, w)
}

func (b broken) Axpy(y []float32, alpha float32, x []float32) {
	b.CPU.Axpy(y, alpha, x)
	if b.what == "nondeterministic" && b.calls.Add(1)%2 == 0 && len(y) > 0 { // one ulp, every other call
		y[0] = math.Nextafter32(y[0], float32(math.Inf(1)))
	}
}

func (b broken) Adam(params, grad, m, v []float32, step, epsHat, beta1, beta2 float32) {
	if b.what == "adam-step" {
		step *= 1.01 // 1 % too large a step
	}
	b.CPU.Adam(params, grad, m, v, step, epsHat, beta1, beta2)
}

func (b broken) LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma []float32, rows, w int) {
	b.CPU.LNGELUBackward(dx, dgamma, dbeta, dh, xhat, rstd, gp, gamma, rows, w)
	if b.what == "gradient" && gamma != nil { // the input gradient 1 % off
		for i := range dx[:rows*w] {
			dx[i] *= 1.01
		}
	}
}

var defects = []struct {
	what, run, want string
}{
	{"rstd", "Ops/LNGELU", "rstd["},
	{"gaps", "Ops/CopyRows", "outside its outputs"},
	{"nondeterministic", "Ops/Axpy", "not deterministic"},
	{"adam-step", "Update", "parameters"},
	{"gradient", "Update", "Adam m"},
}

func TestSuiteFailsOnBrokenBackends(t *testing.T) {
	for _, d := range defects {
		t.Run(d.what, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenBackend$/^"+d.run+"$")
			cmd.Env = append(os.Environ(), "BACKENDTEST_DEFECT="+d.what)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), d.want) {
				t.Fatalf("the suite on a backend with the defect %q: err %v, want a failure naming %q; output:\n%s", d.what, err, d.want, out)
			}
		})
	}
}

// TestBrokenBackend is the child of TestSuiteFailsOnBrokenBackends: with
// BACKENDTEST_DEFECT unset it has nothing to do.
func TestBrokenBackend(t *testing.T) {
	what := os.Getenv("BACKENDTEST_DEFECT")
	if what == "" {
		return
	}
	newBackend := func() backend.Backend[float32] {
		return broken{CPU: cpu.New[float32](), what: what, calls: new(atomic.Int64)}
	}
	t.Run("Ops", func(t *testing.T) { backendtest.Ops(t, newBackend()) })
	t.Run("Update", func(t *testing.T) { backendtest.Update(t, newBackend) })
}
