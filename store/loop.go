package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// What the main loop keeps: the link state of accounts, when each scheduled
// job last ran, and how many transaction-list calls each account made.

// ActorSystem is the actor of changes moimbot makes by itself (a link marked
// broken, a dead message).
const ActorSystem = "moimbot"

// Audit actions of the main loop.
const (
	ActionRelinkNeeded = "account.relink_needed"
	ActionRelinkDone   = "account.relinked"
	ActionOutboxDead   = "outbox.dead"
)

// Relink is set on an account whose bank link stopped working: the bank
// refused its token (O0002) or the token could not be refreshed. The
// treasurer must link the account again; moimbot does not poll it until then.
type Relink struct {
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// MarkRelink records that an account's link is broken and, in the same
// transaction, enqueues msgs (the treasurer's notice). It does both only the
// first time: when the account is already marked it changes nothing and
// returns false, so the treasurer is told once, not on every poll. reason
// must not hold secrets (an rsp_code is fine).
func (db *DB) MarkRelink(ctx context.Context, accountID, reason string, msgs ...OutboxMessage) (bool, error) {
	var first bool
	err := db.update(ctx, "mark relink "+accountID, func(tx *bolt.Tx) error {
		first = false
		a, err := getAccount(tx, accountID)
		if err != nil {
			return err
		}
		if a.Relink != nil {
			return nil
		}
		before := a
		a.Relink = &Relink{Since: db.now(), Reason: reason}
		if err := putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a); err != nil {
			return err
		}
		if _, err := db.enqueueTx(tx, msgs); err != nil {
			return err
		}
		first = true
		return db.audit(tx, AuditEntry{Actor: ActorSystem, Action: ActionRelinkNeeded, GroupID: a.GroupID, Target: a.ID,
			Before: rawJSON(before), After: rawJSON(a)})
	})
	return first, err
}

// ClearRelink records that an account was linked again (a new token pair is
// stored), so polling resumes. Clearing an account that is not marked is not
// an error. The change is audited.
func (db *DB) ClearRelink(ctx context.Context, actor, accountID string) error {
	return db.update(ctx, "clear relink "+accountID, func(tx *bolt.Tx) error {
		a, err := getAccount(tx, accountID)
		if err != nil || a.Relink == nil {
			return err
		}
		before := a
		a.Relink = nil
		if err := putJSON(tx.Bucket(bucketAccounts), []byte(a.ID), a); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionRelinkDone, GroupID: a.GroupID, Target: a.ID,
			Before: rawJSON(before), After: rawJSON(a)})
	})
}

// LastRun returns when the scheduled job named job last ran (the zero time
// when it never did). Jobs are named by what they do and for whom, e.g.
// "reminders/g1".
func (db *DB) LastRun(ctx context.Context, job string) (time.Time, error) {
	var t time.Time
	err := db.view(ctx, "last run "+job, func(tx *bolt.Tx) error {
		var err error
		t, err = lastRunTx(tx, job)
		return err
	})
	return t, err
}

func lastRunTx(tx *bolt.Tx, job string) (time.Time, error) {
	var t time.Time
	b := tx.Bucket(bucketJobs)
	if b == nil { // a read-only open of a file from before the bucket existed
		return t, nil
	}
	if raw := b.Get([]byte(job)); raw != nil {
		if err := t.UnmarshalText(raw); err != nil {
			return time.Time{}, fmt.Errorf("job %q: %w", job, err)
		}
	}
	return t, nil
}

// RecordRun records that job ran at at and enqueues the messages the run
// produced, in one transaction: after a crash either the run counts and its
// messages are queued, or neither, so a catch-up never posts twice and never
// skips. The recorded time only moves forward; an earlier at keeps the later
// time. It returns the messages' ids.
func (db *DB) RecordRun(ctx context.Context, job string, at time.Time, msgs ...OutboxMessage) ([]uint64, error) {
	if job == "" || len(job) > 256 {
		return nil, fmt.Errorf("store: record run: %w: job name %q", ErrInvalid, job)
	}
	var ids []uint64
	err := db.update(ctx, "record run "+job, func(tx *bolt.Tx) error {
		last, err := lastRunTx(tx, job)
		if err != nil {
			return err
		}
		if ids, err = db.enqueueTx(tx, msgs); err != nil {
			return err
		}
		if !at.After(last) {
			return nil
		}
		raw, err := at.UTC().MarshalText()
		if err != nil {
			return err
		}
		return tx.Bucket(bucketJobs).Put([]byte(job), raw)
	})
	return ids, err
}

// callKey is the key of an account's call count in a month:
// <account id> NUL <YYYY-MM>.
func callKey(accountID string, month ledger.Period) []byte {
	return []byte(accountID + "\x00" + month.String())
}

func addCallsTx(tx *bolt.Tx, accountID string, month ledger.Period, n int) error {
	if n <= 0 {
		return nil
	}
	b := tx.Bucket(bucketCalls)
	k := callKey(accountID, month)
	var v uint64
	if raw := b.Get(k); len(raw) == 8 {
		v = binary.BigEndian.Uint64(raw)
	}
	return b.Put(k, be64(v+uint64(n)))
}

// AddCalls adds n transaction-list calls (KFTC charges for each) to an
// account's count for month. Calls that end in an error count too. Ingest
// counts the calls of a stored fetch itself (IngestOptions.Calls).
func (db *DB) AddCalls(ctx context.Context, accountID string, month ledger.Period, n int) error {
	return db.update(ctx, "add calls "+accountID, func(tx *bolt.Tx) error {
		if _, err := getAccount(tx, accountID); err != nil {
			return err
		}
		return addCallsTx(tx, accountID, month, n)
	})
}

// CallCount is how many transaction-list calls one account made in a month.
type CallCount struct {
	AccountID string        `json:"account"`
	Month     ledger.Period `json:"month"`
	Calls     int64         `json:"calls"`
}

// CallCounts returns the call counts of every account (or of accountID only
// when it is not empty), by account and month.
func (db *DB) CallCounts(ctx context.Context, accountID string) ([]CallCount, error) {
	var out []CallCount
	err := db.view(ctx, "call counts", func(tx *bolt.Tx) error {
		out = out[:0]
		b := tx.Bucket(bucketCalls)
		if b == nil {
			return nil
		}
		// One account's counts are the keys that start with its id and a
		// NUL: a pass asks for its own account's, and must not read every
		// account's.
		var prefix []byte
		if accountID != "" {
			prefix = []byte(accountID + "\x00")
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
			acct, month, ok := strings.Cut(string(k), "\x00")
			if !ok || len(v) != 8 {
				continue
			}
			p, err := ledger.ParsePeriod(month)
			if err != nil {
				return fmt.Errorf("call count %q: %w", k, err)
			}
			out = append(out, CallCount{AccountID: acct, Month: p, Calls: int64(binary.BigEndian.Uint64(v))})
		}
		return nil
	})
	return out, err
}

// MarkDead records that a claimed message can never be delivered (the chat
// is gone, the bot was removed): it is dead at once, whatever its attempts,
// and its dead letter (see SetDeadLetter) is queued in the same
// transaction.
// reason is kept as LastError and must not hold secrets. Requeue revives it.
func (db *DB) MarkDead(ctx context.Context, id uint64, reason string) (Message, error) {
	var m Message
	err := db.update(ctx, "mark dead", func(tx *bolt.Tx) error {
		var err error
		if m, err = getMessage(tx, id); err != nil {
			return err
		}
		if m.State != StateSending {
			return fmt.Errorf("message %d is %s, not sending: %w", id, m.State, ErrState)
		}
		m.State, m.LastError, m.LeaseUntil = StateDead, reason, time.Time{}
		m.Failures++
		if err := putMessage(tx, m, StateSending); err != nil {
			return err
		}
		return db.deadLetterTx(tx, m)
	})
	return m, err
}

// KindDeadLetter is the Kind of a dead letter: the store gives it to every
// message a DeadLetterFunc builds. It is the same string as
// bot.KindDeadLetter.
const KindDeadLetter = "dead_letter"

// maxFoldedText bounds the text of a pending dead letter that later dead
// letters to the same chat are appended to: well below any chat
// platform's message limit (Slack's 3000 UTF-16 code units).
const maxFoldedText = 2000

// DeadLetterFunc builds the messages that tell a group's treasurers that
// message m was given up. Like NotifyFunc it runs inside the store's write
// transaction: quick and pure, no calls back into the DB.
type DeadLetterFunc func(m Message, g Group) []OutboxMessage

// SetDeadLetter sets the function whose messages are queued, in the same
// transaction, whenever a message becomes dead (its attempts used up, a
// permanent failure, a sender that kept dying), so the treasurer is told
// even when the process stops right after. Expired messages are dead
// without a dead letter, and so are messages without a group.
//
// Dead letters never breed: they are queued with Kind KindDeadLetter, and a
// dead message of that kind gets no dead letter of its own. And they
// coalesce: while a dead letter to a chat is still pending, a later one to
// the same chat is folded into it (its text appended while the whole stays
// under 2000 bytes, and counted in Folded) instead of being queued, so a
// chat that cannot be reached holds at most one pending dead letter
// however many messages die. Call it before the database is used.
func (db *DB) SetDeadLetter(fn DeadLetterFunc) { db.deadLetter.Store(&fn) }

func (db *DB) deadLetterTx(tx *bolt.Tx, m Message) error {
	fn := db.deadLetter.Load()
	if fn == nil || *fn == nil || m.GroupID == "" || m.Kind == KindDeadLetter {
		return nil
	}
	g, err := getGroup(tx, m.GroupID)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, dl := range (*fn)(m, g) {
		dl.Kind = KindDeadLetter
		folded, err := foldDeadLetter(tx, dl)
		if err != nil {
			return err
		}
		if folded {
			continue
		}
		if _, err := db.enqueueTx(tx, []OutboxMessage{dl}); err != nil {
			return err
		}
	}
	return nil
}

// foldDeadLetter folds dl into a dead letter still pending for the same
// chat, if there is one, and reports whether it did. A dl whose key is
// already stored is left to enqueueTx, which keeps it idempotent.
func foldDeadLetter(tx *bolt.Tx, dl OutboxMessage) (bool, error) {
	if dl.Key == "" || tx.Bucket(bucketOutboxKeys).Get([]byte(dl.Key)) != nil {
		return false, nil
	}
	chat := []byte(dl.Chat.String())
	c := tx.Bucket(bucketOutboxOpen).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if !bytes.Equal(v, chat) {
			continue
		}
		p, err := getMessage(tx, binary.BigEndian.Uint64(k))
		if err != nil {
			return false, err
		}
		if p.Kind != KindDeadLetter || p.State != StatePending {
			continue
		}
		p.Folded++
		if dl.Text != "" && len(p.Payload) == 0 && len(p.Text)+1+len(dl.Text) <= maxFoldedText {
			p.Text += "\n" + dl.Text
		}
		// The open index already holds p: no cursor write while walking.
		return true, putJSON(tx.Bucket(bucketOutbox), be64(p.ID), p)
	}
	return false, nil
}
