package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PollState is what a sync pass reads before it calls the bank.
type PollState struct {
	Account Account
	Cursor  Cursor
	// Token is the pair Account.TokenName names (zero when it names none),
	// and TokenErr why it could not be read: ErrNotFound when no such pair
	// is stored, ErrNoKey or ErrWrongKey. TokenStamp is a hash of the
	// pair's stored (sealed) bytes, which change whenever a pair is stored
	// again; when it is the stamp the caller passed, the pair is not
	// decrypted again: TokenSame is set and Token is zero.
	Token      Token
	TokenStamp uint64
	TokenSame  bool
	TokenErr   error
	// LastRun is when the job named in the call last ran (see LastRun).
	LastRun time.Time
}

// PollState reads an account, its cursor, its token pair and when job
// last ran (job may be empty), in one read transaction. A caller that
// keeps the pair it read last passes its TokenStamp as tokenSeen (zero
// otherwise), and the pair is decrypted only when it changed. It fails
// with ErrNotFound when there is no such account; a token that cannot be
// read is reported in TokenErr instead.
func (db *DB) PollState(ctx context.Context, accountID, job string, tokenSeen uint64) (PollState, error) {
	var st PollState
	err := db.view(ctx, "poll state "+accountID, func(tx *bolt.Tx) error {
		st = PollState{}
		var err error
		if st.Account, err = db.accountTx(tx, accountID); err != nil {
			return err
		}
		if st.Cursor, err = getCursor(tx, accountID); err != nil {
			return err
		}
		if job != "" {
			if st.LastRun, err = lastRunTx(tx, job); err != nil {
				return err
			}
		}
		if name := st.Account.TokenName; name != "" {
			st.Token, st.TokenStamp, st.TokenSame, st.TokenErr = db.tokenTx(tx, name, tokenSeen)
		}
		return nil
	})
	return st, err
}

// accountTx returns account id, decoded once for as long as it is
// unchanged (see accountCache).
func (db *DB) accountTx(tx *bolt.Tx, id string) (Account, error) {
	raw := tx.Bucket(bucketAccounts).Get([]byte(id))
	if raw == nil {
		return Account{}, fmt.Errorf("account %q: %w", id, ErrNotFound)
	}
	return db.accounts.get(id, raw)
}

// tokenTx reads and decrypts the token pair named name, and returns the
// stamp of its stored bytes; when the stamp is seen, it does not decrypt
// the pair and reports it as the same.
func (db *DB) tokenTx(tx *bolt.Tx, name string, seen uint64) (Token, uint64, bool, error) {
	key := secretToken + name
	sealed := tx.Bucket(bucketSecrets).Get([]byte(key))
	if sealed == nil {
		return Token{}, 0, false, fmt.Errorf("store: token: %w", ErrNotFound)
	}
	stamp := db.groups.sum(sealed)
	if seen != 0 && stamp == seen {
		return Token{}, stamp, true, nil
	}
	c, err := db.cipherOrErr()
	if err != nil {
		return Token{}, stamp, false, fmt.Errorf("store: token: %w", err)
	}
	plain, err := c.open(secretAAD(key), sealed)
	if err != nil {
		return Token{}, stamp, false, fmt.Errorf("store: token: %w", err)
	}
	defer clear(plain)
	var t Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return Token{}, stamp, false, fmt.Errorf("store: token: decode: %w", err)
	}
	return t, stamp, false, nil
}
