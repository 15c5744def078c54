package mfpo

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
)

// memoryLimit is the process's limit in bytes; 0 until first asked.
var memoryLimit atomic.Int64

// MemoryLimit is the most memory, in bytes, that one agent or policy,
// and one call on it, may be estimated to need: SetMemoryLimit's value,
// or DefaultMemoryLimit.
func MemoryLimit() int64 {
	if n := memoryLimit.Load(); n > 0 {
		return n
	}
	n := DefaultMemoryLimit()
	memoryLimit.CompareAndSwap(0, n)
	return memoryLimit.Load()
}

// SetMemoryLimit sets the process's memory limit and returns the one
// before; n ≤ 0 restores DefaultMemoryLimit.
func SetMemoryLimit(n int64) int64 {
	old := MemoryLimit()
	if n <= 0 {
		n = DefaultMemoryLimit()
	}
	memoryLimit.Store(n)
	return old
}

// DefaultMemoryLimit is three quarters of the memory this process may
// use: the smaller of the machine's (MemTotal of /proc/meminfo) and its
// cgroup's limit (memory.max); 16 GiB where neither can be read.
func DefaultMemoryLimit() int64 {
	total := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				if err == nil {
					total = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	if total <= 0 {
		return 16 << 30
	}
	return total / 4 * 3
}
