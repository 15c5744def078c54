package cpu

import (
	"syscall"
	"time"
)

// threadCPU is the calling thread's CPU time (user + system), which the
// benchmarks report beside wall time: on a shared, loaded machine it is
// the steadier figure. ok is false where it is not available.
func threadCPU() (d time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru) != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
