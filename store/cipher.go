package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// KeySize is the length of a secret key: AES-256.
const KeySize = 32

// Environment variables KeyFromEnv reads.
const (
	EnvSecretKey     = "MOIMBOT_SECRET_KEY"
	EnvSecretKeyFile = "MOIMBOT_SECRET_KEY_FILE"
)

// sealVersion is the first byte of every sealed value: AES-256-GCM with a
// 12-byte random nonce.
const sealVersion = 1

// keyCheckPlain is sealed under the key and kept in meta so that a wrong
// key is caught at Open, before any secret is read.
const keyCheckPlain = "moimbot secret key check"

// Cipher encrypts secrets at rest with AES-256-GCM. Each value gets a fresh
// random 12-byte nonce, and the record's bucket and key are the additional
// data, so a sealed value moved to another record fails to open. A Cipher
// does not keep the key bytes and never prints them. It is safe for
// concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher returns a Cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("store: new cipher: %w (got %d bytes)", ErrBadKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: new cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: new cipher: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// String describes the cipher without any key material.
func (c *Cipher) String() string { return "store.Cipher{AES-256-GCM}" }

// GoString is String.
func (c *Cipher) GoString() string { return c.String() }

// NewKey returns a fresh random key, base64-encoded the way
// MOIMBOT_SECRET_KEY expects it.
func NewKey() string {
	var k [KeySize]byte
	rand.Read(k[:]) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(k[:])
}

// ParseKey decodes a base64 key (standard or URL alphabet, padded or not,
// surrounding whitespace ignored) and returns its Cipher.
func ParseKey(s string) (*Cipher, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key, err := enc.DecodeString(s)
		if err != nil || len(key) != KeySize {
			continue
		}
		c, err := NewCipher(key)
		clear(key)
		return c, err
	}
	return nil, ErrBadKey
}

// KeyFromEnv returns the Cipher for the key in MOIMBOT_SECRET_KEY (base64
// of 32 bytes) or in the file named by MOIMBOT_SECRET_KEY_FILE (holding the
// same base64; surrounding whitespace ignored). It returns an error wrapping
// ErrNoKey when neither is set, and one naming the variable when both are
// set or the key is malformed. The key itself never appears in an error.
func KeyFromEnv(getenv func(string) string) (*Cipher, error) {
	return keyFrom(getenv, EnvSecretKey, EnvSecretKeyFile)
}

// KeyFromVars is KeyFromEnv with other variable names (for a second key,
// as when rotating): keyVar holds the base64 key, fileVar names a file
// holding it.
func KeyFromVars(getenv func(string) string, keyVar, fileVar string) (*Cipher, error) {
	return keyFrom(getenv, keyVar, fileVar)
}

func keyFrom(getenv func(string) string, keyVar, fileVar string) (*Cipher, error) {
	val, file := getenv(keyVar), ""
	if fileVar != "" {
		file = getenv(fileVar)
	}
	switch {
	case val != "" && file != "":
		return nil, fmt.Errorf("store: secret key: set %s or %s, not both", keyVar, fileVar)
	case val != "":
		c, err := ParseKey(val)
		if err != nil {
			return nil, fmt.Errorf("store: secret key: %s: %w", keyVar, err)
		}
		return c, nil
	case file != "":
		return KeyFromFile(file)
	}
	if fileVar == "" {
		return nil, fmt.Errorf("store: secret key: %w (%s is not set)", ErrNoKey, keyVar)
	}
	return nil, fmt.Errorf("store: secret key: %w (set %s or %s)", ErrNoKey, keyVar, fileVar)
}

// MaxKeyFileSize is the largest key file KeyFromFile reads. A key is 44
// bytes of base64 and a newline; the limit leaves room for surrounding
// whitespace and refuses a wrong file (/dev/zero, a log) without reading it
// whole.
const MaxKeyFileSize = 4 << 10

// KeyFromFile reads a base64 key from a file of at most MaxKeyFileSize
// bytes; a larger file is refused (ErrBadKey) without reading it whole.
func KeyFromFile(path string) (*Cipher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: secret key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxKeyFileSize+1))
	defer clear(b)
	if err != nil {
		return nil, fmt.Errorf("store: secret key file: %w", err)
	}
	if len(b) > MaxKeyFileSize {
		return nil, fmt.Errorf("store: secret key file %s: %w (the file is larger than %d bytes)", path, ErrBadKey, MaxKeyFileSize)
	}
	c, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("store: secret key file %s: %w", path, err)
	}
	return c, nil
}

// seal encrypts plain for the record named by aad.
func (c *Cipher) seal(aad, plain []byte) []byte {
	nonce := make([]byte, c.aead.NonceSize())
	rand.Read(nonce)
	out := make([]byte, 0, 1+len(nonce)+len(plain)+c.aead.Overhead())
	out = append(out, sealVersion)
	out = append(out, nonce...)
	return c.aead.Seal(out, nonce, plain, aad)
}

// open decrypts a sealed value; any tampering, a value moved between
// records or a different key gives ErrWrongKey, never garbage.
func (c *Cipher) open(aad, sealed []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < 1+n+c.aead.Overhead() || sealed[0] != sealVersion {
		return nil, errors.New("sealed value is malformed")
	}
	plain, err := c.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad)
	if err != nil {
		return nil, ErrWrongKey
	}
	return plain, nil
}

var keyCheckAAD = []byte("meta/key_check")

// checkKey compares the database's key check value with the cipher. With
// write set it stores a check value when there is none yet.
func (db *DB) checkKey(tx *bolt.Tx, write bool) error {
	c := db.cipher.Load()
	if c == nil {
		return nil
	}
	meta := tx.Bucket(bucketMeta)
	sealed := meta.Get(keyCheckKey)
	if sealed == nil {
		if !write {
			return nil
		}
		return meta.Put(keyCheckKey, c.seal(keyCheckAAD, []byte(keyCheckPlain)))
	}
	plain, err := c.open(keyCheckAAD, sealed)
	if err != nil || string(plain) != keyCheckPlain {
		return ErrWrongKey
	}
	return nil
}
