package checkpoint

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"syscall"

	"github.com/mfpo/mfpo/gocore/checkpoint/internal/fb"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/policy"
)

// Version is the format version this package writes and the newest it
// reads.
const Version = 1

// Kind says what a checkpoint holds.
type Kind uint8

const (
	// Full: everything training needs to resume exactly.
	Full = Kind(fb.KindFull)
	// PolicyOnly: the config, the spaces, the policy and the target
	// critics; what inference needs.
	PolicyOnly = Kind(fb.KindPolicy)
)

func (k Kind) String() string {
	switch k {
	case Full:
		return "full"
	case PolicyOnly:
		return "policy-only"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Options choose what Save, Write and Marshal write.
type Options struct {
	// Replay includes the replay buffer (its stored rows) in a Full
	// checkpoint, so that training resumes exactly.
	Replay bool
	// PolicyOnly writes a Policy checkpoint: the config, the spaces, the
	// policy and the target critics. Replay must then be false.
	PolicyOnly bool
}

// Limits bound what a checkpoint may make a loader allocate, so that a
// corrupted size field is an error rather than an out-of-memory crash.
type Limits struct {
	// MaxBytes bounds the estimated memory of the agent (or policy) the
	// checkpoint describes: networks, optimiser states, replay buffer and
	// the update's working buffers, one act call's context
	// (mfpo.EstimateAgent, mfpo.EstimatePolicy). Zero means the process's
	// mfpo.MemoryLimit(). The paper's agent with a 1M-transition buffer and
	// 17-wide observations needs about 0.3 GiB.
	MaxBytes int64
}

// Info describes a checkpoint: what Inspect reads without building an
// agent, and what Load returns beside it.
type Info struct {
	Version   uint32 // format version
	Kind      Kind
	Producer  string // who wrote it, e.g. "mfpo 0.1.0 go1.26.8"
	Config    mfpo.Config
	Spaces    policy.Spaces // as stored: ObsShape, Low and High always filled in
	Updates   int64         // mfpo.Agent.Updates when saved
	Stored    int64         // mfpo.Agent.Stored when saved
	Replay    bool          // the replay buffer is included
	ReplayLen int           // its stored transitions
}

// FormatError reports bytes that are not a valid checkpoint: truncated,
// corrupted, foreign, or inconsistent with their own config. Reason says
// what was expected and what came; Err, when not nil, is the underlying
// error (an *mfpo.ConfigError, a replay error).
type FormatError struct {
	Path   string // the file, when loading from one
	Reason string
	Err    error
}

func (e *FormatError) Error() string {
	var b strings.Builder
	b.WriteString("checkpoint: ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString("not a valid checkpoint: " + e.Reason)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *FormatError) Unwrap() error { return e.Err }

// VersionError reports a checkpoint written in a newer format than this
// package reads.
type VersionError struct {
	Path    string
	Version uint32 // the file's
}

func (e *VersionError) Error() string {
	p := ""
	if e.Path != "" {
		p = e.Path + ": "
	}
	return fmt.Sprintf("checkpoint: %sformat version %d is newer than this reader's %d; load it with a newer mfpo", p, e.Version, Version)
}

// LimitError reports a checkpoint whose agent (or policy) would need more
// memory than Limits.MaxBytes allow; nothing was allocated.
type LimitError struct {
	Path     string
	Field    string // the config key that scales the estimate most ("buffer_size")
	Need     int64  // estimated bytes
	MaxBytes int64
}

func (e *LimitError) Error() string {
	p := ""
	if e.Path != "" {
		p = e.Path + ": "
	}
	return fmt.Sprintf("checkpoint: %sthe agent or policy it describes needs about %d bytes (most for its %s), more than the memory limit of %d bytes",
		p, e.Need, e.Field, e.MaxBytes)
}

// OptionsError reports Options (or an agent) that cannot be written.
type OptionsError struct {
	Field  string
	Reason string
}

func (e *OptionsError) Error() string { return "checkpoint: cannot save: " + e.Field + ": " + e.Reason }

// Marshal returns the checkpoint of a as bytes.
func Marshal(a *mfpo.Agent, opts Options) ([]byte, error) {
	return marshal(a, opts)
}

// Write writes the checkpoint of a to w.
func Write(w io.Writer, a *mfpo.Agent, opts Options) error {
	data, err := marshal(a, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// Save writes the checkpoint of a to path atomically: into a temporary
// file in the same folder, synced, then renamed over path, and the folder
// synced. A failure at any point leaves the previous file at path as it
// was and removes the temporary file.
func Save(path string, a *mfpo.Agent, opts Options) error {
	data, err := marshal(a, opts)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data)
}

// Load reads a Full checkpoint and returns a ready agent (call Close when
// done) and the checkpoint's Info, within mfpo.MemoryLimit().
func Load(path string) (*mfpo.Agent, *Info, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	a, info, err := Unmarshal(data, Limits{})
	return a, info, withPath(err, path)
}

// Unmarshal builds an agent from a Full checkpoint's bytes. The agent
// does not keep data.
func Unmarshal(data []byte, lim Limits) (a *mfpo.Agent, info *Info, err error) {
	defer recoverInto(&err)
	d, err := open(data, true)
	if err != nil {
		return nil, nil, err
	}
	return d.agent(lim)
}

// Inspect verifies a checkpoint's bytes and returns its Info without
// building anything. It checks the structure, version, config and spaces,
// not the tensors' lengths (Unmarshal and UnmarshalPolicy do).
func Inspect(data []byte) (info *Info, err error) {
	defer recoverInto(&err)
	d, err := open(data, true)
	if err != nil {
		return nil, err
	}
	return d.info, nil
}

// VerifyOptions choose what Verify checks and how its errors read.
type VerifyOptions struct {
	// Limits bound the memory of the agent (or policy) the checkpoint
	// describes, as for Unmarshal; zero means mfpo.MemoryLimit().
	Limits Limits
	// NoChecksum skips the comparison of the stored CRC-32 with the
	// bytes', to look into a damaged file; everything else is checked.
	NoChecksum bool
	// Path, when not empty, names the file in the errors.
	Path string
}

// Verify runs on a checkpoint's bytes every check that Unmarshal (for a
// Full checkpoint) or UnmarshalPolicy (for a Policy one) makes before it
// allocates: the structure against the schema, the identifier, the
// checksum, the version and kind, the config and spaces, each network's
// shape and every tensor's length against the config, the replay ring,
// and the memory limit. It returns the Info and builds nothing: the bytes
// are then safe to read with the generated accessors. It does not look
// at the float values, which the loaders check as they copy them
// (finite, Adam second moments ≥ 0, replay rows), so a file Verify
// accepts may still be one Unmarshal refuses.
func Verify(data []byte, opts VerifyOptions) (info *Info, err error) {
	defer func() { err = withPath(err, opts.Path) }()
	defer recoverInto(&err)
	d, err := open(data, !opts.NoChecksum)
	if err != nil {
		return nil, err
	}
	if d.info.Kind == Full {
		_, err = d.full(opts.Limits)
	} else {
		_, _, err = d.policyTensors(opts.Limits)
	}
	if err != nil {
		return nil, err
	}
	return d.info, nil
}

// maxFile is the largest buffer flatbuffers' 32-bit offsets address.
const maxFile = math.MaxInt32

func readFile(path string) ([]byte, error) {
	// A FIFO or a device is refused before it is opened, and opened
	// non-blocking, so that one put there after the check cannot block
	// the open either; the descriptor's own mode is checked again.
	if st, err := os.Stat(path); err != nil {
		return nil, err
	} else if err := regular(path, st); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, err
	}
	if st.Size() > maxFile {
		return nil, &FormatError{Path: path, Reason: fmt.Sprintf("the file has %d bytes, more than a flatbuffer can address (%d)", st.Size(), maxFile)}
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	return data, nil
}

func regular(path string, st os.FileInfo) error {
	if !st.Mode().IsRegular() {
		return &FormatError{Path: path, Reason: fmt.Sprintf("%v is not a regular file", st.Mode().Type())}
	}
	return nil
}

// withPath fills in the path of the package's own errors.
func withPath(err error, path string) error {
	switch e := err.(type) {
	case *FormatError:
		e.Path = path
	case *VersionError:
		e.Path = path
	case *LimitError:
		e.Path = path
	}
	return err
}

// recoverInto turns a runtime panic while reading into a *FormatError:
// the last line of defence behind the verifier, which should leave none.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = &FormatError{Reason: fmt.Sprintf("internal error while reading (please report): %v", r)}
	}
}
