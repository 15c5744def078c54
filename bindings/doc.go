// Package bindings is the Go facade that gopy turns into mfpo's CPython
// extension (the private module mfpo._gopy inside the Python package; see
// setup.py). Python reaches gocore only through this package, and only
// python/mfpo/_core.py imports the extension.
//
// What may cross the boundary: scalars (bool, int, float64), strings,
// opaque handles (integers that name Go objects kept on this side), and
// []byte. Numbers in bulk cross as []byte holding little-endian float32
// rows, never as []float32 or any other slice of numbers: gopy turns every
// element of such a slice into a separate FFI call (about 1.2 ms for 4352
// floats against 2–6 µs for the same data as []byte). No exported function
// here takes or returns a struct, map, interface or numeric slice.
//
// Errors: functions that can fail return (value, error); gopy raises the
// error as a Python exception, and _core.py maps it to mfpo's exception
// hierarchy by status code, never by message text.
//
// One Go runtime per process: the Python package loads this extension and
// never libmfpo.so (the C ABI in capi/), which would start a second runtime.
package bindings
