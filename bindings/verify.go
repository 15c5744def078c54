package bindings

import (
	"encoding/json"

	"github.com/mfpo/mfpo/gocore/checkpoint"
)

// CheckpointVerify runs gocore/checkpoint.Verify on a checkpoint's bytes:
// every check Load (for a full checkpoint) or LoadPolicy (for a policy
// one) makes before it allocates — the structure against the schema, the
// identifier, the checksum (unless checksum is false), the version, the
// config, the spaces, every tensor's length against the config, the
// memory limit. It returns
//
//	{"config": {…Config.JSON…}, "obs_shape": [3]}
//
// after which the bytes are safe to read with the generated flatbuffers
// code (python/mfpo/checkpoint.py does). path, when not empty, names the
// file in the errors: "checkpoint" for bytes that are not a valid
// checkpoint or describe an agent over the memory limit, "version" for a
// newer format.
func CheckpointVerify(data []byte, path string, checksum bool) (s string, err error) {
	defer recoverInto(&err)
	info, err := checkpoint.Verify(data, checkpoint.VerifyOptions{Path: path, NoChecksum: !checksum})
	if err != nil {
		return "", fail("verify", err)
	}
	b, err := json.Marshal(map[string]any{"config": json.RawMessage(info.Config.JSON()), "obs_shape": info.Spaces.Shape()})
	return string(b), fail("verify", err)
}
