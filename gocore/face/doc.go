// Package face is what every foreign face of mfpo shares: the C ABI
// (capi/, libmfpo.so) and the Python extension (bindings/, built by gopy)
// are thin shells over it. It owns, once:
//
//   - the handle table: tokens naming agents and policies, O(1) to make,
//     look up and free, never reused within a process;
//   - the error kinds, with stable numbers (mfpo.h's MFPO_E* codes) and
//     stable names (Python's exception codes), and the mapping from the
//     core's typed errors to them;
//   - acting modes (policy.Mode, by name or by the C ABI's number), the
//     checkpoint kinds and their default, and the statistics of an update
//     call, averaged over its updates;
//   - the rules of every call: argument checks, units (actions cross every
//     face in the environment's units, mapped with the agent's spaces),
//     explicit noise seeds, and the messages.
//
// A shell only converts its language's arguments into Go values (pointers
// and lengths in C, bytes in Python), calls one function here, and
// presents the result: the same call behaves the same, and fails with the
// same code and message body, in every face. Messages name no call: each
// shell prefixes its own function name.
//
// Every exported function recovers a panic into an *Error of code Panic.
package face
