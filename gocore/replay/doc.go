// Package replay is mfpo's experience replay: a FIFO ring buffer of
// transitions (s, a, r, s′, terminated) with uniform sampling with
// replacement (docs/algorithm.md §7, "Replay").
//
// # Storage
//
// A Buffer of capacity C for observations of width O and actions of
// width A owns five contiguous float32 arrays, row-major:
//
//	obs     [C×O]   s
//	act     [C×A]   a
//	reward  [C]     r
//	nextObs [C×O]   s′
//	notDone [C]     m = 1 − terminated (0 only for a true termination;
//	                a time-limit truncation is stored as m = 1, §3)
//
// Row i of every array is one transition. The write position pos is the
// row the next transition goes to; len is the number of stored rows.
// While len < C the rows 0 … len−1 are stored and pos == len; once full,
// every new transition overwrites the oldest (the one at pos) and
// pos = (pos + 1) mod C. Rows are never moved, so a stored transition's
// row is its arrival number mod C.
//
// # Sampling
//
// Sample draws n row indices i_k ~ U{0, …, len−1} independently (with
// replacement) with rng.IntN(len) and copies the rows into a Batch made
// once by NewBatch. The stored order does not matter for sampling, only
// the set of stored rows, so sampling is uniform over the stored
// transitions whether or not the ring has wrapped.
//
// # Errors and allocation
//
// A NaN or an infinity in a transition is a data error: Add and AddBatch
// return a *NonFiniteError and leave the buffer exactly as it was
// (AddBatch validates every row before storing any). Slices of the wrong
// length are programmer errors and panic with a message that starts with
// "replay:". Add, AddBatch and Sample allocate nothing.
//
// # Checkpoints
//
// State exposes the five arrays (aliasing the storage, no copy) with pos
// and len: everything an exact resume needs. Restore copies such a State
// back after checking its sizes, its invariants and its values. The same
// rng state after Restore gives the same samples as the original buffer.
//
// A Buffer is not safe for concurrent use.
package replay
