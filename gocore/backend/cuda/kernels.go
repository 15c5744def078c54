//go:build cuda

package cuda

import (
	"embed"
	"fmt"

	"gorgonia.org/cu"
)

// ptxFS holds the kernels of kernels/ compiled to PTX (make ptx; make
// check-ptx fails when they are stale).
//
//go:embed ptx/*.ptx
var ptxFS embed.FS

// kernels are the loaded functions, one field per kernel of kernels/.
type kernels struct {
	copyRows, addRows, repeatRows, fill, axpy, clamp, sumRows, setRows cu.Function
	geluFwd, mulRows, lnGELUFwd, lnGELUJVP, lnGELUBwdParams, lnGELUBwd cu.Function
	fourierFwd, fourierJVP, fourierBwdFreq, fourierBwdT                cu.Function
	adam, polyak, firstNonFiniteInit, firstNonFinite                   cu.Function
	normalFill, truncNormal, rowSumSquares                             cu.Function
}

// table lists every kernel by module (the .cu file) and PTX name.
func (k *kernels) table() map[string]map[string]*cu.Function {
	return map[string]map[string]*cu.Function{
		"elementwise": {"copy_rows": &k.copyRows, "add_rows": &k.addRows, "repeat_rows": &k.repeatRows, "fill": &k.fill,
			"axpy": &k.axpy, "clamp": &k.clamp, "sum_rows": &k.sumRows, "set_rows": &k.setRows,
			"row_sum_squares": &k.rowSumSquares},
		"layers": {"gelu_fwd": &k.geluFwd, "mul_rows": &k.mulRows, "ln_gelu_fwd": &k.lnGELUFwd, "ln_gelu_jvp": &k.lnGELUJVP,
			"ln_gelu_bwd_params": &k.lnGELUBwdParams, "ln_gelu_bwd": &k.lnGELUBwd, "fourier_fwd": &k.fourierFwd,
			"fourier_jvp": &k.fourierJVP, "fourier_bwd_freq": &k.fourierBwdFreq, "fourier_bwd_t": &k.fourierBwdT},
		"optim":  {"adam": &k.adam, "polyak": &k.polyak, "first_nonfinite_init": &k.firstNonFiniteInit, "first_nonfinite": &k.firstNonFinite},
		"random": {"normal_fill": &k.normalFill, "trunc_normal": &k.truncNormal},
	}
}

// load loads every module into the current context and looks up its
// kernels.
func (k *kernels) load() ([]cu.Module, error) {
	var mods []cu.Module
	for name, fns := range k.table() {
		src, err := ptxFS.ReadFile("ptx/" + name + ".ptx")
		if err != nil {
			return mods, fmt.Errorf("the embedded PTX lacks %s.ptx: %v", name, err)
		}
		m, err := cu.LoadData(string(src))
		if err != nil {
			return mods, fmt.Errorf("cuModuleLoadData(%s.ptx): %v (the PTX is ISA 9.0 from CUDA 13.0's nvcc: the driver must be CUDA 13 or newer)", name, err)
		}
		mods = append(mods, m)
		for fn, dst := range fns {
			if *dst, err = m.Function(fn); err != nil {
				return mods, fmt.Errorf("%s.ptx has no kernel %s: %v", name, fn, err)
			}
		}
	}
	return mods, nil
}
