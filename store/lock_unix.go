//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockPath is the lock file of the database at path. bbolt locks the
// database file itself, but Compact and Restore replace that file by
// renaming: a process waiting on the old file's lock would get it after the
// swap and write into a file nobody reads. The lock file is never renamed,
// so every opener, Compact and Restore queue on the same lock.
func lockPath(path string) string { return path + ".lock" }

// acquireLock takes the lock file of the database at path: exclusive for
// writers, shared for readers, waiting up to timeout, then ErrLocked.
// Readers never create the lock file: a file that no writer ever opened
// (a backup being verified) has none, and bbolt's own shared lock is
// enough for it.
func acquireLock(path string, exclusive bool, timeout time.Duration) (*os.File, error) {
	flag := os.O_RDONLY
	if exclusive {
		flag = os.O_RDWR | os.O_CREATE
	}
	f, err := os.OpenFile(lockPath(path), flag, 0o600)
	if err != nil {
		if !exclusive && (errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission)) {
			return nil, nil
		}
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, ErrLocked
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// releaseLock releases a lock taken by acquireLock (nil is allowed).
func releaseLock(f *os.File) {
	if f != nil {
		f.Close() // closing the descriptor releases the flock
	}
}
