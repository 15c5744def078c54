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
// here takes or returns a struct, map, interface or numeric slice;
// structured results (configs, statistics) are JSON strings.
//
// The functions:
//
//	Version, BuildInfo                  what this build is
//	DefaultConfigJSON(preset)           a preset's Config as JSON
//	NewAgent(configJSON, obsDim, actDim) → handle
//	EffectiveConfig(h), Info(h)         the agent's Config and counters as JSON
//	Act(h, obs, rows, mode) → actions   batched, []byte rows in and out
//	Store(h, obs, act, reward, nextObs, terminated, rows)  batched
//	Update(h, n) → statistics JSON      n updates
//	Free(h), LiveHandles()
//
// Errors: functions that can fail return (value, error), and gopy raises
// the error as a Python RuntimeError whose message is
// "mfpo:<code>: <text>". The code is a stable word (see errors.go: config,
// shape, nonfinite, notenoughdata, update, handle, internal) that
// _core.py maps to mfpo's exception hierarchy; it never matches the text.
// Every exported function recovers panics into an "internal" error. No
// function returns a bare error: gopy v0.5.0 leaks a C string on every
// call of such a function, so those that have nothing else to return
// return a count.
//
// One Go runtime per process: the Python package loads this extension and
// never libmfpo.so (the C ABI in capi/), which would start a second runtime.
package bindings
