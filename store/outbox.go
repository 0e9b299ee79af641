package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// MessageState is where an outbox message is in its delivery:
//
//	pending ──Claim──▶ sending ──MarkSent──▶ sent
//	   ▲                  │
//	   ├──Release─────────┤ (not attempted: the claim is given back)
//	   └──MarkFailed──────┤ (failures < max)
//	                      └──MarkFailed──▶ dead (failures = max) ──Requeue──▶ pending
//
// A message left sending past its lease (the process died mid-send) is
// claimed again, as another attempt; that attempt is interrupted, not
// failed, since the chat may have taken the message before the process
// died. A message whose attempts were interrupted max times (one that
// crashes its sender every time) is dead too. A message past its ExpiresAt
// is dead when Claim meets it.
type MessageState uint8

// Message states.
const (
	StatePending MessageState = iota + 1
	StateSending
	StateSent
	StateDead
)

var stateNames = map[MessageState]string{StatePending: "pending", StateSending: "sending", StateSent: "sent", StateDead: "dead"}

// String returns pending, sending, sent or dead.
func (s MessageState) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// MarshalText implements encoding.TextMarshaler.
func (s MessageState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *MessageState) UnmarshalText(b []byte) error {
	for k, v := range stateNames {
		if v == string(b) {
			*s = k
			return nil
		}
	}
	return fmt.Errorf("unknown message state %q", b)
}

// open reports whether the message may still be delivered.
func (s MessageState) open() bool { return s == StatePending || s == StateSending }

// OutboxMessage is a message to deliver to a chat.
type OutboxMessage struct {
	// Key makes enqueueing idempotent: a second message with the same key
	// is not stored (the first one's id is returned). Build it from what
	// the message is about, e.g. "deposit/a1/42/paid".
	Key     string  `json:"key"`
	GroupID string  `json:"group,omitempty"`
	Chat    ChatRef `json:"chat"`
	// Kind names the message type for the renderer (paid, review,
	// reminder).
	Kind string `json:"kind,omitempty"`
	// Text is the rendered message, if rendered when enqueued.
	Text string `json:"text,omitempty"`
	// Payload is data for rendering at delivery time.
	Payload json.RawMessage `json:"payload,omitempty"`
	// NotBefore delays the first attempt.
	NotBefore time.Time `json:"not_before,omitzero"`
	// ExpiresAt, when set, is when the message stops being worth sending
	// (a reminder hours late names people who have paid since): Claim
	// then makes it dead instead of handing it out, without a dead
	// letter.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Message is a stored outbox message and its delivery state.
type Message struct {
	ID uint64 `json:"id"`
	OutboxMessage
	State MessageState `json:"state"`
	// Attempts counts the claims of the message: delivery attempts
	// started, whatever became of them.
	Attempts int `json:"attempts"`
	// Failures counts the attempts known to have failed (MarkFailed,
	// MarkDead). The message is dead when they reach the maximum.
	Failures int `json:"failures,omitempty"`
	// Interrupted counts the attempts whose sender stopped before saying
	// how it went (the lease ran out). The message is dead when they reach
	// the maximum: it is likely the message that stops the sender.
	Interrupted int `json:"interrupted,omitempty"`
	// Folded counts the later dead letters to the same chat that were
	// folded into this one, a dead letter, while it was pending (see
	// SetDeadLetter).
	Folded        int       `json:"folded,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// LeaseUntil is when a sending message may be claimed again.
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	SentAt     time.Time `json:"sent_at,omitzero"`
	LastError  string    `json:"last_error,omitempty"`
}

// Enqueue stores messages as pending, each in the same transaction. It
// returns their ids; a message whose key is already stored is not stored
// again and its existing id is returned.
func (db *DB) Enqueue(ctx context.Context, msgs ...OutboxMessage) ([]uint64, error) {
	var ids []uint64
	err := db.update(ctx, "enqueue", func(tx *bolt.Tx) error {
		var err error
		ids, err = db.enqueueTx(tx, msgs)
		return err
	})
	return ids, err
}

func (db *DB) enqueueTx(tx *bolt.Tx, msgs []OutboxMessage) ([]uint64, error) {
	out := tx.Bucket(bucketOutbox)
	keys := tx.Bucket(bucketOutboxKeys)
	open := tx.Bucket(bucketOutboxOpen)
	out.FillPercent, open.FillPercent = appendFill, appendFill
	now := db.now()
	ids := make([]uint64, 0, len(msgs))
	var added uint64
	for _, m := range msgs {
		if m.Key == "" {
			return nil, fmt.Errorf("%w: outbox message without a key", ErrInvalid)
		}
		if len(m.Key) > 512 {
			return nil, fmt.Errorf("%w: outbox key longer than 512 bytes", ErrInvalid)
		}
		if m.Chat.Platform == "" || m.Chat.ID == "" {
			return nil, fmt.Errorf("%w: outbox message %q has no chat", ErrInvalid, m.Key)
		}
		if id := keys.Get([]byte(m.Key)); id != nil {
			ids = append(ids, binary.BigEndian.Uint64(id))
			continue
		}
		id, err := out.NextSequence()
		if err != nil {
			return nil, err
		}
		msg := Message{ID: id, OutboxMessage: m, State: StatePending, CreatedAt: now, NextAttemptAt: now}
		if m.NotBefore.After(now) {
			msg.NextAttemptAt = m.NotBefore
		}
		raw, err := encodeMessage(msg)
		if err != nil {
			return nil, fmt.Errorf("encode message %d: %w", id, err)
		}
		if err := out.Put(be64(id), raw); err != nil {
			return nil, err
		}
		if err := keys.Put([]byte(m.Key), be64(id)); err != nil {
			return nil, err
		}
		if err := open.Put(be64(id), []byte(m.Chat.String())); err != nil {
			return nil, err
		}
		added++
		ids = append(ids, id)
	}
	return ids, countMessages(tx, 0, StatePending, added)
}

func getMessage(tx *bolt.Tx, id uint64) (Message, error) {
	var m Message
	ok, err := getJSON(tx.Bucket(bucketOutbox), be64(id), &m)
	if err == nil && !ok {
		err = fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	return m, err
}

// putMessage stores m, which was in state was, and keeps the open index
// and the counts by state.
func putMessage(tx *bolt.Tx, m Message, was MessageState) error {
	if err := countMessages(tx, was, m.State, 1); err != nil {
		return err
	}
	raw, err := encodeMessage(m)
	if err != nil {
		return fmt.Errorf("encode message %d: %w", m.ID, err)
	}
	if err := tx.Bucket(bucketOutbox).Put(be64(m.ID), raw); err != nil {
		return err
	}
	open := tx.Bucket(bucketOutboxOpen)
	if m.State.open() {
		return open.Put(be64(m.ID), []byte(m.Chat.String()))
	}
	return open.Delete(be64(m.ID))
}

// Claim marks due messages as sending and returns them, at most limit, in
// enqueue order. A chat's messages go out one at a time in order: only a
// chat's oldest open message can be claimed, and only when it is pending
// and due (NextAttemptAt reached) or sending past its lease. Each claim
// counts as an attempt (Attempts); claiming a message again after its
// lease ran out counts the earlier attempt as interrupted, and a message
// interrupted MaxAttempts times is made dead instead of claimed. When
// nothing is due, Claim only reads: an idle dispatcher polling every second
// costs no disk writes.
func (db *DB) Claim(ctx context.Context, now time.Time, limit int) ([]Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	var busy bool
	err := db.view(ctx, "claim", func(tx *bolt.Tx) error {
		due, dead, expired, err := db.claimable(tx, now, limit)
		busy = len(due)+len(dead)+len(expired) > 0
		return err
	})
	if err != nil || !busy {
		return nil, err
	}
	var claimed []Message
	err = db.update(ctx, "claim", func(tx *bolt.Tx) error {
		claimed = claimed[:0]
		due, dead, expired, err := db.claimable(tx, now, limit)
		if err != nil {
			return err
		}
		for _, m := range expired {
			was := m.State
			m.State, m.LeaseUntil, m.LastError = StateDead, time.Time{}, "expired before delivery"
			if err := putMessage(tx, m, was); err != nil {
				return err
			}
		}
		// Written after the walk: no cursor deletes while iterating.
		for _, m := range dead {
			was := m.State
			m.Interrupted++
			m.State, m.LeaseUntil = StateDead, time.Time{}
			m.LastError = fmt.Sprintf("the sender stopped during %d attempts", m.Interrupted)
			if err := putMessage(tx, m, was); err != nil {
				return err
			}
			if err := db.deadLetterTx(tx, m); err != nil {
				return err
			}
		}
		for _, m := range due {
			was := m.State
			if m.State == StateSending { // its lease ran out
				m.Interrupted++
			}
			m.State = StateSending
			m.Attempts++
			m.LeaseUntil = now.Add(db.lease)
			if err := putMessage(tx, m, was); err != nil {
				return err
			}
			claimed = append(claimed, m)
		}
		return nil
	})
	return claimed, err
}

// claimable walks the open messages: due are those Claim would claim (at
// most limit), dead those a crashing sender has used up, expired those past
// their ExpiresAt.
func (db *DB) claimable(tx *bolt.Tx, now time.Time, limit int) (due, dead, expired []Message, err error) {
	// The open index maps ids to chats, so a chat's later messages are
	// skipped without decoding them.
	seen := make(map[string]bool)
	c := tx.Bucket(bucketOutboxOpen).Cursor()
	for k, chat := c.First(); k != nil && len(due) < limit; k, chat = c.Next() {
		if seen[string(chat)] {
			continue
		}
		m, err := getMessage(tx, binary.BigEndian.Uint64(k))
		if err != nil {
			return nil, nil, nil, err
		}
		seen[string(chat)] = true
		switch {
		case !m.ExpiresAt.IsZero() && !now.Before(m.ExpiresAt) &&
			(m.State == StatePending || !now.Before(m.LeaseUntil)): // not while being sent
			expired = append(expired, m)
			delete(seen, string(chat))
			continue
		case m.State == StatePending && !now.Before(m.NextAttemptAt):
		case m.State == StateSending && !now.Before(m.LeaseUntil):
			// The sender died mid-send. That does not count as a failure
			// (the chat may have taken the message), but a message whose
			// attempts were all interrupted that way (one that crashes
			// its sender every time) is dead, and no longer blocks its
			// chat.
			if m.Interrupted+1 >= db.maxAttempts {
				dead = append(dead, m)
				delete(seen, string(chat))
				continue
			}
		default:
			continue
		}
		due = append(due, m)
	}
	return due, dead, expired, nil
}

// MarkSent records that a claimed message was delivered. Marking a sent
// message again is harmless; a message that is not sending fails with
// ErrState.
func (db *DB) MarkSent(ctx context.Context, id uint64) error {
	return db.update(ctx, "mark sent", func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		switch m.State {
		case StateSent:
			return nil
		case StateSending:
		default:
			return fmt.Errorf("message %d is %s, not sending: %w", id, m.State, ErrState)
		}
		m.State, m.SentAt, m.LeaseUntil, m.LastError = StateSent, db.now(), time.Time{}, ""
		return putMessage(tx, m, StateSending)
	})
}

// MarkFailed records a failed delivery attempt of a claimed message: it is
// pending again, due after retryAfter (zero or less means an exponential
// backoff from 30 s to 1 h), or dead once MaxAttempts of its attempts
// failed (with the dead letter, see SetDeadLetter, queued in the same
// transaction). Only failures count: an attempt that was interrupted (the
// sender stopped, maybe after the chat took the message) never makes a
// message dead here. reason is kept as LastError; it must not hold secrets.
// It returns the updated message.
func (db *DB) MarkFailed(ctx context.Context, id uint64, retryAfter time.Duration, reason string) (Message, error) {
	var m Message
	err := db.update(ctx, "mark failed", func(tx *bolt.Tx) error {
		var err error
		if m, err = getMessage(tx, id); err != nil {
			return err
		}
		if m.State != StateSending {
			return fmt.Errorf("message %d is %s, not sending: %w", id, m.State, ErrState)
		}
		now := db.now()
		m.LastError, m.LeaseUntil = reason, time.Time{}
		m.Failures++
		if m.Failures >= db.maxAttempts {
			m.State = StateDead
		} else {
			if retryAfter <= 0 {
				retryAfter = backoff(m.Failures)
			}
			m.State, m.NextAttemptAt = StatePending, now.Add(retryAfter)
		}
		if err := putMessage(tx, m, StateSending); err != nil {
			return err
		}
		if m.State == StateDead {
			return db.deadLetterTx(tx, m)
		}
		return nil
	})
	return m, err
}

// Release hands a claimed message back without attempting it: it is
// pending again, due at notBefore (at once when that has passed), and its
// claim no longer counts as an attempt. The dispatcher releases the
// messages of a chat it has parked after a permanent failure. A message
// that is not sending fails with ErrState.
func (db *DB) Release(ctx context.Context, id uint64, notBefore time.Time) error {
	return db.update(ctx, "release", func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		if m.State != StateSending {
			return fmt.Errorf("message %d is %s, not sending: %w", id, m.State, ErrState)
		}
		m.State, m.LeaseUntil = StatePending, time.Time{}
		m.Attempts = max(m.Attempts-1, 0)
		m.NextAttemptAt = notBefore
		if now := db.now(); now.After(notBefore) {
			m.NextAttemptAt = now
		}
		return putMessage(tx, m, StateSending)
	})
}

// backoff is the wait after the n-th failed attempt: 30 s doubling, at most
// an hour.
func backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Requeue gives a dead message a fresh set of attempts. The change is
// audited.
func (db *DB) Requeue(ctx context.Context, actor string, id uint64) error {
	return db.update(ctx, "requeue", func(tx *bolt.Tx) error {
		m, err := getMessage(tx, id)
		if err != nil {
			return err
		}
		if m.State != StateDead {
			return fmt.Errorf("message %d is %s, not dead: %w", id, m.State, ErrState)
		}
		m.State, m.NextAttemptAt = StatePending, db.now()
		m.Attempts, m.Failures, m.Interrupted = 0, 0, 0
		if err := putMessage(tx, m, StateDead); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionOutboxRequeued, GroupID: m.GroupID, Target: fmt.Sprint(id)})
	})
}

// Message returns one outbox message.
func (db *DB) Message(ctx context.Context, id uint64) (Message, error) {
	var m Message
	err := db.view(ctx, "message", func(tx *bolt.Tx) error {
		var err error
		m, err = getMessage(tx, id)
		return err
	})
	return m, err
}

// Messages returns outbox messages in state (every state when zero), in
// enqueue order.
func (db *DB) Messages(ctx context.Context, state MessageState) ([]Message, error) {
	var out []Message
	err := db.view(ctx, "messages", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketOutbox).ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode message %x: %w", k, err)
			}
			if state == 0 || m.State == state {
				out = append(out, m)
			}
			return nil
		})
	})
	return out, err
}

// PruneOutbox deletes sent and dead messages created before before, and
// their idempotency keys, and returns how many it deleted. After that a
// message with one of those keys could be enqueued again, so keep them
// longer than anything might re-enqueue them (days, not minutes).
func (db *DB) PruneOutbox(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := db.update(ctx, "prune outbox", func(tx *bolt.Tx) error {
		n = 0
		out := tx.Bucket(bucketOutbox)
		var del []Message
		err := out.ForEach(func(k, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return fmt.Errorf("decode message %x: %w", k, err)
			}
			if !m.State.open() && m.CreatedAt.Before(before) {
				del = append(del, m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, m := range del {
			if err := out.Delete(be64(m.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketOutboxKeys).Delete([]byte(m.Key)); err != nil {
				return err
			}
			if err := countMessages(tx, m.State, 0, 1); err != nil {
				return err
			}
		}
		n = len(del)
		return nil
	})
	return n, err
}
