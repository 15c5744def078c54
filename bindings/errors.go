package bindings

import (
	"encoding/json"
	"fmt"

	"github.com/mfpo/mfpo/gocore/face"
)

// Errors. Every error a function of this package returns has the message
// "mfpo:<code>: <call>: <text>": <code> is the name of a gocore/face code
// (Codes lists them with their numbers, the C ABI's status codes), the
// stable contract with python/mfpo/_core.py, which maps it to an exception
// class; <text> is face's message, the same in every face.
type codedError struct {
	code face.Code
	msg  string
}

func (e *codedError) Error() string { return "mfpo:" + e.code.Name() + ": " + e.msg }

// fail gives err (a *face.Error, or any error) its code and names call.
func fail(call string, err error) error {
	if err == nil {
		return nil
	}
	e := face.AsError(err)
	return &codedError{e.Code, call + ": " + e.Msg}
}

// recoverInto turns a panic of the calling function into an "internal"
// error in *err; use as `defer recoverInto(&err)` (face recovers its own;
// this guards the shell).
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fail("mfpo", &face.Error{Code: face.EPanic, Msg: fmt.Sprintf("internal error (a bug in mfpo, please report it): panic: %v", r)})
	}
}

// Codes returns every error code's name with its number, as a JSON
// object: {"ok": 0, "inval": 1, …}.
func Codes() (string, error) {
	b, err := json.Marshal(face.CodeNames())
	return string(b), err
}

// SecondRuntime is face.SecondRuntime for Python: an error of code
// "runtime" when libmfpo.so (another Go runtime) was loaded into the
// process before this extension; python/mfpo/_core.py calls it on import.
// It reports true when there is none.
func SecondRuntime() (ok bool, err error) {
	defer recoverInto(&err)
	err = face.SecondRuntime()
	return err == nil, fail("import mfpo", err)
}
