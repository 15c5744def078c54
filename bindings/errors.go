package bindings

import (
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"

	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// Error codes. Every error a function of this package returns has the
// message "mfpo:<code>: <text>", and the code is one of these words. They
// are a stable contract with python/mfpo/_core.py, which maps them to
// exceptions; never rename one. The text is for people and may change.
//
//	config         an invalid Config key or value, an unknown preset or acting
//	               mode, an update count below 1 (Python: ConfigError)
//	shape          a payload whose size does not match rows and the agent's
//	               dimensions, rows < 1, a terminated byte other than 0 or 1
//	               (Python: ShapeError)
//	nonfinite      a NaN or an infinity in an observation or a transition;
//	               nothing was changed (Python: NonFiniteError)
//	notenoughdata  Update before BatchSize transitions are stored
//	               (Python: NotEnoughDataError)
//	update         an update abandoned on a non-finite loss or gradient; the
//	               agent was restored to its state before it (Python: UpdateError)
//	handle         an agent handle that is not live: never issued, or freed
//	               (Python: HandleError)
//	checkpoint     bytes that are not a valid checkpoint (truncated,
//	               corrupted, foreign, inconsistent), or one of the wrong kind
//	               (Python: CheckpointError)
//	version        a checkpoint of a newer format version
//	               (Python: CheckpointVersionError)
//	io             a checkpoint file that cannot be read or written
//	               (Python: CheckpointIOError)
//	internal       a bug: a recovered panic, with its stack (Python: MFPOError)
const (
	codeConfig        = "config"
	codeShape         = "shape"
	codeNonFinite     = "nonfinite"
	codeNotEnoughData = "notenoughdata"
	codeUpdate        = "update"
	codeHandle        = "handle"
	codeCheckpoint    = "checkpoint"
	codeVersion       = "version"
	codeIO            = "io"
	codeInternal      = "internal"
)

// codedError is an error with one of the codes above.
type codedError struct {
	code string
	msg  string
}

func (e *codedError) Error() string { return "mfpo:" + e.code + ": " + e.msg }

func errorf(code, format string, args ...any) error {
	return &codedError{code, fmt.Sprintf(format, args...)}
}

// coded gives err its code, from its type in gocore; an error of no known
// type is "internal".
func coded(err error) error {
	if err == nil {
		return nil
	}
	var ce *codedError
	var cfg *mfpo.ConfigError
	var se *policy.SpacesError
	var ue *mfpo.UpdateError
	var nf *nn.NonFiniteError
	var rnf *replay.NonFiniteError
	switch {
	case errors.As(err, &ce):
		return ce
	case errors.As(err, &cfg):
		return errorf(codeConfig, "invalid config: %s = %v: %s", configKey(cfg.Field), cfg.Value, cfg.Reason)
	case errors.As(err, &se):
		return errorf(codeConfig, "%s", strings.TrimPrefix(se.Error(), "policy: "))
	case errors.Is(err, mfpo.ErrNotEnoughData):
		return errorf(codeNotEnoughData, "%s", strings.TrimPrefix(err.Error(), "mfpo: "))
	case errors.As(err, &ue):
		return errorf(codeUpdate, "%s", strings.TrimPrefix(ue.Error(), "mfpo: "))
	case errors.As(err, &nf):
		return errorf(codeNonFinite, "%s", strings.TrimPrefix(nf.Error(), "nn: "))
	case errors.As(err, &rnf):
		return errorf(codeNonFinite, "%s", strings.TrimPrefix(rnf.Error(), "replay: "))
	}
	return errorf(codeInternal, "%v", err)
}

// recoverInto turns a panic of the calling function into an "internal"
// error in *err; use as `defer recoverInto(&err)`.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = errorf(codeInternal, "panic: %v\n%s", r, debug.Stack())
	}
}

// configKeys maps Config's Go field names to their JSON keys
// (PolicySamples → policy_samples), so that errors name the key a Python
// or JSON user wrote.
var configKeys = func() map[string]string {
	m := map[string]string{"obsDim": "obs_dim", "actDim": "act_dim"}
	t := reflect.TypeOf(mfpo.Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
			m[f.Name] = tag
		}
	}
	return m
}()

func configKey(field string) string {
	if k, ok := configKeys[field]; ok {
		return k
	}
	return field
}
