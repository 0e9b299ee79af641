package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the whole database to w while the
// database stays in use (bbolt's Tx.WriteTo in a read transaction). It
// returns the bytes written. The read transaction lasts until w has taken
// the last byte, and a writer that must grow the file waits for it: w must
// be quick, like a local file. For a reader that may stall (a client on a
// socket) use BackupSized.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := db.view(ctx, "backup", func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	return n, err
}

// BackupSized is Backup for a writer that may be slow or stall (a client
// on the control socket) and needs the copy's size before its first byte
// (an HTTP response's Content-Length). It copies a snapshot to a temporary
// file beside the database first, holding the read transaction only for
// that local copy, so writers never wait for the reader; then it calls
// start with the snapshot's size and writes exactly that many bytes to the
// writer start returns. The temporary file is unlinked at once where the
// system allows it (so a crash leaves nothing behind) and removed at the
// end otherwise. start is not called when the snapshot fails.
func (db *DB) BackupSized(ctx context.Context, start func(size int64) io.Writer) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(db.path), filepath.Base(db.path)+".backup-*.tmp")
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	os.Remove(f.Name()) // fails where open files cannot be removed; see below
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	var size int64
	err = db.view(ctx, "backup", func(tx *bolt.Tx) error {
		var err error
		size, err = tx.WriteTo(f)
		return err
	})
	if err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	n, err := io.CopyN(start(size), f, size)
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path: to
// path.tmp first, synced, then renamed into place, then checked by opening
// it read-only. An existing file at path is replaced.
func (db *DB) BackupFile(ctx context.Context, path string) (int64, error) {
	return SaveBackup(ctx, path, func(w io.Writer) (int64, error) { return db.Backup(ctx, w) })
}

// SaveBackup writes the backup that write produces to path without ever
// leaving a partial or damaged file there: it writes path.tmp (mode 0600),
// syncs it, verifies it by opening it read-only, renames it over path and
// syncs the directory. BackupFile uses it for a local copy; `moimbot
// backup` uses it for a copy streamed from the running bot.
func SaveBackup(ctx context.Context, path string, write func(io.Writer) (int64, error)) (int64, error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Verify before the rename, so that a bad copy never replaces a
		// good older backup.
		if _, verr := verify(ctx, tmp); verr != nil {
			err = fmt.Errorf("the copy does not open: %w", verr)
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Info describes a database file.
type Info struct {
	Schema uint64
	Size   int64
	Groups int
	// Transactions counts stored bank transactions of all accounts.
	Transactions int
}

// Verify opens the file at path read-only, checks that it is a moimbot
// database of a schema this code can read (older schemas are fine: they
// migrate on the next read-write open) and that bbolt finds its pages
// consistent, and describes it. It fails with ErrLocked when a running
// moimbot holds the file, and with ErrDamaged, leaving the file as it is,
// when the file is damaged.
func Verify(ctx context.Context, path string) (Info, error) {
	info, err := verify(ctx, path)
	if err != nil {
		return Info{}, fmt.Errorf("store: verify %s: %w", path, err)
	}
	return info, nil
}

// verify is Verify without the "store: verify <path>: " prefix.
func verify(ctx context.Context, path string) (Info, error) {
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	// The shared lock keeps a running moimbot from writing the file while
	// openBolt checks it.
	lockf, err := acquireLock(resolve(path), false, 500*time.Millisecond)
	if err != nil {
		return Info{}, err
	}
	defer releaseLock(lockf)
	b, err := openBolt(path, 500*time.Millisecond, true, false)
	if err != nil {
		return Info{}, err
	}
	defer b.Close()
	var info Info
	describe := func(tx *bolt.Tx) error {
		v, err := schemaVersion(tx)
		if err != nil {
			return err
		}
		if err := checkVersion(v); err != nil {
			return err
		}
		if err := pageCheck(tx); err != nil {
			return fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		info.Schema, info.Size = v, tx.Size()
		if g := tx.Bucket(bucketGroups); g != nil {
			info.Groups = g.Stats().KeyN
		}
		if t := tx.Bucket(bucketTxs); t != nil {
			t.ForEachBucket(func(k []byte) error {
				info.Transactions += t.Bucket(k).Stats().KeyN
				return nil
			})
		}
		return nil
	}
	if err := guard(func() error { return b.View(describe) }); err != nil {
		return Info{}, err
	}
	return info, nil
}

// Restore replaces the database at path with the copy at from, which must
// pass Verify. The database must not be in use (ErrLocked otherwise). The
// replaced file is kept beside it as path.before-restore-<time>, whose name
// is returned ("" when there was none).
func Restore(ctx context.Context, from, path string, now time.Time) (string, error) {
	path = resolve(path)
	if _, err := verify(ctx, from); err != nil {
		return "", fmt.Errorf("store: restore: backup %s: %w", from, err)
	}
	// Hold the target's lock file while swapping, so that a bot that
	// starts meanwhile waits and then opens the restored file, and a
	// running one is refused. A damaged target (the usual reason to
	// restore) cannot be opened by bbolt; no bot can be running on it.
	lockf, err := acquireLock(path, true, 500*time.Millisecond)
	if err != nil {
		return "", fmt.Errorf("store: restore %s: %w", path, err)
	}
	defer releaseLock(lockf)
	exists := false
	if _, err := os.Stat(path); err == nil {
		exists = true
		lock, err := openBolt(path, 500*time.Millisecond, false, false)
		switch {
		case err == nil:
			defer lock.Close()
		case errors.Is(err, ErrSchema), errors.Is(err, ErrDamaged):
		default:
			return "", fmt.Errorf("store: restore %s: %w", path, err)
		}
	}
	tmp := path + ".restore.tmp"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("store: restore: %w", err)
	}
	kept := ""
	if exists {
		kept = path + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		if err := os.Rename(path, kept); err != nil {
			os.Remove(tmp)
			return "", fmt.Errorf("store: restore: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return kept, fmt.Errorf("store: restore: %w (the old database is %s)", err, kept)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return kept, fmt.Errorf("store: restore: %w", err)
	}
	return kept, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// Usage is how much of the database file holds data.
type Usage struct {
	// FileSize is the size of the file on disk.
	FileSize int64
	// FreeBytes is space inside the file that bbolt can reuse but never
	// gives back: free pages, and the file's preallocated tail.
	FreeBytes int64
}

// CompactMinSize is the file size below which compaction is never worth it.
const CompactMinSize = 1 << 20

// ShouldCompact reports whether compacting would pay: the file is at least
// CompactMinSize and more than half of it is free.
func (u Usage) ShouldCompact() bool {
	return u.FileSize >= CompactMinSize && u.FreeBytes*2 > u.FileSize
}

// Usage reports the file's size and how much of it is free.
func (db *DB) Usage(ctx context.Context) (Usage, error) {
	var u Usage
	err := db.view(ctx, "usage", func(tx *bolt.Tx) error {
		fi, err := os.Stat(db.path)
		if err != nil {
			return err
		}
		st := db.bolt.Stats()
		pageSize := int64(db.bolt.Info().PageSize)
		used := tx.Size() - int64(st.FreePageN+st.PendingPageN)*pageSize
		u = Usage{FileSize: fi.Size(), FreeBytes: max(0, fi.Size()-used)}
		return nil
	})
	return u, err
}

// CompactResult is the size of the file before and after Compact.
type CompactResult struct {
	Before, After int64
}

// Compact rewrites the database at path without its free space (bbolt
// never shrinks a file): into path.compact.tmp, synced, then renamed over
// path. The database must not be in use (ErrLocked otherwise).
func Compact(ctx context.Context, path string) (CompactResult, error) {
	path = resolve(path)
	if err := ctx.Err(); err != nil {
		return CompactResult{}, fmt.Errorf("store: compact: %w", err)
	}
	// The lock file is held until the compacted file is in place: a bot
	// that starts meanwhile waits and then opens the new file.
	lockf, err := acquireLock(path, true, 500*time.Millisecond)
	if err != nil {
		return CompactResult{}, fmt.Errorf("store: compact %s: %w", path, err)
	}
	defer releaseLock(lockf)
	src, err := openBolt(path, 500*time.Millisecond, false, false)
	if err != nil {
		return CompactResult{}, fmt.Errorf("store: compact %s: %w", path, err)
	}
	defer src.Close()
	if err := guard(func() error {
		return src.View(func(tx *bolt.Tx) error {
			v, err := schemaVersion(tx)
			if err == nil {
				err = checkVersion(v)
			}
			return err
		})
	}); err != nil {
		return CompactResult{}, fmt.Errorf("store: compact %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return CompactResult{}, fmt.Errorf("store: compact: %w", err)
	}
	tmp := path + ".compact.tmp"
	os.Remove(tmp)
	dst, err := openBolt(tmp, time.Second, false, false)
	if err != nil {
		return CompactResult{}, fmt.Errorf("store: compact: %w", err)
	}
	err = guard(func() error { return bolt.Compact(dst, src, 64<<20) })
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncFile(tmp)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(tmp)
		return CompactResult{}, fmt.Errorf("store: compact: %w", err)
	}
	after, err := os.Stat(path)
	if err != nil {
		return CompactResult{}, fmt.Errorf("store: compact: %w", err)
	}
	return CompactResult{Before: fi.Size(), After: after.Size()}, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// pageCheck runs bbolt's page-level consistency check and returns the
// first problems it finds.
func pageCheck(tx *bolt.Tx) error {
	var errs []error
	for err := range tx.Check() { // drain: the checker goroutine blocks otherwise
		if len(errs) < 10 {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
