package face

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/mfpo/mfpo/gocore/checkpoint"
	"github.com/mfpo/mfpo/gocore/mfpo"
	"github.com/mfpo/mfpo/gocore/nn"
	"github.com/mfpo/mfpo/gocore/policy"
	"github.com/mfpo/mfpo/gocore/replay"
)

// Code is the kind of a failure. The numbers are mfpo.h's status codes
// and the names Python's error codes; neither is ever changed or reused,
// new codes are only appended.
type Code int

// The codes; see codeTable for what each means.
const (
	OK Code = iota
	EInval
	EConfig
	EShape
	ENonFinite
	ENoData
	EUpdate
	EHandle
	EIO
	EFormat
	EPanic
	ESize
	EVersion
	ERuntime
)

// codeInfo is one row of codeTable.
type codeInfo struct {
	macro string // the C name, MFPO_E…
	name  string // the Python name, the word of "mfpo:<name>: …"
	about string // one line, for mfpo_errstr
}

// codeTable is the one description of the codes.
var codeTable = [...]codeInfo{
	OK:         {"MFPO_OK", "ok", "success"},
	EInval:     {"MFPO_EINVAL", "inval", "invalid argument"},
	EConfig:    {"MFPO_ECONFIG", "config", "invalid JSON config"},
	EShape:     {"MFPO_ESHAPE", "shape", "an array's length does not match the shapes"},
	ENonFinite: {"MFPO_ENONFINITE", "nonfinite", "a NaN, an infinity or an out-of-range value in the input, or actions that came out non-finite"},
	ENoData:    {"MFPO_ENODATA", "notenoughdata", "not enough stored transitions for an update"},
	EUpdate:    {"MFPO_EUPDATE", "update", "update abandoned on a non-finite loss, agent restored"},
	EHandle:    {"MFPO_EHANDLE", "handle", "a NULL, freed or unknown handle, or one of the other kind"},
	EIO:        {"MFPO_EIO", "io", "file input/output failed"},
	EFormat:    {"MFPO_EFORMAT", "checkpoint", "not a valid checkpoint"},
	EPanic:     {"MFPO_EPANIC", "internal", "internal error of the library (a bug)"},
	ESize:      {"MFPO_ESIZE", "size", "the buffer is too small, or the request is over a memory limit"},
	EVersion:   {"MFPO_EVERSION", "version", "the checkpoint is in a newer format than this library reads"},
	ERuntime:   {"MFPO_ERUNTIME", "runtime", "another mfpo library with its own Go runtime was loaded into this process first"},
}

// Codes is the number of codes.
const Codes = len(codeTable)

func (c Code) valid() bool { return c >= 0 && int(c) < Codes }

// Name is the code's word, as Python's exceptions carry it ("shape").
func (c Code) Name() string {
	if !c.valid() {
		return fmt.Sprintf("Code(%d)", int(c))
	}
	return codeTable[c].name
}

// Macro is the code's C name ("MFPO_ESHAPE").
func (c Code) Macro() string {
	if !c.valid() {
		return fmt.Sprintf("Code(%d)", int(c))
	}
	return codeTable[c].macro
}

// Describe is the line mfpo_errstr returns: "MFPO_ESHAPE: an array's …",
// or "unknown mfpo status".
func (c Code) Describe() string {
	if !c.valid() {
		return "unknown mfpo status"
	}
	return codeTable[c].macro + ": " + codeTable[c].about
}

// CodeNames maps every code's name to its number (served to Python, whose
// exception classes are keyed by name).
func CodeNames() map[string]int {
	m := make(map[string]int, Codes)
	for c := range codeTable {
		m[codeTable[c].name] = c
	}
	return m
}

// Error is a failure of a face call: its code and a message for people.
// The message names no call; shells prefix their function's name.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// MaxMessage is the longest message, in bytes of UTF-8 (mfpo.h promises
// 1023; errors.c keeps 1024 with the NUL).
const MaxMessage = 1023

func errorf(code Code, format string, args ...any) *Error {
	return &Error{code, clip(fmt.Sprintf(format, args...))}
}

// clip escapes what C could not carry whole (each byte of invalid UTF-8,
// from a caller's path say, and NUL become \xNN) and cuts s to MaxMessage
// bytes at a rune boundary, so a message is always valid UTF-8, of full
// text up to that length.
func clip(s string) string {
	s = escape(s)
	if len(s) <= MaxMessage {
		return s
	}
	cut := MaxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func escape(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || (r == utf8.RuneError && n == 1) {
			fmt.Fprintf(&b, "\\x%02x", s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// AsError gives err its code: an *Error keeps it; the core's typed errors
// get theirs; an error of no known type is Panic (a bug).
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	c := codeOf(err)
	msg := err.Error()
	var ce *mfpo.ConfigError
	var nf *replay.NonFiniteError
	var sz *mfpo.SizeError
	switch {
	case errors.As(err, &ce): // named by the key a JSON or Python user writes
		msg = fmt.Sprintf("invalid config: %s = %s: %s", configKey(ce.Field), jsonValue(ce.Value), configWords(ce.Reason))
	case errors.As(err, &sz):
		msg = fmt.Sprintf("%s asks for about %d bytes, over the memory limit of %d bytes (the config's max_bytes, or the process's: mfpo_set_memory_limit); nothing was allocated",
			sz.Field, sz.Need, sz.Limit)
	case errors.Is(err, policy.ErrNotFinite):
		msg = "the actions came out non-finite for in-range observations: the networks' weights overflow float32 (a diverged or corrupted network)"
	case errors.As(err, &nf):
		field := nf.Field
		if field == "nextObs" {
			field = "next_obs"
		}
		msg = fmt.Sprintf("%s row %d element %d is %v; nothing was stored", field, nf.Row, nf.Index, nf.Value)
		if nf.Limit > 0 {
			msg = fmt.Sprintf("%s row %d element %d is %v, beyond ±%g, the range the networks take; nothing was stored", field, nf.Row, nf.Index, nf.Value, nf.Limit)
		}
	}
	for _, p := range []string{"mfpo: ", "nn: ", "replay: ", "policy: ", "checkpoint: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	if c == EPanic {
		msg = "internal error (a bug in mfpo, please report it): " + msg
	}
	return errorf(c, "%s", msg)
}

// codeOf maps the core's typed errors to codes.
func codeOf(err error) Code {
	var (
		ue  *mfpo.UpdateError
		ce  *mfpo.ConfigError
		se  *policy.SpacesError
		nf  *nn.NonFiniteError
		rnf *replay.NonFiniteError
		rae *replay.ArgError
		pe  *fs.PathError
		fe  *checkpoint.FormatError
		ve  *checkpoint.VersionError
		le  *checkpoint.LimitError
		oe  *checkpoint.OptionsError
		sz  *mfpo.SizeError
	)
	switch {
	// The checkpoint's errors first: a *FormatError may wrap a
	// *mfpo.ConfigError (a file with an invalid config).
	case errors.As(err, &le), errors.As(err, &sz):
		return ESize
	case errors.As(err, &fe):
		return EFormat
	case errors.As(err, &ve):
		return EVersion
	case errors.As(err, &oe):
		return EInval
	case errors.As(err, &ue): // before NonFiniteError, which it wraps
		return EUpdate
	case errors.As(err, &ce), errors.As(err, &rae): // the buffer's size comes from the config
		return EConfig
	case errors.As(err, &se):
		return EInval
	case errors.As(err, &nf), errors.As(err, &rnf), errors.Is(err, policy.ErrNotFinite):
		return ENonFinite
	case errors.Is(err, mfpo.ErrNotEnoughData):
		return ENoData
	case errors.As(err, &pe):
		return EIO
	}
	return EPanic
}

// catch turns a panic of the calling function into an *Error of code
// Panic in *err; use as `defer catch(&err)`.
func catch(err *error) {
	if r := recover(); r != nil {
		*err = errorf(EPanic, "internal error (a bug in mfpo, please report it): panic: %v\n%s", r, debug.Stack())
	}
}

// configKeys maps Config's Go field names to their JSON keys
// (PolicySamples → policy_samples), so that errors name the key a user
// wrote.
var configKeys = func() map[string]string {
	m := map[string]string{"obsDim": "obs_dim", "actDim": "act_dim", "LearningRate": "learning_rate"}
	t := reflect.TypeOf(mfpo.Config{})
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" && tag != "-" {
			m[f.Name] = tag
		}
	}
	return m
}()

// goName is a word that may be a Config field's Go name.
var goName = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*\b`)

// configWords replaces the Go field names in a reason with their JSON
// keys ("want ≥ BatchSize (20)" → "want ≥ batch_size (20)").
func configWords(s string) string {
	return goName.ReplaceAllStringFunc(s, configKey)
}

// jsonValue writes a config value as JSON writes it ([64,-1],
// {"mean":-0.4,…}); a string is a description ("a JSON string") and is
// written as it is.
func jsonValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

func configKey(field string) string {
	if k, ok := configKeys[field]; ok {
		return k
	}
	return field
}
