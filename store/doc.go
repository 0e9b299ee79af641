// Package store persists everything moimbot knows in one bbolt file: groups,
// members, deposits (deduplicated), matches, encrypted tokens, the outbox of
// notices, sync cursors and the audit log.
//
// The package holds no code yet (see README.md, Status).
package store
