package store

import "errors"

// Errors callers branch on with errors.Is. Every error the package returns
// is wrapped as "store: <operation>: ...".
var (
	// ErrLocked means another process holds the database file open; bbolt
	// allows one writer process per file.
	ErrLocked = errors.New("database is in use by another moimbot process")
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means a record with the same unique name already exists.
	ErrExists = errors.New("already exists")
	// ErrInvalid means the input breaks a rule of the record it is meant
	// for; the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrState means the operation does not apply to the record's current
	// state (an outbox message that is not being sent, a deposit that is
	// not waiting for review).
	ErrState = errors.New("wrong state")
	// ErrNoKey means a secret was read or written but no secret key was
	// given (MOIMBOT_SECRET_KEY or MOIMBOT_SECRET_KEY_FILE).
	ErrNoKey = errors.New("no secret key configured")
	// ErrWrongKey means the secret key is not the one the database's
	// secrets were encrypted with.
	ErrWrongKey = errors.New("secret key does not match the database")
	// ErrBadKey means a secret key is malformed (not base64 of 32 bytes).
	ErrBadKey = errors.New("secret key is not base64 of 32 bytes")
	// ErrSchema means the file is not a moimbot database, or was written
	// by a newer moimbot than this one.
	ErrSchema = errors.New("unsupported database")
	// ErrReadOnly means a write was attempted on a database opened
	// read-only.
	ErrReadOnly = errors.New("database is open read-only")
	// ErrDamaged means the database file is damaged: empty, truncated,
	// not a bbolt file, or with pages that do not hold what bbolt wrote.
	// The message says what is wrong. Such a file is never written to; the
	// way back is a backup (Restore).
	ErrDamaged = errors.New("database file is damaged")
)
