package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Audit actions.
const (
	ActionGroupPut       = "group.put"
	ActionMemberPut      = "member.put"
	ActionAccountPut     = "account.put"
	ActionChatLink       = "chat.link"
	ActionChatUnlink     = "chat.unlink"
	ActionReviewAssign   = "review.assign"
	ActionReviewIgnore   = "review.ignore"
	ActionUnassign       = "deposit.unassign"
	ActionManualPayment  = "payment.manual"
	ActionVoidPayment    = "payment.void"
	ActionKeyRotate      = "key.rotate"
	ActionOutboxRequeued = "outbox.requeue"
)

// ActorCLI is the actor of changes made with the moimbot command line.
const ActorCLI = "cli"

// AuditEntry is one treasurer action: who did what, when, and the record
// before and after. Secrets never appear in it.
type AuditEntry struct {
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
	// Actor is "<platform>:<user id>" (telegram:123, slack:U0ABC) or "cli".
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	GroupID string `json:"group,omitempty"`
	// Target names the record: a member, deposit or payment id.
	Target string          `json:"target,omitempty"`
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	// GroupID keeps only one group's entries; empty means all.
	GroupID string
	// Limit is the most entries returned; zero means 100.
	Limit int
}

// audit appends e in tx. Every change a person makes goes through here, in
// the same transaction as the change.
func (db *DB) audit(tx *bolt.Tx, e AuditEntry) error {
	if e.Actor == "" {
		return fmt.Errorf("%w: audit entry without an actor", ErrInvalid)
	}
	b := tx.Bucket(bucketAudit)
	b.FillPercent = appendFill
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq = seq
	if e.At.IsZero() {
		e.At = db.now()
	}
	return putJSON(b, be64(seq), e)
}

// rawJSON marshals v for an audit entry; nil stays nil.
func rawJSON(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// Audit returns audit entries, newest first.
func (db *DB) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []AuditEntry
	err := db.view(ctx, "audit", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Last(); k != nil && len(out) < f.Limit; k, v = c.Prev() {
			var e AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode entry %x: %w", k, err)
			}
			if f.GroupID != "" && e.GroupID != f.GroupID {
				continue
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
