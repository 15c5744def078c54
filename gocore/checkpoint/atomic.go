package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// afterTempWrite, set only by tests, runs after the temporary file is
// written and synced, before the rename: an error there stands for a
// crash or a failing disk at the worst moment.
var afterTempWrite func(tmp string) error

// writeFileAtomic replaces path with data: temporary file in the same
// folder (so that the rename stays on one file system), write, fsync,
// close, rename, fsync of the folder. On failure the temporary file is
// removed and path is untouched; a crash can leave a stray
// ".<name>.tmp-*" file beside it, never a partial checkpoint at path,
// and the next successful save to path removes such strays
// (removeStale).
func writeFileAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; a checkpoint is an ordinary file.
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if afterTempWrite != nil {
		if err = afterTempWrite(tmp); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	removeStale(dir, base)
	return syncDir(dir)
}

// StaleAge is how long ago a temporary file of a save must have last
// been written for a later save to remove it: far longer than any save in
// progress takes between two writes (a save writes, syncs and renames in
// one go).
const StaleAge = time.Hour

// removeStale removes the regular files ".<base>.tmp-<digits>" (the names
// writeFileAtomic's os.CreateTemp makes) in dir last modified over
// StaleAge ago: what interrupted saves to the same path left. Nothing
// else is touched, and a failure is no error of the save.
func removeStale(dir, base string) {
	prefix := "." + base + ".tmp-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		if st, err := e.Info(); err == nil && time.Since(st.ModTime()) > StaleAge {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir makes the rename durable. File systems that cannot sync a
// folder say so with EINVAL or ENOTSUP; the rename itself has happened.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}
