package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Token is a KFTC Open Banking token pair as the store keeps it, encrypted.
// It mirrors openbanking.Token without importing it. Its String, GoString
// and LogValue leave the secrets out.
type Token struct {
	AccessToken      string    `json:"access_token"`
	RefreshToken     string    `json:"refresh_token,omitempty"`
	TokenType        string    `json:"token_type,omitempty"`
	Scope            string    `json:"scope,omitempty"`
	UserSeqNo        string    `json:"user_seq_no,omitempty"`
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at,omitzero"`
	ClientUseCode    string    `json:"client_use_code,omitempty"`
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("store.Token{user_seq_no: %s, scope: %q, expires_at: %s}",
		t.UserSeqNo, t.Scope, t.ExpiresAt.Format(time.RFC3339))
}

// GoString is String, so that %#v does not print the secrets either.
func (t Token) GoString() string { return t.String() }

// LogValue implements slog.LogValuer without the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("user_seq_no", t.UserSeqNo),
		slog.String("scope", t.Scope),
		slog.Time("expires_at", t.ExpiresAt),
	)
}

const (
	secretToken = "token/"
	secretBlob  = "secret/"
)

func secretAAD(key string) []byte { return []byte("secrets/" + key) }

func (db *DB) cipherOrErr() (*Cipher, error) {
	c := db.cipher.Load()
	if c == nil {
		return nil, ErrNoKey
	}
	return c, nil
}

func (db *DB) putSealed(ctx context.Context, op, key string, plain []byte) error {
	defer clear(plain)
	c, err := db.cipherOrErr()
	if err != nil {
		return fmt.Errorf("store: %s: %w", op, err)
	}
	return db.update(ctx, op, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSecrets).Put([]byte(key), c.seal(secretAAD(key), plain))
	})
}

func (db *DB) getSealed(ctx context.Context, op, key string) ([]byte, error) {
	c, err := db.cipherOrErr()
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", op, err)
	}
	var plain []byte
	err = db.view(ctx, op, func(tx *bolt.Tx) error {
		sealed := tx.Bucket(bucketSecrets).Get([]byte(key))
		if sealed == nil {
			return ErrNotFound
		}
		var err error
		plain, err = c.open(secretAAD(key), sealed)
		return err
	})
	return plain, err
}

// PutToken stores (or replaces) the token pair named name, encrypted. name
// is the token's owner: a user_seq_no, or "institution" for the
// client-credentials token.
func (db *DB) PutToken(ctx context.Context, name string, t Token) error {
	if !validID(name) {
		return fmt.Errorf("store: put token: %w: name %q", ErrInvalid, name)
	}
	plain, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("store: put token: %w", err)
	}
	return db.putSealed(ctx, "put token", secretToken+name, plain)
}

// Token returns the token pair named name. It fails with ErrNotFound,
// ErrNoKey, or ErrWrongKey (never a garbled token).
func (db *DB) Token(ctx context.Context, name string) (Token, error) {
	plain, err := db.getSealed(ctx, "token", secretToken+name)
	if err != nil {
		return Token{}, err
	}
	defer clear(plain)
	var t Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return Token{}, fmt.Errorf("store: token: decode: %w", err)
	}
	return t, nil
}

// DeleteToken removes the token pair named name (after the user revoked
// consent); deleting a missing token is not an error.
func (db *DB) DeleteToken(ctx context.Context, name string) error {
	return db.update(ctx, "delete token", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSecrets).Delete([]byte(secretToken + name))
	})
}

// TokenNames lists the names of the stored token pairs, sorted. It needs no
// key.
func (db *DB) TokenNames(ctx context.Context) ([]string, error) {
	var names []string
	err := db.view(ctx, "token names", func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketSecrets).Cursor()
		p := []byte(secretToken)
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			names = append(names, strings.TrimPrefix(string(k), secretToken))
		}
		return nil
	})
	return names, err
}

// PutSecret stores any other credential (a chat bot token, a client
// secret) under name, encrypted like tokens.
func (db *DB) PutSecret(ctx context.Context, name string, value []byte) error {
	if !validID(name) {
		return fmt.Errorf("store: put secret: %w: name %q", ErrInvalid, name)
	}
	return db.putSealed(ctx, "put secret", secretBlob+name, append([]byte(nil), value...))
}

// Secret returns the credential stored under name.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	return db.getSealed(ctx, "secret", secretBlob+name)
}

// RotateKey re-encrypts every secret, and the key check value, under next
// in one transaction: afterwards only next opens them. The database must
// have been opened with the current key. It returns how many secrets were
// re-encrypted and records the rotation (never a key) in the audit log.
func (db *DB) RotateKey(ctx context.Context, actor string, next *Cipher) (int, error) {
	cur, err := db.cipherOrErr()
	if err != nil {
		return 0, fmt.Errorf("store: rotate key: %w", err)
	}
	if next == nil {
		return 0, fmt.Errorf("store: rotate key: %w: no new key", ErrInvalid)
	}
	n := 0
	err = db.update(ctx, "rotate key", func(tx *bolt.Tx) error {
		if err := db.checkKey(tx, false); err != nil {
			return err
		}
		b := tx.Bucket(bucketSecrets)
		type kv struct{ k, v []byte }
		var out []kv
		err := b.ForEach(func(k, v []byte) error {
			plain, err := cur.open(secretAAD(string(k)), v)
			if err != nil {
				return fmt.Errorf("secret %q: %w", k, err)
			}
			out = append(out, kv{append([]byte(nil), k...), next.seal(secretAAD(string(k)), plain)})
			clear(plain)
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range out {
			if err := b.Put(e.k, e.v); err != nil {
				return err
			}
		}
		n = len(out)
		if err := tx.Bucket(bucketMeta).Put(keyCheckKey, next.seal(keyCheckAAD, []byte(keyCheckPlain))); err != nil {
			return err
		}
		return db.audit(tx, AuditEntry{Actor: actor, Action: ActionKeyRotate, Target: fmt.Sprintf("%d secrets", n)})
	})
	if err != nil {
		return 0, err
	}
	db.cipher.Store(next)
	return n, nil
}
