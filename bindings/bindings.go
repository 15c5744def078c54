package bindings

import (
	"encoding/json"

	"github.com/mfpo/mfpo/gocore/buildinfo"
	"github.com/mfpo/mfpo/gocore/face"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Version returns mfpo's semantic version, buildinfo.Version ("0.1.0"); the
// Python package serves it as mfpo.__version__.
func Version() string {
	return buildinfo.Version
}

// BuildInfo returns this build as a JSON object with the keys version,
// go_version, blas ("openblas" or "gonum"), os and arch: buildinfo.JSON().
// Python's mfpo.build_info() decodes it into a dict.
func BuildInfo() string {
	return buildinfo.JSON()
}

// MemoryLimit returns the process's memory limit in bytes (face.MemoryLimit;
// docs/limits.md). Python's mfpo.memory_limit().
func MemoryLimit() int64 { return face.MemoryLimit() }

// SetMemoryLimit sets the process's memory limit (n ≤ 0: the default) and
// returns the one before. Python's mfpo.set_memory_limit(n).
func SetMemoryLimit(n int64) int64 { return face.SetMemoryLimit(n) }

// ProposalMixes returns the names of the Config's proposal_mix values as
// a JSON list, in mfpo.ProposalMixes' order: ["ess", "balance"]. Python's
// mfpo.PROPOSAL_MIXES.
func ProposalMixes() (string, error) {
	b, err := json.Marshal(mfpo.ProposalMixes)
	return string(b), err
}

// Modes returns the acting modes' names as a JSON list, in policy.Modes' order: ["sample", …].
func Modes() (string, error) {
	names := make([]string, len(policy.Modes))
	for i, m := range policy.Modes {
		names[i] = m.String()
	}
	b, err := json.Marshal(names)
	return string(b), err
}
