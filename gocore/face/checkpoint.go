package face

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// SaveKind is what a checkpoint holds. The numbers are the C ABI's
// MFPO_SAVE_* flags, the names Python's.
type SaveKind int

const (
	SaveFull   SaveKind = iota // everything training needs, without the replay buffer
	SaveReplay                 // full, with the replay buffer: training resumes bit for bit
	SavePolicy                 // what acting needs: config, spaces, the policy and the target critics
)

// DefaultSave is the kind every face saves when not told: like
// Stable-Baselines3's save, without the replay buffer.
const DefaultSave = SaveFull

var saveNames = [...]string{SaveFull: "full", SaveReplay: "replay", SavePolicy: "policy"}

func (k SaveKind) String() string {
	if k < 0 || int(k) >= len(saveNames) {
		return fmt.Sprintf("SaveKind(%d)", int(k))
	}
	return saveNames[k]
}

// SaveKindOf is the kind of a C ABI flags value; anything else is EInval.
func SaveKindOf(flags uint) (SaveKind, error) {
	if flags >= uint(len(saveNames)) {
		return 0, errorf(EInval, "kind %d, want %s", flags, kindList())
	}
	return SaveKind(flags), nil
}

// SaveKindOfName is the kind of a name ("full", "replay", "policy");
// "" is DefaultSave; anything else is EInval.
func SaveKindOfName(name string) (SaveKind, error) {
	if name == "" {
		return DefaultSave, nil
	}
	for k, n := range saveNames {
		if n == name {
			return SaveKind(k), nil
		}
	}
	return 0, errorf(EInval, "kind %q, want %s", name, kindList())
}

// kindList names every kind with its C ABI number: `"full" (0), …`.
func kindList() string {
	return fmt.Sprintf("%q (0), %q (1) or %q (2)", saveNames[0], saveNames[1], saveNames[2])
}

func (k SaveKind) options() checkpoint.Options {
	return checkpoint.Options{Replay: k == SaveReplay, PolicyOnly: k == SavePolicy}
}

// fileError gives the errors of saving and loading their codes: the
// checkpoint's typed errors keep theirs; any other error comes from the
// file system (a short read, a full disk, a failed rename): EIO.
func fileError(err error) *Error {
	e := AsError(err)
	var pe *fs.PathError
	if e.Code == EPanic && !errors.As(err, &pe) {
		e = errorf(EIO, "%s", err)
	}
	return e
}

// MaxPath is the longest path, in bytes (Linux's PATH_MAX less its NUL).
const MaxPath = 4095

func pathArg(path string) error {
	switch {
	case path == "":
		return errorf(EInval, "path is empty")
	case len(path) > MaxPath:
		return errorf(EInval, "path is longer than %d bytes", MaxPath)
	case strings.IndexByte(path, 0) >= 0:
		return errorf(EInval, "path %q holds a NUL byte", path)
	}
	return nil
}

// AgentSave writes a checkpoint of agent h to path, atomically (a
// temporary file beside it, synced, renamed over path).
func AgentSave(h Handle, path string, kind SaveKind) (err error) {
	defer catch(&err)
	if err := pathArg(path); err != nil {
		return err
	}
	return withAgent(h, func(ah *agentHandle) error {
		if err := checkpoint.Save(path, ah.agent, kind.options()); err != nil {
			return fileError(err)
		}
		return nil
	})
}

// AgentMarshal returns the bytes AgentSave would write. With keep, the
// bytes are also kept in the handle, and the next call for the same kind
// returns them without marshalling again while the agent is unchanged
// (and drops them unless keep): a size query and the copy that follows
// it marshal once.
func AgentMarshal(h Handle, kind SaveKind, keep bool) (data []byte, err error) {
	defer catch(&err)
	err = withAgent(h, func(ah *agentHandle) error {
		key := keptKey{ah.gen, kind}
		if ah.kept != nil && ah.keptKey == key {
			data = ah.kept
		} else {
			b, err := checkpoint.Marshal(ah.agent, kind.options())
			if err != nil {
				return AsError(err)
			}
			data = b
		}
		ah.kept, ah.keptKey = nil, key
		if keep {
			ah.kept = data
		}
		return nil
	})
	return data, err
}

// MaxCheckpoint is the largest checkpoint (flatbuffers' 32-bit offsets).
const MaxCheckpoint = 1<<31 - 1

func bytesArg(data []byte) error {
	if len(data) > MaxCheckpoint {
		return errorf(EFormat, "%d bytes, more than a checkpoint can have (%d)", len(data), MaxCheckpoint)
	}
	return nil
}

// LoadAgent reads a full checkpoint into a new agent that continues
// exactly where the saved one was.
func LoadAgent(path string) (h Handle, info *checkpoint.Info, err error) {
	defer catch(&err)
	if err := SecondRuntime(); err != nil {
		return 0, nil, err
	}
	if err := pathArg(path); err != nil {
		return 0, nil, err
	}
	a, info, err := checkpoint.Load(path)
	return loadedAgent(a, info, err)
}

// LoadAgentBytes is LoadAgent from a checkpoint's bytes (none kept).
func LoadAgentBytes(data []byte) (h Handle, info *checkpoint.Info, err error) {
	defer catch(&err)
	if err := SecondRuntime(); err != nil {
		return 0, nil, err
	}
	if err := bytesArg(data); err != nil {
		return 0, nil, err
	}
	a, info, err := checkpoint.Unmarshal(data, checkpoint.Limits{})
	return loadedAgent(a, info, err)
}

func loadedAgent(a *mfpo.Agent, info *checkpoint.Info, err error) (Handle, *checkpoint.Info, error) {
	if err != nil {
		return 0, nil, fileError(err)
	}
	return register(&agentHandle{agent: a}), info, nil
}

// LoadPolicy reads the policy of a checkpoint of either kind into a new
// policy handle.
func LoadPolicy(path string) (h Handle, info *checkpoint.Info, err error) {
	defer catch(&err)
	if err := SecondRuntime(); err != nil {
		return 0, nil, err
	}
	if err := pathArg(path); err != nil {
		return 0, nil, err
	}
	p, info, err := checkpoint.LoadPolicy(path)
	return loadedPolicy(p, info, err)
}

// LoadPolicyBytes is LoadPolicy from a checkpoint's bytes (none kept).
func LoadPolicyBytes(data []byte) (h Handle, info *checkpoint.Info, err error) {
	defer catch(&err)
	if err := SecondRuntime(); err != nil {
		return 0, nil, err
	}
	if err := bytesArg(data); err != nil {
		return 0, nil, err
	}
	p, info, err := checkpoint.UnmarshalPolicy(data, checkpoint.Limits{})
	return loadedPolicy(p, info, err)
}

func loadedPolicy(p *policy.Policy, info *checkpoint.Info, err error) (Handle, *checkpoint.Info, error) {
	if err != nil {
		return 0, nil, fileError(err)
	}
	return register(&policyHandle{p: p, config: info.Config.JSON()}), info, nil
}

// AgentLoadReplay replaces agent h's replay buffer with a copy of the one
// in a full checkpoint saved with it (its bytes), as Stable-Baselines3's
// load_replay_buffer does; the rest of h is unchanged. The rows are
// stored in the agent's units (observations flat, actions in [−1, 1]), so
// the checkpoint's obs_dim, act_dim and buffer_size must be h's. The
// count of stored transitions is raised to at least the rows loaded (a
// buffer never holds more than was ever stored; checkpoints check it).
func AgentLoadReplay(h Handle, data []byte) (err error) {
	defer catch(&err)
	if err := CheckAgent(h); err != nil { // before the work of decoding
		return err
	}
	if err := bytesArg(data); err != nil {
		return err
	}
	src, info, err := checkpoint.Unmarshal(data, checkpoint.Limits{})
	if err != nil {
		return fileError(err)
	}
	defer src.Close()
	if !info.Replay {
		return errorf(EFormat, "the checkpoint holds no replay buffer (it was saved without one)")
	}
	return withAgent(h, func(ah *agentHandle) error {
		a, b := ah.agent, src.Buffer
		if b.ObsDim() != a.Buffer.ObsDim() || b.ActDim() != a.Buffer.ActDim() {
			return errorf(EShape, "the replay buffer's rows have obs_dim %d and act_dim %d, the agent's %d and %d",
				b.ObsDim(), b.ActDim(), a.Buffer.ObsDim(), a.Buffer.ActDim())
		}
		if b.Capacity() != a.Buffer.Capacity() {
			return errorf(EConfig, "the replay buffer holds up to %d transitions (buffer_size), the agent's %d",
				b.Capacity(), a.Buffer.Capacity())
		}
		if err := a.Buffer.Restore(b.State()); err != nil { // verified when loaded: a bug
			return errorf(EPanic, "internal error (a bug in mfpo, please report it): %v", err)
		}
		a.Stored = max(a.Stored, int64(b.Len()))
		ah.changed()
		return nil
	})
}
