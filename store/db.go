package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for another process to release the
// database file before it gives up with ErrLocked.
const DefaultTimeout = 2 * time.Second

// DefaultMaxAttempts is how many delivery attempts an outbox message gets
// before it is dead.
const DefaultMaxAttempts = 10

// DefaultCache is how many groups a DB keeps decoded with their matchers
// (see Options.Cache): about 4 MiB, and 8 MiB of accounts. A group not in
// the cache costs about 25 µs to decode and index when a deposit arrives
// (a tenth of one transaction-list call's CPU); a cache of every group
// costs about 4 KB a group, which the garbage collector doubles.
const DefaultCache = 1024

// accountsPerGroup is how many decoded accounts the store keeps for each
// group it keeps (see Options.Cache). Every sync pass reads its account,
// deposit or not, while a group is read only when a deposit arrives, and
// an account costs an eighth of a group's memory: the account cache is
// sized to hold every account of a large installation (16,384 by default).
const accountsPerGroup = 16

// DefaultLease is how long a claimed outbox message stays claimed: a
// message still "sending" after its lease (the process died mid-send) is
// claimed again.
const DefaultLease = 2 * time.Minute

// Options configure Open. The zero value opens read-write with a 2 s lock
// timeout, real fsyncs, the wall clock and no secret key.
type Options struct {
	// Timeout is how long to wait for the file lock; zero means
	// DefaultTimeout. bbolt itself would wait forever.
	Timeout time.Duration
	// AnySchema, with ReadOnly, opens a database of an older schema as it
	// is, for a backup before it is migrated; reading records from it may
	// fail.
	AnySchema bool
	// ReadOnly opens the file with a shared lock and no writes: several
	// read-only openers may share it, but not with a read-write one. A
	// read-only open does not migrate an older schema.
	ReadOnly bool
	// NoSync skips fsync on commit. Only for tests and benchmarks: a crash
	// can then lose committed transactions.
	NoSync bool
	// Cipher encrypts and decrypts secrets (bank tokens). Without one the
	// database opens, but secret operations fail with ErrNoKey. With one,
	// Open fails with ErrWrongKey when the database's secrets were written
	// under another key.
	Cipher *Cipher
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxAttempts is how many delivery attempts an outbox message gets;
	// zero means DefaultMaxAttempts.
	MaxAttempts int
	// Lease is how long a claimed outbox message stays claimed; zero means
	// DefaultLease.
	Lease time.Duration
	// Cache is how many groups the store keeps decoded in memory between
	// calls, with their matchers (about 4 KB each), and sixteen times as
	// many decoded accounts (about 0.5 KB each), for the reads every sync
	// pass and Ingest make; zero means DefaultCache, a negative number
	// none.
	Cache int
}

// DB is moimbot's database: one bbolt file. It is safe for concurrent use.
// Every method runs in one bbolt transaction of its own; none holds a
// transaction open between calls, and no byte slice from bbolt outlives the
// transaction that produced it.
type DB struct {
	bolt        *bolt.DB
	path        string
	readOnly    bool
	anySchema   bool
	now         func() time.Time
	maxAttempts int
	lease       time.Duration
	cipher      atomic.Pointer[Cipher]
	lock        *os.File // the lock file (see acquireLock)
	seq         seqBlock // reserved bank_tran_id numbers (see Next)
	deadLetter  atomic.Pointer[DeadLetterFunc]
	groups      *groupCache
	accounts    *accountCache
	commits     groupCommit // the batched writes (see batch)
}

// Open opens (creating if need be, with mode 0600) the database at path,
// creates its buckets, migrates an older schema and checks the secret key.
// A second process opening the same file gets ErrLocked after
// opts.Timeout instead of waiting forever. A damaged file (empty,
// truncated, not a bbolt file, overwritten pages) gives ErrDamaged and is
// left exactly as it was: it is checked before bbolt maps it and before
// anything is written to it.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	path = resolve(path)
	db := &DB{
		path:        path,
		readOnly:    opts.ReadOnly,
		anySchema:   opts.AnySchema,
		now:         opts.Now,
		maxAttempts: opts.MaxAttempts,
		lease:       opts.Lease,
	}
	if db.now == nil {
		db.now = time.Now
	}
	if db.maxAttempts <= 0 {
		db.maxAttempts = DefaultMaxAttempts
	}
	if db.lease <= 0 {
		db.lease = DefaultLease
	}
	if opts.Cache == 0 {
		opts.Cache = DefaultCache
	}
	db.groups = newGroupCache(opts.Cache)
	db.accounts = newAccountCache(db.groups.seed, accountsPerGroup*opts.Cache)
	db.cipher.Store(opts.Cipher)
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// A reader never creates the lock file, and openBolt says clearly
	// when the database itself is missing.
	lock, err := acquireLock(path, !opts.ReadOnly, timeout)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	b, err := openBolt(path, timeout, opts.ReadOnly, opts.NoSync)
	if err != nil {
		releaseLock(lock)
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.bolt, db.lock = b, lock
	if !opts.ReadOnly {
		// bbolt applies the mode only when it creates the file; an older
		// or copied file may be wider.
		if err := os.Chmod(path, 0o600); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	if err := guard(db.init); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// resolve follows symlinks to the real database file, so that the lock
// file sits beside it and Compact and Restore replace it rather than the
// link. A path that does not exist yet is returned as it is.
func resolve(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return path
}

// openBolt opens the file with a lock timeout and maps bbolt's timeout to
// ErrLocked. An existing file is checked first (checkFile): bbolt maps it
// and trusts its pages, and would fault or panic on a damaged one, or
// initialise an empty one. The caller holds the lock file, so no moimbot
// process writes the file meanwhile.
func openBolt(path string, timeout time.Duration, readOnly, noSync bool) (*bolt.DB, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	// A missing file: bbolt creates it read-write; read-only it would
	// create it too, so say clearly that it is missing instead.
	if err := checkFile(path); err != nil && (readOnly || !errors.Is(err, os.ErrNotExist)) {
		return nil, err
	}
	var b *bolt.DB
	err := guard(func() error {
		var err error
		b, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:  timeout,
			ReadOnly: readOnly,
			NoSync:   noSync,
			// Read-only opens skip the freelist otherwise, and Usage
			// needs it.
			PreLoadFreelist: readOnly,
		})
		return err
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, ErrLocked
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		// checkFile lets no such file through; one damaged meanwhile.
		return nil, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return b, err
}

// guard runs fn, which reads the mapped database file, with a fault on the
// mapping (SIGBUS on a file truncated under bbolt, SIGSEGV on a wild page
// pointer) turned into a panic instead of killing the process, and returns
// the panics a damaged file causes, such a fault or one of bbolt's own
// assertions, as ErrDamaged. debug.SetPanicOnFault holds for the calling
// goroutine only, so guard runs in the goroutine that does the bbolt work
// and restores the old setting when fn returns. Other panics are bugs and
// are not recovered.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			what, ok := damagePanic(r)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("%w: %s", ErrDamaged, what)
		}
	}()
	return fn()
}

// damagePanic says what a recovered panic value tells of a damaged file,
// or reports false for a panic of another kind: a memory fault (the
// runtime.Error that SetPanicOnFault panics with carries the faulting
// address; nothing here reads memory through unsafe but bbolt) or a bbolt
// consistency panic (bbolt panics with strings: "assertion failed: ...",
// "invalid freelist page ...", and this package never does).
func damagePanic(r any) (string, bool) {
	switch v := r.(type) {
	case string:
		return "bbolt: " + v, true
	case interface{ Addr() uintptr }:
		return fmt.Sprintf("reading the mapped file faulted at %#x: the file was cut short or cannot be read", v.Addr()), true
	}
	return "", false
}

// Close closes the database file and releases its lock and its caches.
// Closing twice is harmless.
func (db *DB) Close() error {
	err := db.bolt.Close()
	db.groups.clear()
	db.accounts.clear()
	releaseLock(db.lock)
	db.lock = nil
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Path returns the file the database was opened from.
func (db *DB) Path() string { return db.path }

// update runs fn in a read-write transaction after checking ctx; errors are
// wrapped as "store: op: ...".
func (db *DB) update(ctx context.Context, op string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if db.readOnly {
		return fmt.Errorf("store: %s: %w", op, ErrReadOnly)
	}
	if err := guard(func() error { return db.bolt.Update(fn) }); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// batch is update for writes that many goroutines make at once (one
// Ingest per polled account): concurrent calls are committed together, in
// one transaction and one fsync (see groupCommit). fn may run more than
// once (when another function of the group fails, the rest are committed
// again without it), so it must reset whatever it collects and have no
// effects outside tx.
func (db *DB) batch(ctx context.Context, op string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if db.readOnly {
		return fmt.Errorf("store: %s: %w", op, ErrReadOnly)
	}
	// fn runs in whichever goroutine commits the group: guard it there.
	guarded := func(tx *bolt.Tx) error { return guard(func() error { return fn(tx) }) }
	if err := db.commits.update(db.bolt, guarded); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// view runs fn in a read-only transaction after checking ctx.
func (db *DB) view(ctx context.Context, op string, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	if err := guard(func() error { return db.bolt.View(fn) }); err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return nil
}

// Bucket names. Every top-level bucket is created once, at Open.
var (
	bucketMeta       = []byte("meta")
	bucketGroups     = []byte("groups")
	bucketGroupNames = []byte("group_names")
	bucketAccounts   = []byte("accounts")
	bucketCursors    = []byte("cursors")
	bucketTxs        = []byte("txs")
	bucketTxTime     = []byte("txtime")
	bucketMatches    = []byte("matches")
	bucketPayments   = []byte("payments")
	bucketReview     = []byte("review")
	bucketChatLinks  = []byte("chat_links")
	bucketSecrets    = []byte("secrets")
	bucketOutbox     = []byte("outbox")
	bucketOutboxKeys = []byte("outbox_keys")
	bucketOutboxOpen = []byte("outbox_open")
	bucketAudit      = []byte("audit")
	bucketTranSeq    = []byte("tran_seq")
	bucketJobs       = []byte("jobs")
	bucketAcctFins   = []byte("account_fins")
	bucketCalls      = []byte("calls")
	// The indexes of schema 4 (see indexes.go).
	bucketChatGroups      = []byte("chat_groups")
	bucketTreasurerGroups = []byte("treasurer_groups")
	bucketGroupAccounts   = []byte("group_accounts")
)

// allBuckets are the top-level buckets of the current schema.
var allBuckets = [][]byte{
	bucketMeta, bucketGroups, bucketGroupNames, bucketAccounts, bucketCursors,
	bucketTxs, bucketTxTime, bucketMatches, bucketPayments, bucketReview,
	bucketChatLinks, bucketSecrets, bucketOutbox, bucketOutboxKeys,
	bucketOutboxOpen, bucketAudit, bucketTranSeq, bucketJobs, bucketCalls,
	bucketAcctFins, bucketChatGroups, bucketTreasurerGroups, bucketGroupAccounts,
}

// Keys of the meta bucket.
var (
	keySchemaVersion = []byte("schema_version")
	keyCheckKey      = []byte("key_check")
	keyCreatedAt     = []byte("created_at")
)

func be64(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	raw := b.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("decode %q: %w", key, err)
	}
	return true, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put(key, raw)
}

// appendFill is the FillPercent of buckets whose keys only grow (sequence
// numbers: the outbox, the audit log, an account's rows, a group's
// payments). bbolt splits a full page in half by default, which leaves
// every page of such a bucket half empty, as the next key never lands in
// an earlier page; fuller pages make a smaller file and fewer pages to
// write and to map.
const appendFill = 0.9

// hasPrefix is bytes.HasPrefix, named for cursor loops.
func hasPrefix(k, prefix []byte) bool { return bytes.HasPrefix(k, prefix) }

// validID reports whether s can serve as a record id: non-empty, at most 64
// bytes, no '/', no NUL and no spaces.
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/', c == 0, c <= ' ', c == 0x7f:
			return false
		}
	}
	return true
}
