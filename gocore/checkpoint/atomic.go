package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// afterTempWrite, set only by tests, runs after the temporary file is
// written and synced, before the rename: an error there stands for a
// crash or a failing disk at the worst moment.
var afterTempWrite func(tmp string) error

// writeFileAtomic replaces path with data: temporary file in the same
// folder (so that the rename stays on one file system), write, fsync,
// close, rename, fsync of the folder. On failure the temporary file is
// removed and path is untouched; a crash can leave a stray
// ".<name>.tmp-*" file beside it, never a partial checkpoint at path.
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
	return syncDir(dir)
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
