package face

import "github.com/mfpo/mfpo/gocore/face/oneruntime"

// SecondRuntime is an ERuntime error when another mfpo library with its
// own Go runtime (libmfpo.so, or mfpo's Python extension) was loaded into
// this process before this one (oneruntime), nil otherwise. The library
// that came second makes no agents or policies: two Go runtimes in one
// process are not supported (their signal handlers and threads clash).
func SecondRuntime() error {
	other := oneruntime.Other()
	if other == "" {
		return nil
	}
	return errorf(ERuntime, "another mfpo library with its own Go runtime was loaded into this process first (%s); "+
		"one process holds one Go runtime, so this one refuses to work: use either mfpo's Python package or "+
		"libmfpo.so in a process, not both (run the other in a subprocess)", other)
}
