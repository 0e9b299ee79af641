//go:build !unix

package store

import (
	"os"
	"time"
)

// lockPath is the lock file of the database at path (see lock_unix.go).
func lockPath(path string) string { return path + ".lock" }

// acquireLock is a no-op where flock is not available: bbolt's own lock on
// the database file still keeps a second process out.
func acquireLock(string, bool, time.Duration) (*os.File, error) { return nil, nil }

func releaseLock(*os.File) {}
