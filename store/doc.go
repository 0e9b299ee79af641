// Package store keeps everything moimbot knows in one bbolt file: groups
// and their members, linked bank accounts, the bank's transactions
// (deduplicated), the decision on each and the allocations of the money to
// members' months, the review queue, manual payments, chat-user links, an
// audit log of every treasurer action, sync cursors, the daily
// bank_tran_id sequence, encrypted bank tokens, and an outbox of chat
// messages.
//
// # Opening
//
// Open is the only step that does I/O to set up: it takes the lock file
// beside the database (<path>.lock, never renamed, so a process waiting
// while Compact or Restore swaps the database opens the new file) and
// bbolt's file lock, each with a timeout (DefaultTimeout, 2 s), so a
// second moimbot gets ErrLocked ("database is in use by another moimbot
// process") instead of hanging; creates the file with mode 0600 (and narrows a wider one);
// creates every bucket in one transaction; migrates an older schema one
// step per transaction (see SchemaVersion); and checks the secret key.
// Every method takes a context, checks it before starting, and runs in one
// bbolt transaction; no transaction is held between calls, no Update runs
// inside a View, and no byte slice from bbolt outlives its transaction.
//
// # Buckets and keys
//
// Integers in keys are big-endian fixed width, so keys sort numerically.
// Values are JSON unless noted.
//
//	meta                  schema_version → u64; key_check → sealed constant; created_at;
//	                      outbox_counts → 4 × u64 messages pending, sending, sent, dead
//	groups                <group id> → Group (ledger.Group + GroupSettings)
//	group_names           <name> → group id
//	accounts              <account id> → Account (masked number only)
//	account_fins          <fintech_use_num> → account id
//	group_accounts        <group id> NUL <account id> → nothing
//	chat_groups           <platform> NUL <chat id> NUL <group id> → nothing (Settings.Chats)
//	treasurer_groups      <platform> NUL <user id> NUL <group id> → nothing (treasurers and
//	                      co-treasurers)
//	cursors               <account id> → Cursor
//	txs/<account id>/     <u64 seq> → the transaction as fetched, id "<account id>/<seq>"
//	txtime/<account id>/  <u64 unix second><u64 seq> → u32 position in the second, direction,
//	                      amount, balance after, text (binary; what deduplication compares)
//	matches               <deposit id> → MatchRecord (the decision, its payments)
//	payments/<group id>/  <u64 seq> → PaymentRecord (payment, source, allocations, void)
//	review                <deposit id> → ReviewItem
//	chat_links            <group id> NUL <platform:user> → member id
//	secrets               token/<name>, secret/<name> → sealed value
//	outbox                <u64 id> → Message
//	outbox_keys           <idempotency key> → u64 id
//	outbox_open           <u64 id> → chat, for pending and sending messages only
//	audit                 <u64 seq> → AuditEntry (append-only)
//	tran_seq              <YYYYMMDD> → u64 last bank_tran_id number of the day
//	jobs                  <job name> → RFC 3339 time the scheduled job last ran
//	calls                 <account id> NUL <YYYY-MM> → u64 transaction-list calls
//
// Schema 1 stored member aliases as plain strings and had no group_names
// index; schema 2 stores {text, learned} and builds the index. Schema 3 adds
// account_fins, so that linking an account does not read every account.
// Schema 4 adds group_accounts, chat_groups and treasurer_groups, so that
// neither a group's accounts nor the group of a chat message or of a
// treasurer's DM is found by reading every account or group, and the
// outbox's counts by state, so that monitoring does not read every message.
//
// # Deduplicating transactions
//
// KFTC rows have no id, and overlapping polls return the same rows again.
// A row is known by its second, direction, amount, text and balance after
// it. Two deposits of the same amount from the same person in the same
// second still differ in that balance; rows identical in every field
// exist only when money went in, out and in again within one second.
//
// Ingest takes one fetch: a contiguous run of the account's rows in time
// order, such as every page of one transaction_list query. Every second
// strictly inside a fetch is shown whole; the first and last seconds may be
// cut (a page boundary, or rows still arriving in the current second).
// Each second of the fetch is merged with what is stored for that second:
//
//   - a second shown whole replaces the stored order with the fetch's,
//     matching stored rows to fetched rows of the same key in order, and
//     adds the rest;
//   - a cut second is merged into the shortest common sequence of the
//     stored and fetched rows (a fetched row equal to a stored row at a
//     compatible position is that row); ties follow the balance chain (a
//     row's balance before it equals the previous row's balance after),
//     then the cut (a prefix goes first, a suffix last); and no key ends
//     up with more rows than the larger of the stored count and the
//     fetch's count.
//
// So a row is stored as many times as the largest number of copies of it
// that one fetch showed, and never more: an overlapping, repeated or
// reordered fetch adds nothing it already had. New rows get the next
// sequence number; stored rows keep theirs, so ids never change.
//
// The limitation: when identical rows (in, out, in of the same amount and
// texts within one second) are only ever seen in pieces, in different
// fetches each cutting that second, the store cannot tell a, b, a from
// a, b, a, b, a and keeps the fewer; it loses a row rather than double
// one. A later fetch showing the second whole restores it. This never
// happens when each Ingest gets a whole query (from_date to to_date, all
// pages): only the latest second can then be cut, always as a prefix,
// and prefixes merge exactly.
//
// # Atomic ingest
//
// Ingest stores the new rows, runs the matcher on each, records the
// decision, applies matched shares as payments to the group's book and
// stores their allocations, queues review items, enqueues the messages the
// caller's NotifyFunc builds, and advances the cursor, all in one bbolt
// transaction: after a crash all of it happened or none did, and
// re-fetching is harmless. Concurrent Ingests (IngestOptions.Batch) work
// out their rows, verdicts, allocations and messages beside each other in
// read transactions first; the write transaction checks that the account,
// the group, its payments and the rows merged with are as that work saw
// them (else it works them out again) and commits the Ingests that queued
// meanwhile together, with one fsync.
//
// Allocations are reproducible: a group's book is its payments applied in
// sequence order to ledger.NewBook, and every change that could move money
// between months (a voided payment, an unassigned deposit, a changed dues
// rule) replays the book and rewrites the allocations that changed. Check
// verifies this.
//
// # Secrets
//
// Tokens and other credentials are sealed with AES-256-GCM under the key
// from MOIMBOT_SECRET_KEY or MOIMBOT_SECRET_KEY_FILE (base64 of 32 bytes),
// with a random 12-byte nonce per value and the record's name as
// additional data. meta holds a sealed constant, so Open with a wrong key
// fails with ErrWrongKey before any secret is read; without a key the
// database opens and secret operations fail with ErrNoKey. RotateKey
// re-seals everything in one transaction. Secrets never appear in errors,
// audit entries or String output.
//
// # Outbox
//
// A message is pending, then sending once claimed, then sent; a failed
// attempt makes it pending again after a backoff, and dead after
// MaxAttempts failed attempts (Requeue revives it). An attempt whose sender
// stopped before reporting (its lease ran out) is interrupted, not failed:
// the chat may have taken the message, so it is tried again, and only a
// message interrupted MaxAttempts times (one that stops its sender every
// time) is made dead that way. Release hands a claimed message back
// untried. Idempotency keys are unique:
// enqueueing a key again stores nothing, so re-ingesting can never double
// a notice. Claim takes only each chat's oldest open message, so a chat's
// messages go out in order.
//
// Delivery is at least once. A message is delivered twice only when the
// chat accepted it but its sent mark was not recorded:
//
//   - the process dies between the chat's answer and MarkSent's commit (the
//     message is still sending, and is claimed again when its lease runs
//     out): a window of one local commit, a millisecond or so;
//   - the chat accepted it but its answer was lost (a timeout or a broken
//     connection after the platform posted it), which the sender cannot
//     tell from a failure, so the message is retried;
//   - MarkSent itself fails (a full disk).
//
// Nothing a crash interrupts is lost: a message becomes dead together with
// its dead letter (SetDeadLetter), and an expired one (ExpiresAt) is dead
// on purpose. Dead letters are bounded: a dead letter that dies gets none,
// and a chat holds at most one pending dead letter, into which later ones
// are folded.
//
// # Backups and compaction
//
// DB.Backup copies the live database with bbolt's Tx.WriteTo in a read
// transaction, which a writer growing the file waits for, so its writer
// must be quick (a local file). BackupSized, for a client that may stall,
// copies a snapshot to a temporary file first and streams that, with the
// size first for a Content-Length; SaveBackup and BackupFile write to a
// temporary file, sync, rename and verify the copy. The process that holds
// the database serves such copies to `moimbot backup` over a control
// socket (cmd/moimbot). Restore and Compact work on a
// database no process holds. bbolt never shrinks its file: Usage reports
// the free space, and Usage.ShouldCompact says when compacting pays (a file
// of at least 1 MiB more than half free).
package store
