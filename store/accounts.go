package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Account is a bank account linked to a group: the group's 모임통장 as the
// KFTC account list describes it. The full account number is never stored:
// Masked is KFTC's account_num_masked.
type Account struct {
	ID      string `json:"id"`
	GroupID string `json:"group"`
	// FintechUseNum is KFTC's handle for the account (fintech_use_num).
	FintechUseNum string `json:"fintech_use_num"`
	BankCode      string `json:"bank_code,omitempty"`
	BankName      string `json:"bank_name,omitempty"`
	// Masked is the masked account number (account_num_masked).
	Masked string `json:"masked,omitempty"`
	// TokenName names the stored token pair that can read the account
	// (the owner's user_seq_no).
	TokenName string    `json:"token,omitempty"`
	Added     time.Time `json:"added"`
	// Relink is set while the link is broken and the treasurer must link
	// the account again (see MarkRelink); PutAccount keeps it.
	Relink *Relink `json:"relink,omitempty"`
	// Source is where the account's rows come from: "" for KFTC polling,
	// SourceStatement for bank statement files the treasurer imports. A
	// statement account is never polled; its FintechUseNum is a
	// placeholder unique to the group.
	Source string `json:"source,omitempty"`
	// StatementAccount and StatementThrough are set on a KFTC account
	// linked to a group that ran on statement files before: its statement
	// account, and the time of that account's latest row. The bank is not
	// read before StatementThrough, so the rows the files brought are not
	// stored twice.
	StatementAccount string    `json:"statement_account,omitempty"`
	StatementThrough time.Time `json:"statement_through,omitzero"`
}

// SourceStatement is the Account.Source of an account fed by bank
// statement files instead of KFTC.
const SourceStatement = "statement"

// Cursor is how far an account's transactions have been synced.
type Cursor struct {
	// Through is the instant up to which the bank has been asked; the next
	// poll may start from its day. It only moves forward.
	Through time.Time `json:"through,omitzero"`
	// FetchedAt is when the last fetch was stored.
	FetchedAt time.Time `json:"fetched_at,omitzero"`
	// Rows is how many transactions of the account were stored when the
	// cursor was written, and LastAt the time of the latest of them; Check
	// compares both with the stored rows.
	Rows   int64     `json:"rows"`
	LastAt time.Time `json:"last_at,omitzero"`
	// LastBalance is the balance after the latest stored row (meaningful
	// when Rows > 0): a bank balance that disagrees with it means the bank
	// holds a row the store does not.
	LastBalance int64 `json:"last_balance,omitempty"`
	// Gap is a break of the balance chain that re-reading has not closed
	// yet (see SetGap); nil when the stored rows chain.
	Gap *Gap `json:"gap,omitempty"`
}

// Gap is a row the bank holds but the store lacks, told by the balance
// chain: every row carries the balance after it, so a row whose balance
// before it differs from the previous row's balance after it, or a bank
// balance that differs from the latest row's, means a row is missing.
type Gap struct {
	// After is the time of the stored row after which the chain breaks.
	After time.Time `json:"after"`
	// Before is the time of the first stored row after the break; zero
	// when the break is after the latest stored row (the bank's balance
	// disagreed with it).
	Before time.Time `json:"before,omitzero"`
	// Since is when the gap was first seen, and Checked when it was last
	// re-read.
	Since   time.Time `json:"since,omitzero"`
	Checked time.Time `json:"checked,omitzero"`
	// Told records that the treasurer was told about it.
	Told bool `json:"told,omitempty"`
}

// PutAccount links (or updates) a bank account. An empty ID gets a new one
// ("a1", "a2", ...). The group must exist, and a fintech_use_num belongs to
// one account only. The change is audited.
func (db *DB) PutAccount(ctx context.Context, actor string, a Account) (Account, error) {
	err := db.update(ctx, "put account", func(tx *bolt.Tx) error {
		if _, err := getGroup(tx, a.GroupID); err != nil {
			return err
		}
		if a.FintechUseNum == "" {
			return fmt.Errorf("%w: account has no fintech_use_num", ErrInvalid)
		}
		b := tx.Bucket(bucketAccounts)
		if a.ID == "" {
			for a.ID == "" || b.Get([]byte(a.ID)) != nil {
				seq, err := b.NextSequence()
				if err != nil {
					return err
				}
				a.ID = fmt.Sprintf("a%d", seq)
			}
		}
		if !validID(a.ID) {
			return fmt.Errorf("%w: account id %q", ErrInvalid, a.ID)
		}
		var before *Account
		if raw := b.Get([]byte(a.ID)); raw != nil {
			var o Account
			if err := json.Unmarshal(raw, &o); err != nil {
				return fmt.Errorf("account %q: %w", a.ID, err)
			}
			before = &o
		}
		idx := tx.Bucket(bucketAcctFins)
		if other := idx.Get([]byte(a.FintechUseNum)); other != nil && string(other) != a.ID {
			return fmt.Errorf("%w: the bank account is already linked as %q", ErrExists, other)
		}
		if before != nil && before.FintechUseNum != a.FintechUseNum {
			if err := idx.Delete([]byte(before.FintechUseNum)); err != nil {
				return err
			}
		}
		if err := idx.Put([]byte(a.FintechUseNum), []byte(a.ID)); err != nil {
			return err
		}
		if a.Added.IsZero() {
			if before != nil {
				a.Added = before.Added
			} else {
				a.Added = db.now()
			}
		}
		if before != nil && a.Relink == nil {
			a.Relink = before.Relink
		}
		if err := putJSON(b, []byte(a.ID), a); err != nil {
			return err
		}
		if err := indexAccountTx(tx, before, &a); err != nil {
			return err
		}
		e := AuditEntry{Actor: actor, Action: ActionAccountPut, GroupID: a.GroupID, Target: a.ID, After: rawJSON(a)}
		if before != nil {
			e.Before = rawJSON(before)
		}
		return db.audit(tx, e)
	})
	return a, err
}

func getAccount(tx *bolt.Tx, id string) (Account, error) {
	var a Account
	ok, err := getJSON(tx.Bucket(bucketAccounts), []byte(id), &a)
	if err == nil && !ok {
		err = fmt.Errorf("account %q: %w", id, ErrNotFound)
	}
	return a, err
}

// AccountByFintech returns the account linked to the bank account
// fintechUseNum (KFTC's handle for it), or ErrNotFound.
func (db *DB) AccountByFintech(ctx context.Context, fintechUseNum string) (Account, error) {
	var a Account
	err := db.view(ctx, "account by fintech_use_num", func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketAcctFins).Get([]byte(fintechUseNum))
		if id == nil {
			return fmt.Errorf("account with that fintech_use_num: %w", ErrNotFound)
		}
		var err error
		a, err = getAccount(tx, string(id))
		return err
	})
	return a, err
}

// Account returns the account with id.
func (db *DB) Account(ctx context.Context, id string) (Account, error) {
	var a Account
	err := db.view(ctx, "account", func(tx *bolt.Tx) error {
		var err error
		a, err = getAccount(tx, id)
		return err
	})
	return a, err
}

// Accounts returns a group's accounts (all accounts when groupID is
// empty), ordered by id.
func (db *DB) Accounts(ctx context.Context, groupID string) ([]Account, error) {
	var out []Account
	err := db.view(ctx, "accounts", func(tx *bolt.Tx) error {
		var err error
		out, err = accountsTx(tx, groupID)
		return err
	})
	return out, err
}

// accountsTx returns a group's accounts through the index of accounts by
// group, or every account when groupID is empty.
func accountsTx(tx *bolt.Tx, groupID string) ([]Account, error) {
	if groupID != "" {
		return groupAccountsTx(tx, groupID)
	}
	var out []Account
	err := forStoredAccounts(tx, func(a *Account) error {
		out = append(out, *a)
		return nil
	})
	return out, err
}

// Cursor returns an account's sync cursor; an account never synced has the
// zero Cursor.
func (db *DB) Cursor(ctx context.Context, accountID string) (Cursor, error) {
	var c Cursor
	err := db.view(ctx, "cursor", func(tx *bolt.Tx) error {
		if _, err := getAccount(tx, accountID); err != nil {
			return err
		}
		var err error
		c, err = getCursor(tx, accountID)
		return err
	})
	return c, err
}
