// Package bindings is the Go facade that gopy turns into mfpo's CPython
// extension (the private module mfpo._gopy inside the Python package; see
// setup.py). Python reaches gocore only through this package, and only
// python/mfpo/_core.py imports the extension.
//
// What may cross the boundary: scalars (bool, int, float64), strings,
// opaque handles (integers that name Go objects kept on this side), []byte,
// and for acting addresses (uintptr). Numbers in bulk cross as []byte
// holding little-endian float32 rows, never as []float32 or any other
// slice of numbers: gopy turns every element of such a slice into a
// separate FFI call (about 1.2 ms for 4352 floats against 2–6 µs for the
// same data as []byte). The act functions, the hot path, take the
// addresses and lengths of float32 arrays that mfpo._core owns and Go
// views in place for the call only (act.go): one crossing, no copy, no
// gopy handle. No exported function here takes or returns a struct, map,
// interface or numeric slice; structured results (configs, statistics)
// are JSON strings.
//
// It is a thin shell over gocore/face, which holds the rules of every
// call (the C ABI in capi/ is the other shell over it): this package only
// decodes []byte and JSON into Go values (or views the act functions'
// addresses), names its call in messages and encodes the results. The functions:
//
//	Version, BuildInfo, Codes            what this build is; the error codes
//	DefaultConfigJSON(preset)            a preset's Config as JSON
//	NewAgent(configJSON, spacesJSON)     → handle
//	Info(h)                              spaces, counters, α, config as JSON
//	ActAt(h, obs, obsLen, dst, dstLen, rows, mode, seed)  actions in the env's units, by address
//	Store(h, obs, act, reward, nextObs, terminated, rows)  batched
//	Update(h, n)                         → statistics JSON
//	Save, Marshal, Load, Unmarshal       checkpoints
//	PolicyLoad, PolicyUnmarshal, PolicyFromAgent, PolicyInfo, PolicyActAt, PolicyFree
//	Free(h), LiveHandles(), LivePolicies()
//
// Errors: functions that can fail return (value, error), and gopy raises
// the error as a Python RuntimeError whose message is
// "mfpo:<code>: <call>: <text>". The code is the name of a gocore/face code
// (Codes lists them) that _core.py maps to mfpo's exception hierarchy; it
// never matches the text.
// Every exported function recovers panics into an "internal" error. No
// function returns a bare error: gopy v0.5.0 leaks a C string on every
// call of such a function, so those that have nothing else to return
// return a bool (TestNoBareErrors checks).
//
// One Go runtime per process: the Python package loads this extension and
// never libmfpo.so (the C ABI in capi/), which would start a second runtime.
package bindings
