// Package checkpoint saves and loads MFPO agents in one flatbuffers format
// that Go, Python and C++ read alike (schema/checkpoint.fbs; the format,
// its guarantees and its error cases are in docs/checkpoint.md).
//
// A Full checkpoint holds everything training needs to resume bit for bit:
// the Config, the observation and action spaces, every network (policy,
// average-divergence network, both online and both target critics), every
// Adam state, log α, the state of the agent's random generator, the update
// and transition counters and, optionally, the replay buffer. Loading it
// and training M more updates gives the same agent, bit for bit on the
// same CPU and BLAS, as training without the interruption. A Policy
// checkpoint holds what inference needs: the Config, the spaces, the
// policy and the target critics (best-of-N acting scores with them).
//
//	err := checkpoint.Save("run/agent.mfpo", agent, checkpoint.Options{Replay: true})
//	agent, info, err := checkpoint.Load("run/agent.mfpo")
//	p, info, err := checkpoint.LoadPolicy("run/agent.mfpo") // either kind: a *policy.Policy
//
// Save writes a temporary file in the target's folder, syncs it, renames
// it over the target and syncs the folder: a crash leaves either the old
// checkpoint or the new one, never a mixture.
//
// Loading never trusts the file: before a field is read, every offset,
// vtable and vector on the way to it is checked against the buffer's
// bounds (the Go flatbuffers runtime has no verifier; the verifier's
// tables are generated from the schema by internal/fbgen), then the file
// identifier, the format version, the kind, the config and the length of
// every tensor against the config; a runtime panic that slipped through
// would still be recovered into an error. A truncated, corrupted or
// foreign file is a *FormatError (*VersionError for a newer format); a
// file that describes an agent larger than Limits allow is a *LimitError,
// checked before anything is allocated. Verify runs all of these checks
// and builds nothing (Python's mfpo.checkpoint.read relies on it).
package checkpoint
