package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/store"
)

func TestKeyFromEnv(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	std := base64.StdEncoding.EncodeToString(key)
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	os.WriteFile(file, []byte("  "+std+"\n"), 0o600)
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte(base64.StdEncoding.EncodeToString(key[:16])), 0o600)
	padded := filepath.Join(dir, "padded") // the key in exactly MaxKeyFileSize bytes
	os.WriteFile(padded, []byte(std+strings.Repeat("\n", store.MaxKeyFileSize-len(std))), 0o600)
	huge := filepath.Join(dir, "huge") // the key, then a byte too many
	os.WriteFile(huge, []byte(std+strings.Repeat(" ", store.MaxKeyFileSize+1-len(std))), 0o600)

	type keyCase struct {
		name    string
		env     map[string]string
		wantErr error
		wantMsg string
	}
	tests := []keyCase{
		{"Std", map[string]string{"MOIMBOT_SECRET_KEY": std}, nil, ""},
		{"NewKey", map[string]string{"MOIMBOT_SECRET_KEY": store.NewKey()}, nil, ""},
		{"RawURL", map[string]string{"MOIMBOT_SECRET_KEY": base64.RawURLEncoding.EncodeToString(key)}, nil, ""},
		{"File", map[string]string{"MOIMBOT_SECRET_KEY_FILE": file}, nil, ""},
		{"Missing", nil, store.ErrNoKey, "MOIMBOT_SECRET_KEY"},
		{"Both", map[string]string{"MOIMBOT_SECRET_KEY": std, "MOIMBOT_SECRET_KEY_FILE": file}, nil, "not both"},
		{"Short", map[string]string{"MOIMBOT_SECRET_KEY": base64.StdEncoding.EncodeToString(key[:31])}, store.ErrBadKey, "MOIMBOT_SECRET_KEY"},
		{"NotBase64", map[string]string{"MOIMBOT_SECRET_KEY": "not a key!"}, store.ErrBadKey, "MOIMBOT_SECRET_KEY"},
		{"ShortFile", map[string]string{"MOIMBOT_SECRET_KEY_FILE": short}, store.ErrBadKey, short},
		{"NoFile", map[string]string{"MOIMBOT_SECRET_KEY_FILE": filepath.Join(dir, "none")}, os.ErrNotExist, "secret key file"},
		{"PaddedFile", map[string]string{"MOIMBOT_SECRET_KEY_FILE": padded}, nil, ""},
		{"HugeFile", map[string]string{"MOIMBOT_SECRET_KEY_FILE": huge}, store.ErrBadKey, "larger than 4096 bytes"},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		// Endless: read whole, it would fill the memory.
		tests = append(tests, keyCase{"DevZero", map[string]string{"MOIMBOT_SECRET_KEY_FILE": "/dev/zero"}, store.ErrBadKey, "larger than 4096 bytes"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := store.KeyFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == nil && tt.wantMsg == "" {
				if err != nil || c == nil {
					t.Fatalf("KeyFromEnv: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("KeyFromEnv succeeded, want an error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), std) {
				t.Errorf("err %q contains the key", err)
			}
		})
	}
}

var secretToken = store.Token{
	AccessToken:  "eyJhbGciOiJIUzI1NiJ9.ACCESS-SECRET-7f3a9c",
	RefreshToken: "eyJhbGciOiJIUzI1NiJ9.REFRESH-SECRET-b81d2e",
	TokenType:    "Bearer",
	Scope:        "login inquiry",
	UserSeqNo:    "1100000001",
	ExpiresAt:    time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
}

func TestTokens(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		db := mustOpen(t, withKey(testKey(t, 1)))
		if err := db.PutToken(ctx, "1100000001", secretToken); err != nil {
			t.Fatal(err)
		}
		got, err := db.Token(ctx, "1100000001")
		if err != nil {
			t.Fatal(err)
		}
		if got != secretToken {
			t.Errorf("token = %v, want %v", got, secretToken)
		}
		names, _ := db.TokenNames(ctx)
		if fmt.Sprint(names) != "[1100000001]" {
			t.Errorf("names = %v", names)
		}
		if err := db.DeleteToken(ctx, "1100000001"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Token(ctx, "1100000001"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("NotInFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path, withKey(testKey(t, 1)))
		if err := db.PutToken(ctx, "1100000001", secretToken); err != nil {
			t.Fatal(err)
		}
		if err := db.PutSecret(ctx, "telegram_bot_token", []byte("123456:BOT-SECRET-zz")); err != nil {
			t.Fatal(err)
		}
		db.Close()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{secretToken.AccessToken, secretToken.RefreshToken, "ACCESS-SECRET", "REFRESH-SECRET", "BOT-SECRET"} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the database file contains %q", s)
			}
		}
	})
	t.Run("WrongKeyAtOpen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path, withKey(testKey(t, 1)))
		db.PutToken(ctx, "u", secretToken)
		db.Close()
		_, err := store.Open(ctx, path, store.Options{Cipher: testKey(t, 2)})
		if !errors.Is(err, store.ErrWrongKey) {
			t.Fatalf("open with another key: err = %v, want ErrWrongKey", err)
		}
		_, err = store.Open(ctx, path, store.Options{Cipher: testKey(t, 2), ReadOnly: true})
		if !errors.Is(err, store.ErrWrongKey) {
			t.Errorf("read-only open with another key: err = %v, want ErrWrongKey", err)
		}
	})
	t.Run("NoKey", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path, withKey(testKey(t, 1)))
		db.PutToken(ctx, "u", secretToken)
		db.Close()
		db = mustOpenAt(t, path) // opens fine without a key
		if _, err := db.Token(ctx, "u"); !errors.Is(err, store.ErrNoKey) {
			t.Errorf("token without a key: err = %v, want ErrNoKey", err)
		}
		if err := db.PutToken(ctx, "u", secretToken); !errors.Is(err, store.ErrNoKey) {
			t.Errorf("put token without a key: err = %v, want ErrNoKey", err)
		}
	})
	t.Run("SealedValueBoundToItsRecord", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		db := mustOpenAt(t, path, withKey(testKey(t, 1)))
		db.PutToken(ctx, "a", secretToken)
		db.PutToken(ctx, "b", store.Token{AccessToken: "other"})
		db.Close()
		// Someone with write access swaps the ciphertexts.
		b, _ := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		b.Update(func(tx *bolt.Tx) error {
			s := tx.Bucket([]byte("secrets"))
			a := bytes.Clone(s.Get([]byte("token/a")))
			return s.Put([]byte("token/b"), a)
		})
		b.Close()
		db = mustOpenAt(t, path, withKey(testKey(t, 1)))
		if _, err := db.Token(ctx, "b"); !errors.Is(err, store.ErrWrongKey) {
			t.Errorf("moved ciphertext: err = %v, want ErrWrongKey", err)
		}
	})
	t.Run("NeverPrinted", func(t *testing.T) {
		var buf bytes.Buffer
		slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", secretToken)
		s := fmt.Sprintf("%v %+v %#v %s", secretToken, secretToken, secretToken, secretToken) + buf.String() + fmt.Sprint(testKey(t, 1))
		for _, bad := range []string{"ACCESS-SECRET", "REFRESH-SECRET"} {
			if strings.Contains(s, bad) {
				t.Errorf("printed token contains %q: %s", bad, s)
			}
		}
	})
}

func TestRotateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	oldKey, newKey := testKey(t, 1), testKey(t, 2)
	db := mustOpenAt(t, path, withKey(oldKey))
	db.PutToken(ctx, "u1", secretToken)
	db.PutToken(ctx, "u2", store.Token{AccessToken: "second"})
	db.PutSecret(ctx, "s", []byte("blob"))
	n, err := db.RotateKey(ctx, "cli", newKey)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rotated %d secrets, want 3", n)
	}
	// The open handle uses the new key from now on.
	if got, err := db.Token(ctx, "u1"); err != nil || got != secretToken {
		t.Errorf("token after rotation = %v, %v", got, err)
	}
	entries, _ := db.Audit(ctx, store.AuditFilter{Limit: 1})
	if len(entries) != 1 || entries[0].Action != store.ActionKeyRotate {
		t.Errorf("audit = %+v, want a key.rotate entry", entries)
	}
	db.Close()

	if _, err := store.Open(ctx, path, store.Options{Cipher: oldKey}); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("old key after rotation: err = %v, want ErrWrongKey", err)
	}
	db = mustOpenAt(t, path, withKey(newKey))
	if got, err := db.Secret(ctx, "s"); err != nil || string(got) != "blob" {
		t.Errorf("secret after rotation = %q, %v", got, err)
	}

	t.Run("NeedsCurrentKey", func(t *testing.T) {
		db := mustOpen(t)
		if _, err := db.RotateKey(ctx, "cli", newKey); !errors.Is(err, store.ErrNoKey) {
			t.Errorf("err = %v, want ErrNoKey", err)
		}
	})
}
