// Package nn is mfpo's neural-network engine: the layers of
// docs/algorithm.md §7 with batched forward passes, reverse-mode
// derivatives (parameter and input gradients) and forward-mode derivatives
// (Jacobian-vector products with respect to the inputs), plus Adam and
// Polyak averaging over one contiguous parameter vector per network.
//
// # Shapes
//
// Every matrix is a flat row-major []T of shape [rows×width]. A network
// takes vector inputs (each [rows×width_i]) and scalar time inputs (each
// [rows]); see Vars. A forward-mode pass carries P tangents per input row
// at once: a tangent matrix has shape [rows×P×width], the P tangents of row
// i being rows i·P … i·P+P−1. P = 1 gives the MeanFlow total derivative;
// P = N gives N Hutchinson probes; P = d gives the exact trace's basis
// vectors.
//
// # Buffers
//
// An MLP holds only its parameters. Everything a pass writes lives in a
// Workspace sized once for the largest batch, so that steady-state passes
// allocate nothing and several goroutines can run one network on
// different batch slices, each with its own Workspace and gradient vector.
//
// # The first layer split
//
// Rows that share a state or the times need not recompute their share of
// the first Dense (docs/algorithm.md §8): FirstBias gives the times' term
// b + cond·W_c, SetGroups the inputs' term once per group of rows, and
// ForwardGrouped adds the per-row inputs' products and runs the rest, a
// forward-only pass equal to Forward up to the summation order (split.go).
//
// # Conventions
//
// Destination first: ForwardTo(y, x), BackwardTo(dx, dW, db, dy, x),
// JVPTo(dy, dx). Inputs are never mutated. Parameter gradients are
// accumulated (+=) so that several losses can share one gradient vector;
// input gradients and outputs are overwritten. Shape mismatches are
// programmer errors and panic with a message that names the package and
// the shapes; data errors (a non-finite gradient or input) are returned as
// *NonFiniteError.
//
// T is float32 in production and float64 in the derivative checks. The
// float32 GELU uses a rational tanh approximation (relative error below
// 4e-7, see tanh.go); float64 uses math.Tanh.
package nn
